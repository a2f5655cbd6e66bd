"""Audiences: condition trees compiled to one SQL query over customers.

A tree is ``{"conditions": [{"type": "tag", "values": [3, 7]}, {"type": "source", "values": ["wecom"],
"negate": true}]}``: AND between conditions, OR within a condition's values, ``negate`` inverts one condition.
Filter types are contributed by plugins through the ``audience_filters`` hook; each compiles its values into a SQL
expression on ``customer``. Counting and materializing never loop over customers in Python.

A filter type may also give its condition as a set of customer ids read from one covering index (``customer_ids``:
tags by ``customer_tag (tag_id, customer_id)``). When a tree has ``INTERSECT_FROM`` or more such conditions, they are
intersected before any customer row is read (``customer.id IN (ids INTERSECT ids INTERSECT ids)``). The planner
estimates one semi-join well, but it multiplies selectivities as if tags were independent: over three conditions its
estimate falls to a row or two, and the plan it picks then checks tens of thousands of customers one by one. With
one or two such conditions the EXISTS form is as fast and lets the list page stop at its first 50 rows.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import date, datetime, time
from decimal import Decimal
from typing import Any

from sqlalchemy import and_, exists, false, func, intersect, not_, or_, select
from sqlalchemy.sql import ColumnElement, Select
from sqlmodel import Session

from .messages import N_, Message
from .models import Customer, CustomerIdentity, CustomerTag
from .timeutil import as_utc

INT_MIN, INT_MAX = -(2**31), 2**31 - 1  # an INTEGER column (32-bit on PostgreSQL)
MAX_VALUE_DEPTH = 8
#: from this many positive id-set conditions in one tree, compile_audience intersects them (see the module docstring)
INTERSECT_FROM = 3


class AudienceError(ValueError):
    """The condition tree is malformed; the message names the condition. ``message`` is a ``Message`` the host
    translates (``str(error)`` is its English text, for logs and the API)."""

    def __init__(self, message: Message | str) -> None:
        self.message = message if isinstance(message, Message) else Message(message)
        super().__init__(str(self.message))


@dataclass(frozen=True)
class AudienceContext:
    """What an audience filter's compiler may read: the tenant (``tenant_id``) the audience is compiled for."""

    tenant_id: int


@dataclass(frozen=True)
class FilterType:
    """A condition type. ``compile(values, ctx)`` returns a boolean SQL expression on ``Customer`` that is true when
    the customer matches any of ``values``; ``value_kind`` tells the editor what to ask for."""

    key: str
    #: a message id (core, ``N_``) or a lazy string (plugins); the host shows it translated (``hostapp.labels``)
    label: str
    compile: Callable[[list[Any], AudienceContext], ColumnElement[bool]]
    value_kind: str = "choice"  # choice | text | date_range | monthday_range (MM-DD from/to) | number_range | bool
    section: str = "basic"
    choices: Callable[[Session, int], list[tuple[Any, str]]] | None = None
    plugin: str = ""
    extra: dict[str, Any] = field(default_factory=dict)
    #: optional: ``customer_ids(values, ctx)`` -> ``SELECT customer_id`` matching the condition (same meaning as
    #: ``compile``), for conditions a covering index answers; compile_audience intersects INTERSECT_FROM or more
    customer_ids: Callable[[list[Any], AudienceContext], Select] | None = None


def compile_audience(tenant_id: int, tree: dict[str, Any], filter_types: Iterable[FilterType]) -> Select:
    """``SELECT customer.id`` of the tenant's live (not merged) customers matching ``tree``."""
    types = {f.key: f for f in filter_types}
    ctx = AudienceContext(tenant_id)
    conditions = tree.get("conditions")
    if conditions is None or not isinstance(conditions, list):
        raise AudienceError(Message(N_("an audience needs a list of conditions")))
    clauses: list[ColumnElement[bool]] = [Customer.tenant_id == tenant_id, Customer.merged_into_id.is_(None)]
    id_sets: list[tuple[ColumnElement[bool], Select]] = []  # (the condition as a clause, as an id set)
    for index, condition in enumerate(conditions, 1):
        if not isinstance(condition, dict):
            raise AudienceError(Message(N_("condition %(index)s must be an object"), {"index": index}))
        key = condition.get("type")
        filter_type = types.get(key)
        if filter_type is None:
            raise AudienceError(Message(N_("condition %(index)s: unknown type '%(type)s'"), {"index": index, "type": key}))
        # a plugin's condition by its label when the page translated it (``translated_filter_types``), else by its key
        # (core labels are message ids, English until translated)
        label = filter_type.label
        name = label if filter_type.plugin and isinstance(label, str) and label else key
        values = condition.get("values")
        if not isinstance(values, list) or not values:
            raise AudienceError(Message(N_("condition %(index)s (%(type)s): choose at least one value"),
                                       {"index": index, "type": name}))
        if not storable(values):
            raise AudienceError(Message(N_("condition %(index)s (%(type)s): a number is too large or not finite"),
                                       {"index": index, "type": name}))
        try:
            clause = filter_type.compile(values, ctx)
            if filter_type.customer_ids is not None and not condition.get("negate"):
                id_sets.append((clause, filter_type.customer_ids(values, ctx)))
                continue
        except (TypeError, ValueError, OverflowError) as exc:
            raise AudienceError(Message(N_("condition %(index)s (%(type)s): %(error)s"),
                                       {"index": index, "type": name, "error": str(exc)})) from exc
        clauses.append(not_(clause) if condition.get("negate") else clause)
    if len(id_sets) >= INTERSECT_FROM:
        clauses.append(Customer.id.in_(intersect(*(ids for _clause, ids in id_sets))))
    else:
        clauses.extend(clause for clause, _ids in id_sets)
    return select(Customer.id).where(and_(*clauses))


def storable(value: Any, depth: int = 0) -> bool:
    """Whether every number in ``value`` (nested lists and mappings included) is finite and, for an integer, fits an
    INTEGER column: ``1e999`` or ``2**63`` in a rule is refused instead of reaching the database or being written
    into JSON as ``Infinity``."""
    if depth > MAX_VALUE_DEPTH:
        return False
    if isinstance(value, bool) or value is None or isinstance(value, str):
        return True
    if isinstance(value, float):
        return math.isfinite(value)
    if isinstance(value, int):
        return INT_MIN <= value <= INT_MAX
    if isinstance(value, Decimal):
        return value.is_finite()
    if isinstance(value, dict):
        return all(storable(v, depth + 1) for v in value.values())
    if isinstance(value, (list, tuple)):
        return all(storable(v, depth + 1) for v in value)
    return True


def count_audience(session: Session, tenant_id: int, tree: dict[str, Any], filter_types: Iterable[FilterType]) -> int:
    """How many customers of ``tenant_id`` match the condition ``tree``: one SQL ``COUNT``, never a Python loop."""
    query = compile_audience(tenant_id, tree, filter_types).subquery()
    return session.execute(select(func.count()).select_from(query)).scalar_one()


# -- the core's filter types (contributed by the host's built-in plugin) ------------------------------------------------


def _tag(values: list[Any], ctx: AudienceContext) -> ColumnElement[bool]:
    ids = [int(v) for v in values]
    return exists().where(CustomerTag.customer_id == Customer.id, CustomerTag.tag_id.in_(ids))


def _tag_customers(values: list[Any], ctx: AudienceContext) -> Select:
    """The customers carrying any of the tags, from the index (tag_id, customer_id) alone; the tree's tenant
    condition on ``customer`` keeps the answer within the tenant."""
    return select(CustomerTag.customer_id).where(CustomerTag.tag_id.in_([int(v) for v in values]))


def _source(values: list[Any], ctx: AudienceContext) -> ColumnElement[bool]:
    return Customer.source.in_([str(v) for v in values])


def _identity(values: list[Any], ctx: AudienceContext) -> ColumnElement[bool]:
    clauses = []
    for value in values:
        kind = str(value)
        match = CustomerIdentity.kind.like(f"{kind[:-1]}%") if kind.endswith("@*") else CustomerIdentity.kind == kind
        clauses.append(match)
    return exists().where(CustomerIdentity.customer_id == Customer.id, or_(*clauses))


def _owner(values: list[Any], ctx: AudienceContext) -> ColumnElement[bool]:
    ids = [int(v) for v in values if v not in (None, "", "none")]
    clause = Customer.owner_employee_id.in_(ids) if ids else false()
    if any(v in (None, "", "none") for v in values):
        clause = or_(clause, Customer.owner_employee_id.is_(None))
    return clause


def _member(values: list[Any], ctx: AudienceContext) -> ColumnElement[bool]:
    wanted = {str(v).lower() in ("1", "true", "yes") for v in values}
    return or_(*[Customer.is_member == w for w in wanted])


def _parse_day(value: Any, end: bool) -> datetime | None:
    if value in (None, ""):
        return None
    day = value if isinstance(value, date) else date.fromisoformat(str(value)[:10])
    return as_utc(datetime.combine(day, time.max if end else time.min))


def _created(values: list[Any], ctx: AudienceContext) -> ColumnElement[bool]:
    ranges = []
    for value in values:
        if not isinstance(value, dict):
            raise ValueError("a date range is {'from': 'YYYY-MM-DD', 'to': 'YYYY-MM-DD'}")
        start, stop = _parse_day(value.get("from"), False), _parse_day(value.get("to"), True)
        parts = []
        if start:
            parts.append(Customer.created_at >= start)
        if stop:
            parts.append(Customer.created_at <= stop)
        if not parts:
            raise ValueError("a date range needs 'from' or 'to'")
        ranges.append(and_(*parts))
    return or_(*ranges)


def core_filter_types() -> list[FilterType]:
    """The audience condition types the platform itself offers (tags, source, identity, owner, member,
    created between, ...); plugins add theirs through the ``audience_filters`` hook."""
    return [
        FilterType("tag", N_("Tags"), _tag, "choice", "tags", customer_ids=_tag_customers),
        FilterType("source", N_("Source channel"), _source, "choice", "basic"),
        FilterType("identity", N_("Has identity"), _identity, "choice", "basic"),
        FilterType("owner", N_("Owner employee"), _owner, "choice", "basic"),
        FilterType("member", N_("Member"), _member, "bool", "member"),
        FilterType("created", N_("Created between"), _created, "date_range", "basic"),
    ]
