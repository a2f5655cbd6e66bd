"""Segments (member groups) and their categories: validation, saving, materializing members, manual picks.

Materializing is set-based: the customers that stopped matching are deleted and the newcomers inserted with one
``INSERT ... SELECT`` from the compiled audience, so members keep the time they joined. Dynamic segments are
materialized at save, daily while running and on "Update"; static segments by conditions once at save (and again only
when someone clicks "Update"); manual static segments hold exactly the customers picked by hand.
"""

from __future__ import annotations

from typing import Any

from flask_babel import gettext as _
from sqlalchemy import delete, exists, func, insert, literal, not_, select
from sqlmodel import Session

from scrm.sdk import Customer, FilterType, compile_audience, utcnow

from .audiences import validate_rule
from .bulk import insert_from_select
from .models import Segment, SegmentCategory, SegmentKind, SegmentMember, SegmentMode, SegmentState

NAME_MAX = 50
DESCRIPTION_MAX = 250
CATEGORY_NAME_MAX = 30
KINDS = (SegmentKind.DYNAMIC.value, SegmentKind.STATIC.value)


class SegmentError(ValueError):
    def __init__(self, fields: dict[str, str]) -> None:
        super().__init__("; ".join(fields.values()))
        self.fields = fields


# -- categories ------------------------------------------------------------------------------------------------------


def categories(session: Session, tenant_id: int, kind: str) -> list[SegmentCategory]:
    return list(session.execute(select(SegmentCategory).where(SegmentCategory.tenant_id == tenant_id,
                                                              SegmentCategory.kind == kind)
                                .order_by(SegmentCategory.name)).scalars())


def get_category(session: Session, tenant_id: int, category_id: Any, kind: str | None = None):
    try:
        row = session.get(SegmentCategory, int(category_id))
    except (TypeError, ValueError):
        return None
    if row is None or row.tenant_id != tenant_id or (kind is not None and row.kind != kind):
        return None
    return row


def _category_name(session: Session, tenant_id: int, kind: str, name: str, exclude: int | None = None) -> str:
    name = (name or "").strip()
    if not name:
        raise SegmentError({"name": _("Enter a category name.")})
    if len(name) > CATEGORY_NAME_MAX:
        raise SegmentError({"name": _("A category name has at most %(n)d characters.", n=CATEGORY_NAME_MAX)})
    taken = session.execute(select(SegmentCategory.id).where(
        SegmentCategory.tenant_id == tenant_id, SegmentCategory.kind == kind, SegmentCategory.name == name)).first()
    if taken is not None and taken[0] != exclude:
        raise SegmentError({"name": _("Category names must not repeat.")})
    return name


def create_category(session: Session, tenant_id: int, kind: str, name: str) -> SegmentCategory:
    if kind not in KINDS:
        raise SegmentError({"kind": _("Unknown segment kind.")})
    row = SegmentCategory(tenant_id=tenant_id, kind=kind, name=_category_name(session, tenant_id, kind, name))
    session.add(row)
    session.flush()
    return row


def rename_category(session: Session, row: SegmentCategory, name: str) -> None:
    row.name = _category_name(session, row.tenant_id, row.kind, name, exclude=row.id)
    session.add(row)


def delete_category(session: Session, row: SegmentCategory) -> None:
    """Only a category without segments can be deleted."""
    if session.execute(select(Segment.id).where(Segment.category_id == row.id).limit(1)).first():
        raise SegmentError({"category": _("Move or delete the segments of this category first.")})
    session.delete(row)


# -- segments --------------------------------------------------------------------------------------------------------


def get_segment(session: Session, tenant_id: int, segment_id: Any) -> Segment | None:
    try:
        row = session.get(Segment, int(segment_id))
    except (TypeError, ValueError):
        return None
    return row if row is not None and row.tenant_id == tenant_id else None


def validate(session: Session, tenant_id: int, data: dict[str, Any], types: list[FilterType],
             segment: Segment | None = None) -> dict[str, Any]:
    """Check a segment form or API body; returns the clean values or raises ``SegmentError`` with every field's
    message. ``data``: name, category_id, description, kind, mode, rule."""
    errors: dict[str, str] = {}
    kind = segment.kind if segment is not None else str(data.get("kind") or "")
    if kind not in KINDS:
        errors["kind"] = _("Choose dynamic or static.")
    name = str(data.get("name") or "").strip()
    if not name:
        errors["name"] = _("Enter a name.")
    elif len(name) > NAME_MAX:
        errors["name"] = _("A name has at most %(n)d characters.", n=NAME_MAX)
    description = str(data.get("description") or "").strip()
    if len(description) > DESCRIPTION_MAX:
        errors["description"] = _("A description has at most %(n)d characters.", n=DESCRIPTION_MAX)
    category = get_category(session, tenant_id, data.get("category_id"), kind if kind in KINDS else None)
    if category is None:
        errors["category_id"] = _("Choose a category.")
    mode = segment.mode if segment is not None else str(data.get("mode") or SegmentMode.CONDITIONS.value)
    if mode not in (SegmentMode.CONDITIONS.value, SegmentMode.MANUAL.value) or (
            kind == SegmentKind.DYNAMIC.value and mode == SegmentMode.MANUAL.value):
        errors["mode"] = _("Dynamic segments are built from conditions; static ones from conditions or by hand.")
    rule = data.get("rule") or {"conditions": []}
    if mode == SegmentMode.CONDITIONS.value:
        message = validate_rule(session, tenant_id, rule, types, segment.id if segment is not None else None)
        if message:
            errors["rule"] = message
    else:
        rule = {"conditions": []}
    if errors:
        raise SegmentError(errors)
    return {"name": name, "description": description, "category_id": category.id, "kind": kind, "mode": mode,
            "rule": rule}


def create_segment(session: Session, tenant_id: int, clean: dict[str, Any], types: list[FilterType],
                   user_id: int | None) -> Segment:
    """Save a validated segment and materialize it (a snapshot for static by conditions)."""
    segment = Segment(tenant_id=tenant_id, created_by=user_id, **clean)
    session.add(segment)
    session.flush()
    materialize(session, segment, types)
    return segment


def update_segment(session: Session, segment: Segment, clean: dict[str, Any], types: list[FilterType]) -> None:
    """Save edits; a changed rule is applied at once (editing is a manual update)."""
    rule_changed = clean["rule"] != segment.rule
    for key in ("name", "description", "category_id", "rule"):
        setattr(segment, key, clean[key])
    segment.updated_at = utcnow()
    session.add(segment)
    session.flush()
    if rule_changed and segment.mode == SegmentMode.CONDITIONS.value:
        materialize(session, segment, types)


def set_state(session: Session, segment: Segment, state: str) -> None:
    if segment.kind != SegmentKind.DYNAMIC.value or state not in (SegmentState.RUNNING.value,
                                                                  SegmentState.STOPPED.value):
        raise SegmentError({"state": _("Only dynamic segments can be stopped or resumed.")})
    segment.state = state
    session.add(segment)


def live_member_count(session: Session, segment: Segment) -> int:
    return session.execute(
        select(func.count()).select_from(SegmentMember).join(Customer, Customer.id == SegmentMember.customer_id)
        .where(SegmentMember.segment_id == segment.id, Customer.merged_into_id.is_(None))).scalar_one()


def materialize(session: Session, segment: Segment, types: list[FilterType]) -> int:
    """Make the members of a by-conditions segment exactly the customers matching its rule now; returns the count.

    Raises ``AudienceError`` (and changes nothing) when the rule no longer compiles."""
    if segment.mode == SegmentMode.CONDITIONS.value:
        matching = compile_audience(segment.tenant_id, segment.rule, types).subquery()
        member = SegmentMember.__table__
        session.execute(delete(SegmentMember).where(SegmentMember.segment_id == segment.id,
                                                    SegmentMember.customer_id.not_in(select(matching.c.id))))
        newcomers = select(literal(segment.tenant_id), literal(segment.id), matching.c.id, literal("rule"),
                           literal(utcnow(), type_=member.c.added_at.type)).where(not_(exists().where(
                               member.c.segment_id == segment.id, member.c.customer_id == matching.c.id)))
        session.execute(insert(member).from_select(
            ["tenant_id", "segment_id", "customer_id", "added_by", "added_at"], newcomers))
        segment.refreshed_at = utcnow()
    segment.member_count = live_member_count(session, segment)
    session.add(segment)
    session.flush()
    return segment.member_count


def add_members(session: Session, segment: Segment, customer_ids: list[Any], scope: Any = None) -> int:
    """Add picked customers to a manual static segment; returns how many were new. Every customer must be one the
    user may see (``scope``, None for all), else nothing is added."""
    if segment.mode != SegmentMode.MANUAL.value:
        raise SegmentError({"customer_id": _("Only segments picked by hand take customers one by one.")})
    try:
        wanted = sorted({int(c) for c in customer_ids})
    except (TypeError, ValueError) as exc:
        raise SegmentError({"customer_id": _("Choose customers from the list.")}) from exc
    if not wanted:
        raise SegmentError({"customer_id": _("Choose at least one customer.")})
    candidates = select(Customer.id).where(Customer.tenant_id == segment.tenant_id, Customer.id.in_(wanted),
                                           Customer.merged_into_id.is_(None))
    found = set(session.execute(candidates.where(scope) if scope is not None else candidates).scalars())
    if found != set(wanted):
        raise SegmentError({"customer_id": _("Choose customers from the list.")})
    member = SegmentMember.__table__
    rows = select(literal(segment.tenant_id), literal(segment.id), Customer.id, literal("manual"),
                  literal(utcnow(), type_=member.c.added_at.type)).where(
        Customer.tenant_id == segment.tenant_id, Customer.id.in_(wanted),
        not_(exists().where(member.c.segment_id == segment.id, member.c.customer_id == Customer.id)))
    added = insert_from_select(session, member, ["tenant_id", "segment_id", "customer_id", "added_by", "added_at"],
                               rows)
    materialize(session, segment, [])
    return added


def remove_members(session: Session, segment: Segment, customer_ids: list[Any], scope: Any = None) -> int:
    """Take picked customers out of a manual static segment; only those the user may see (``scope``) go."""
    if segment.mode != SegmentMode.MANUAL.value:
        raise SegmentError({"customer_id": _("Only segments picked by hand give customers back one by one.")})
    try:
        wanted = sorted({int(c) for c in customer_ids})
    except (TypeError, ValueError) as exc:
        raise SegmentError({"customer_id": _("Choose customers from the list.")}) from exc
    if scope is not None:
        wanted = list(session.execute(select(Customer.id).where(
            Customer.tenant_id == segment.tenant_id, Customer.id.in_(wanted), scope)).scalars())
    removed = session.execute(delete(SegmentMember).where(
        SegmentMember.segment_id == segment.id, SegmentMember.customer_id.in_(wanted))).rowcount
    materialize(session, segment, [])
    return removed


def delete_segment(session: Session, segment: Segment) -> None:
    """Delete the segment and its membership rows; the customers stay."""
    session.execute(delete(SegmentMember).where(SegmentMember.segment_id == segment.id))
    session.delete(segment)


def members_query(segment: Segment, scope: Any = None):
    """``SELECT Customer, SegmentMember.added_at`` of the segment's live members; ``scope`` (the user's customer
    visibility, None for all) keeps only the members the user may see."""
    query = (select(Customer, SegmentMember.added_at).join(SegmentMember, SegmentMember.customer_id == Customer.id)
             .where(SegmentMember.segment_id == segment.id, SegmentMember.tenant_id == segment.tenant_id,
                    Customer.merged_into_id.is_(None)))
    return query.where(scope) if scope is not None else query


def visible_member_counts(session: Session, tenant_id: int, segment_ids: list[int], scope: Any) -> dict[int, int]:
    """Live members of each segment that ``scope`` lets the user see (every segment of ``segment_ids`` present)."""
    counts = dict.fromkeys(segment_ids, 0)
    if not segment_ids:
        return counts
    query = (select(SegmentMember.segment_id, func.count()).join(Customer, Customer.id == SegmentMember.customer_id)
             .where(SegmentMember.tenant_id == tenant_id, SegmentMember.segment_id.in_(segment_ids),
                    Customer.merged_into_id.is_(None)).group_by(SegmentMember.segment_id))
    if scope is not None:
        query = query.where(scope)
    counts.update(dict(session.execute(query).all()))
    return counts


def move_merged(session: Session, tenant_id: int, survivor_id: int, merged_id: int) -> None:
    """Customer ``merged_id`` became ``survivor_id``: the survivor joins every segment the merged one was in."""
    member = SegmentMember.__table__
    other = member.alias("other")
    theirs = select(member.c.tenant_id, member.c.segment_id, literal(survivor_id), member.c.added_by,
                    member.c.added_at).where(
        member.c.tenant_id == tenant_id, member.c.customer_id == merged_id,
        not_(exists().where(other.c.segment_id == member.c.segment_id, other.c.customer_id == survivor_id)))
    session.execute(insert(member).from_select(
        ["tenant_id", "segment_id", "customer_id", "added_by", "added_at"], theirs))
    session.execute(delete(SegmentMember).where(SegmentMember.tenant_id == tenant_id,
                                                SegmentMember.customer_id == merged_id))
    for segment in session.execute(select(Segment).join(SegmentMember, SegmentMember.segment_id == Segment.id)
                                   .where(SegmentMember.customer_id == survivor_id,
                                          Segment.tenant_id == tenant_id)).scalars():
        segment.member_count = live_member_count(session, segment)
        session.add(segment)
