"""Keyset pagination: newest first by id, ``after`` is the last id of the previous page."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlmodel import Session

from .api.inputs import parse_int


@dataclass
class Page:
    """One page of a keyset-paginated list: its ``items`` and the ``next_after`` cursor (None on the last page)."""

    items: list[Any]
    next_after: int | None


def keyset_page(session: Session, query, model, after: str | None, limit: int = 50) -> Page:
    """One page of ``query`` (rows of ``model``, newest id first) after the id cursor ``after`` (from the
    request; anything but an integer is ignored), at most ``limit`` rows."""
    after_id = parse_int(after)  # anything but a 64-bit integer is ignored
    if after_id is not None:
        query = query.where(model.id < after_id)
    rows = list(session.exec(query.order_by(model.id.desc()).limit(limit + 1)))
    more = len(rows) > limit
    rows = rows[:limit]
    return Page(rows, rows[-1].id if more and rows else None)
