"""Access to the platform of the current Flask app, and the request-scoped database session."""

from __future__ import annotations

from flask import current_app, g
from sqlmodel import Session

from scrm.core.platform import Platform


def platform() -> Platform:
    return current_app.extensions["scrm"]


def db() -> Session:
    """The request's database session (created on first use, closed at the end of the request)."""
    if "db" not in g:
        g.db = Session(platform().engine, expire_on_commit=False)
    return g.db


def close_db(exc: BaseException | None = None) -> None:
    session = g.pop("db", None)
    if session is not None:
        if exc is not None or session.in_transaction():
            session.rollback()
        session.close()
