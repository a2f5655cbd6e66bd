"""Set-based writes: ``INSERT ... SELECT`` that reports how many rows it wrote.

Drivers disagree on the row count of ``INSERT ... SELECT`` (psycopg reports -1 through SQLAlchemy), so the rows are
counted with the same SELECT first, in the same transaction."""

from __future__ import annotations

from sqlalchemy import Table, func, insert, select
from sqlalchemy.sql import Select
from sqlmodel import Session


def insert_from_select(session: Session, table: Table, columns: list[str], rows: Select) -> int:
    """Insert the rows of ``rows`` into ``table`` (``columns`` in order); returns how many were inserted."""
    count = session.execute(select(func.count()).select_from(rows.subquery())).scalar_one()
    if count:
        session.execute(insert(table).from_select(columns, rows))
    return count
