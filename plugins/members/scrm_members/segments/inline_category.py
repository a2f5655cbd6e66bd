"""A segment form's "new category" choice: the category is created in the same transaction as the segment, so a
segment can be saved without first leaving the form to create its category.

The form posts ``category_id=new`` with ``new_category`` (the name). The category row is flushed, not committed:
the view commits it with the segment, or rolls both back when anything in the form is wrong.
"""

from __future__ import annotations

from typing import Any

from sqlmodel import Session

from scrm.sdk import FilterType

from . import segment_store as store
from .models import Segment
from .segment_store import SegmentError

NEW_CATEGORY = "new"


def resolve_new_category(session: Session, tenant_id: int, kind: str, data: dict[str, Any],
                         types: list[FilterType], segment: Segment | None = None) -> None:
    """With ``data["category_id"] == "new"``, create the category ``data["new_category"]`` of ``kind`` and put its id
    in ``data``. A bad name raises ``SegmentError`` with ``new_category`` and every other field's message."""
    if str(data.get("category_id") or "") != NEW_CATEGORY:
        return
    try:
        row = store.create_category(session, tenant_id, kind, str(data.get("new_category") or ""))
    except SegmentError as exc:
        errors = {"new_category": next(iter(exc.fields.values()))}
        try:
            store.validate(session, tenant_id, {**data, "category_id": ""}, types, segment)
        except SegmentError as others:
            errors = {**{k: v for k, v in others.fields.items() if k != "category_id"}, **errors}
        raise SegmentError(errors) from exc
    data["category_id"] = str(row.id)
