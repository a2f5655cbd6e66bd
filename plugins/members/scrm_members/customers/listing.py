"""The customer list's query: filter controls built from the tenant's filter types, one condition tree compiled by
``compile_audience``, ANDed with the keyword search and the user's data scope.

The same query serves the list page, its counts, bulk actions on "everything that matches" and exports, so they
always agree. Query-string form: ``q`` and ``field`` (name, mobile, nickname), ``f_<type>`` (repeated) for choice
and bool filters, ``f_<type>_from`` / ``f_<type>_to`` for date ranges.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from flask_babel import lazy_gettext as _l
from sqlalchemy import case, exists, func, select
from sqlmodel import Session

from scrm.sdk import AudienceError, Customer, CustomerIdentity, FilterType, IdentityKind, compile_audience

from .audience import choices_for

SEARCH_FIELDS = {"name": _l("Name"), "mobile": _l("Mobile"), "nickname": _l("Nickname")}
LIST_KINDS = ("choice", "bool", "date_range")
TRUE_VALUES = ("1", "true", "yes", "on")
# filters shown first on the list; the others wait behind "more filters"
MAIN_FILTERS = ("tag", "owner", "member", "member_level")
# the count line counts exactly up to this many matching customers; beyond, it says "more than" (exact on demand)
EXACT_COUNT_LIMIT = 10_000


@dataclass
class Control:
    """One filter control of the list: its type, the values offered and the values selected."""

    filter_type: FilterType
    choices: list[tuple[Any, str]] = field(default_factory=list)
    selected: list[str] = field(default_factory=list)
    date_from: str = ""
    date_to: str = ""

    @property
    def name(self) -> str:
        return f"f_{self.filter_type.key}"

    @property
    def main(self) -> bool:
        """Shown among the list's main filters (not behind "more filters")."""
        return self.filter_type.key in MAIN_FILTERS

    @property
    def active(self) -> bool:
        return bool(self.selected or self.date_from or self.date_to)


@dataclass
class CustomerFilter:
    """A parsed list filter: the condition tree, the keyword search and the controls to render."""

    tree: dict[str, Any]
    keyword: str = ""
    keyword_field: str = "name"
    controls: list[Control] = field(default_factory=list)
    error: str | None = None

    @property
    def active(self) -> bool:
        return bool(self.tree["conditions"] or self.keyword)


def parse_filter(session: Session, tenant_id: int, args, types: list[FilterType]) -> CustomerFilter:
    """Read the filter from query-string ``args`` (a MultiDict); unknown or empty controls are ignored."""
    conditions: list[dict[str, Any]] = []
    controls: list[Control] = []
    for filter_type in sorted(types, key=lambda t: (t.section, str(t.label))):
        if filter_type.value_kind not in LIST_KINDS:
            continue
        control = Control(filter_type)
        name = control.name
        if filter_type.value_kind == "date_range":
            control.date_from = (args.get(f"{name}_from") or "").strip()[:10]
            control.date_to = (args.get(f"{name}_to") or "").strip()[:10]
            if control.date_from or control.date_to:
                value = {k: v for k, v in (("from", control.date_from), ("to", control.date_to)) if v}
                conditions.append({"type": filter_type.key, "values": [value]})
        elif filter_type.value_kind == "bool":
            value = (args.get(name) or "").strip().lower()
            if value:
                control.selected = [value]
                conditions.append({"type": filter_type.key, "values": [value in TRUE_VALUES]})
        else:
            control.choices = choices_for(session, tenant_id, filter_type) or []
            control.selected = [v for v in args.getlist(name) if v.strip()]
            if control.selected:
                conditions.append({"type": filter_type.key, "values": control.selected})
        controls.append(control)
    keyword_field = args.get("field") if args.get("field") in SEARCH_FIELDS else "name"
    keyword = (args.get("q") or "").strip()[:100]
    return CustomerFilter({"conditions": conditions}, keyword, keyword_field, controls)


def keyword_clause(keyword: str, field_name: str) -> Any:
    like = f"%{keyword}%"
    if field_name == "mobile":
        digits = "".join(c for c in keyword if c.isdigit()) or keyword
        return exists().where(CustomerIdentity.customer_id == Customer.id,
                              CustomerIdentity.kind == IdentityKind.MOBILE,
                              CustomerIdentity.value.contains(digits, autoescape=True))
    if field_name == "nickname":
        return Customer.attributes["nickname"].as_string().ilike(like)
    return Customer.name.ilike(like)


def where_clause(tenant_id: int, flt: CustomerFilter, types: list[FilterType], visibility: Any = None) -> Any:
    """The SQL condition on ``Customer`` for the filter: the tenant's live customers matching the tree, the keyword
    and ``visibility`` (the user's data scope). Raises AudienceError for a malformed filter."""
    query = compile_audience(tenant_id, flt.tree, types)
    if flt.keyword:
        query = query.where(keyword_clause(flt.keyword, flt.keyword_field))
    if visibility is not None:
        query = query.where(visibility)
    return query.whereclause


def safe_where(tenant_id: int, flt: CustomerFilter, types: list[FilterType], visibility: Any = None) -> Any:
    """Like ``where_clause``; a bad filter value is recorded on ``flt.error`` and the filter's tree is dropped."""
    try:
        return where_clause(tenant_id, flt, types, visibility)
    except AudienceError as exc:
        flt.error = str(exc)
        flt.tree = {"conditions": []}
        return where_clause(tenant_id, flt, types, visibility)


def counts(session: Session, where: Any) -> tuple[int, int, int]:
    """(total, members, non-members) of the customers matching ``where``, in one query."""
    row = session.execute(select(func.count(Customer.id),
                                 func.coalesce(func.sum(case((Customer.is_member, 1), else_=0)), 0))
                          .where(where)).one()
    total, members = int(row[0]), int(row[1])
    return total, members, total - members


@dataclass(frozen=True)
class CountLine:
    """The list's count line: exact (``total`` = ``members`` + ``non_members``) or, when more than the limit match,
    only "more than ``total``" (``members`` and ``non_members`` are None)."""

    total: int
    members: int | None = None
    non_members: int | None = None

    @property
    def exact(self) -> bool:
        return self.members is not None


def count_line(session: Session, where: Any, limit: int | None = None) -> CountLine:
    """Count the customers matching ``where`` exactly while at most ``limit`` (default ``EXACT_COUNT_LIMIT``) match;
    above that, the answer is "more than ``limit``". The query reads at most ``limit + 1`` matching rows, so the
    list stays fast however many customers a filter holds; ``counts`` gives the exact figure on demand."""
    limit = EXACT_COUNT_LIMIT if limit is None else limit
    capped = select(Customer.is_member).where(where).limit(limit + 1).subquery()
    row = session.execute(select(func.count(), func.coalesce(func.sum(case((capped.c.is_member, 1), else_=0)), 0))
                          .select_from(capped)).one()
    total, members = int(row[0]), int(row[1])
    if total > limit:
        return CountLine(limit)
    return CountLine(total, members, total - members)


def matching_ids(session: Session, where: Any, ids: list[int] | None = None) -> list[int]:
    """Ids of the customers matching ``where`` (restricted to ``ids`` when given), newest first."""
    query = select(Customer.id).where(where)
    if ids is not None:
        query = query.where(Customer.id.in_(ids))
    return list(session.execute(query.order_by(Customer.id.desc())).scalars())
