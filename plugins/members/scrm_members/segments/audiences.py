"""Audience rules of the segments area: the tenant's filter types, the choices the condition editor offers, rule
validation and the readable rule text, and the two filter types this area contributes (``segment``, ``blacklisted``).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from flask_babel import lazy_gettext as _l
from sqlalchemy import exists, func, not_, select, true
from sqlmodel import Session

from scrm.sdk import (
    AudienceError,
    Customer,
    Employee,
    FilterType,
    Tag,
    TagGroup,
    compile_audience,
    count_audience,
    current_bus,
    distinct_values,
)

from .attribute_filters import attribute_filters
from .models import BlacklistEntry, Segment, SegmentMember

SECTIONS = ("basic", "member", "tags", "interaction", "behaviour", "purchase")
SECTION_LABELS = {
    "basic": _l("Basic attributes"), "member": _l("Member attributes"), "tags": _l("User tags"),
    "interaction": _l("Interaction behaviour"), "behaviour": _l("User behaviour"), "purchase": _l("Purchase behaviour"),
}
TRUE_VALUES = ("1", "true", "yes", "on")


def tenant_filter_types(session: Session, tenant) -> list[FilterType]:
    """Every filter type the plugins enabled for ``tenant`` contribute (in a request or in a job)."""
    from flask import g, has_request_context

    hooks = None
    if has_request_context() and g.get("tenant") is not None and g.tenant.id == tenant.id:
        hooks = g.get("hooks")
    if hooks is None:
        hooks = current_bus().platform.hooks(session, tenant)
    return hooks.contribute("audience_filters", tenant=tenant)


def rule_conditions(rule: dict[str, Any] | None) -> list[dict[str, Any]]:
    return list((rule or {}).get("conditions") or [])


def validate_rule(session: Session, tenant_id: int, rule: dict[str, Any], types: list[FilterType],
                  segment_id: int | None = None) -> str | None:
    """None when ``rule`` compiles for the tenant, else the message to show. An empty rule is refused, and a segment
    may not refer to itself."""
    conditions = rule_conditions(rule)
    if not conditions:
        return str(_l("Add at least one condition."))
    if segment_id is not None:
        for condition in conditions:
            if condition.get("type") == "segment" and str(segment_id) in {str(v) for v in condition.get("values", [])}:
                return str(_l("A segment cannot be a condition of itself."))
    try:
        compile_audience(tenant_id, rule, types)
    except AudienceError as exc:
        from scrm.sdk.web import translate

        return translate(exc.message)  # core's message, in the user's language
    return None


def estimate(session: Session, tenant_id: int, rule: dict[str, Any], types: list[FilterType],
             scope: Any = None) -> int:
    """How many live customers of the tenant match ``rule`` now (one COUNT query); with ``scope`` (the user's customer
    visibility) only those the user may see."""
    if scope is None:
        return count_audience(session, tenant_id, rule, types)
    matching = compile_audience(tenant_id, rule, types).where(scope).subquery()
    return session.execute(select(func.count()).select_from(matching)).scalar_one()


# -- choices for the editor ------------------------------------------------------------------------------------------


def _employee_choices(session: Session, tenant_id: int) -> list[tuple[Any, str]]:
    rows = session.execute(select(Employee.id, Employee.name).where(Employee.tenant_id == tenant_id)
                           .order_by(Employee.name)).all()
    return [("none", str(_l("No owner"))), *[(r.id, r.name) for r in rows]]


def _source_choices(session: Session, tenant_id: int) -> list[tuple[Any, str]]:
    from scrm.sdk.web import code_label

    return [(s, code_label("customer.source", s))
            for s in distinct_values(session, Customer.source, Customer.tenant_id, tenant_id)]


def choices_for(session: Session, tenant_id: int, filter_type: FilterType,
                visible_tag_ids: set[int] | None = None) -> list[tuple[Any, str]] | None:
    """The values the editor offers for ``filter_type``; None means free text. Core types that bring no choices get
    them here: tags (only those the user may see), owners and the tenant's sources."""
    if filter_type.value_kind == "bool":
        return [("true", str(_l("Yes"))), ("false", str(_l("No")))]
    if filter_type.choices is not None:
        return [(value, str(label)) for value, label in filter_type.choices(session, tenant_id)]
    if filter_type.key == "tag":
        query = (select(Tag.id, Tag.name, TagGroup.name).join(TagGroup, TagGroup.id == Tag.group_id)
                 .where(Tag.tenant_id == tenant_id).order_by(TagGroup.name, Tag.name))
        if visible_tag_ids is not None:
            query = query.where(Tag.id.in_(visible_tag_ids))
        return [(tid, f"{group} / {name}") for tid, name, group in session.execute(query).all()]
    if filter_type.key == "owner":
        return _employee_choices(session, tenant_id)
    if filter_type.key == "source":
        return _source_choices(session, tenant_id)
    return None


@dataclass
class ConditionText:
    section: str
    label: str
    negate: bool
    values: list[str]


def describe(session: Session, tenant_id: int, rule: dict[str, Any] | None,
             types: list[FilterType]) -> list[ConditionText]:
    """The rule as readable parts: section, condition label, negation and value labels (OR within a condition)."""
    by_key = {f.key: f for f in types}
    out = []
    for condition in rule_conditions(rule):
        filter_type = by_key.get(condition.get("type"))
        if filter_type is None:
            out.append(ConditionText("", str(condition.get("type")), bool(condition.get("negate")),
                                     [str(_l("(not available)"))]))
            continue
        labels = dict((str(v), lbl) for v, lbl in (choices_for(session, tenant_id, filter_type) or []))
        values = []
        for value in condition.get("values") or []:
            if isinstance(value, dict):
                values.append(" – ".join(str(value.get(k) or "…") for k in ("from", "to", "min", "max")
                                         if k in value))
            else:
                values.append(labels.get(str(value), str(value)))
        section = str(SECTION_LABELS.get(filter_type.section, filter_type.section))
        out.append(ConditionText(section, str(filter_type.label), bool(condition.get("negate")), values))
    return out


# -- filter types contributed by this area ---------------------------------------------------------------------------


def _in_segment(values: list[Any], ctx) -> Any:
    ids = [int(v) for v in values]
    return exists().where(SegmentMember.customer_id == Customer.id, SegmentMember.tenant_id == ctx.tenant_id,
                          SegmentMember.segment_id.in_(ids))


def _segment_choices(session: Session, tenant_id: int) -> list[tuple[Any, str]]:
    rows = session.execute(select(Segment.id, Segment.name).where(Segment.tenant_id == tenant_id)
                           .order_by(func.lower(Segment.name))).all()
    return [(r.id, r.name) for r in rows]


def blacklisted_clause(tenant_id: int) -> Any:
    """True for customers with an active blacklist entry (SQL on ``Customer``)."""
    return exists().where(BlacklistEntry.customer_id == Customer.id, BlacklistEntry.tenant_id == tenant_id,
                          BlacklistEntry.removed_at.is_(None))


def _blacklisted(values: list[Any], ctx) -> Any:
    wanted = {str(v).lower() in TRUE_VALUES for v in values}
    clause = blacklisted_clause(ctx.tenant_id)
    if wanted == {True}:
        return clause
    if wanted == {False}:
        return not_(clause)
    return true()


def audience_filters(tenant) -> list[FilterType]:
    return [
        FilterType("segment", _l("In segment"), _in_segment, "choice", "member", choices=_segment_choices,
                   plugin="members"),
        FilterType("blacklisted", _l("Blacklisted"), _blacklisted, "bool", "member", plugin="members"),
        *attribute_filters(tenant),
    ]


__all__ = ["AudienceError", "SECTIONS", "SECTION_LABELS", "audience_filters", "blacklisted_clause", "choices_for",
           "describe", "estimate", "rule_conditions", "tenant_filter_types", "validate_rule"]
