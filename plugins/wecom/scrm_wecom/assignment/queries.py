"""The customers of the three tabs and their filters, as SQL conditions on ``Customer``.

* Unassigned (待分配): live customers without an owner. The "store / department" filter matches the customers who are
  WeCom friends of an employee of that department (sub-departments included): a pool customer has no owner whose
  store could be read.
* Resigned inheritance (离职继承): customers whose owner has left (``EmployeeStatus.LEFT``).
* On-the-job transfer (在职转接): customers whose owner is active.

Query-string form: ``q`` with ``field`` (name or mobile), ``type`` (customer type: ``wecom_friend`` / ``other``),
``member`` (1 / 0), ``level`` (repeatable: member levels as the ``member_level`` audience filter type names them),
``gender`` (0 unknown, 1 male, 2 female), ``source``, ``department``, ``tag``, ``owner`` (an employee; the resigned
owner on the inheritance tab), ``created_from`` / ``created_to`` (YYYY-MM-DD, Asia/Shanghai days) and ``sort``
(``created`` oldest first, ``-created`` newest first, the default).

Member type and member level go through the audience filter types the enabled plugins contribute (``member`` from
the host, ``member_level`` from the members plugin): without a ``member_level`` type the level filter is absent.
Customer type (spec §8 leaves it open): a WeCom friend has an active WeCom friend relation with any employee of the
tenant; every other customer (imported, mall, manual, churned or deleted friends) is "other".
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from flask_babel import lazy_gettext as _l
from sqlalchemy import and_, case, exists, false, func, select
from sqlmodel import Session

from scrm.sdk import (
    AudienceContext,
    Customer,
    CustomerIdentity,
    CustomerTag,
    Department,
    Employee,
    EmployeeStatus,
    FilterType,
    IdentityKind,
    current_zone,
    department_subtree,
    distinct_values,
)
from scrm.sdk.web import parse_int

from ..sync.contacts import CORP_NAME_KEY
from ..sync.models import Follow, FollowStatus

UNASSIGNED, RESIGNED, ONJOB = "unassigned", "resigned", "onjob"
TABS = (UNASSIGNED, RESIGNED, ONJOB)
SEARCH_FIELDS = ("name", "mobile")
PAGE_SIZE = 50
WECOM_FRIEND, OTHER = "wecom_friend", "other"
CUSTOMER_TYPES = {WECOM_FRIEND: _l("WeCom friend"), OTHER: _l("Not a WeCom friend")}
GENDERS = {0: _l("Unknown"), 1: _l("Male"), 2: _l("Female")}
SORTS = ("created", "-created")
MEMBER_FILTER, LEVEL_FILTER = "member", "member_level"


@dataclass
class TabFilter:
    """The filter of one tab as read from the query string (invalid values are dropped)."""

    keyword: str = ""
    keyword_field: str = "name"
    customer_type: str = ""
    member: bool | None = None
    levels: list[str] = field(default_factory=list)
    gender: int | None = None
    source: str = ""
    department_id: int | None = None
    tag_id: int | None = None
    owner_id: int | None = None
    created_from: date | None = None
    created_to: date | None = None
    sort: str = "-created"
    args: dict[str, Any] = field(default_factory=dict)


def _int(value: Any) -> int | None:
    return parse_int(value)


def _day(value: Any) -> date | None:
    try:
        return date.fromisoformat(str(value)[:10]) if value else None
    except ValueError:
        return None


def parse_filter(args) -> TabFilter:
    levels = args.getlist("level") if hasattr(args, "getlist") else [args.get("level")]
    gender = _int(args.get("gender"))
    flt = TabFilter(keyword=(args.get("q") or "").strip()[:100],
                    keyword_field=args.get("field") if args.get("field") in SEARCH_FIELDS else "name",
                    customer_type=args.get("type") if args.get("type") in CUSTOMER_TYPES else "",
                    levels=list(dict.fromkeys(str(v).strip()[:20] for v in levels if v and str(v).strip()))[:20],
                    gender=gender if gender in GENDERS else None,
                    source=(args.get("source") or "").strip()[:50],
                    department_id=_int(args.get("department")), tag_id=_int(args.get("tag")),
                    owner_id=_int(args.get("owner")),
                    created_from=_day(args.get("created_from")), created_to=_day(args.get("created_to")),
                    sort=args.get("sort") if args.get("sort") in SORTS else "-created")
    member = (args.get("member") or "").strip()
    flt.member = True if member == "1" else False if member == "0" else None
    pairs = (("q", flt.keyword), ("field", flt.keyword_field), ("type", flt.customer_type), ("member", member),
             ("gender", "" if flt.gender is None else flt.gender), ("source", flt.source),
             ("department", flt.department_id or ""), ("tag", flt.tag_id or ""), ("owner", flt.owner_id or ""),
             ("created_from", flt.created_from or ""), ("created_to", flt.created_to or ""),
             ("sort", "" if flt.sort == "-created" else flt.sort))
    flt.args = {k: str(v) for k, v in pairs if v not in ("", None)}
    if flt.levels:
        flt.args["level"] = list(flt.levels)
    return flt


def filter_type(types: list[FilterType] | None, key: str) -> FilterType | None:
    return next((t for t in types or [] if t.key == key), None)


def level_choices(session: Session, tenant_id: int, types: list[FilterType] | None) -> list[tuple[Any, str]]:
    """The member-level choices of the ``member_level`` filter type; empty when no plugin contributes it."""
    found = filter_type(types, LEVEL_FILTER)
    return [(str(v), str(label)) for v, label in found.choices(session, tenant_id)] \
        if found is not None and found.choices else []


def local_start(day: date) -> datetime:
    """00:00 of ``day`` in the tenant's time zone, as UTC (SQLite compares the stored UTC text, dropping any offset)."""
    return datetime.combine(day, time.min, current_zone()).astimezone(UTC)


def _owner_status(tenant_id: int, status: EmployeeStatus) -> Any:
    return Customer.owner_employee_id.in_(select(Employee.id).where(Employee.tenant_id == tenant_id,
                                                                    Employee.status == status))


def _friend_clause(tenant_id: int) -> Any:
    return exists().where(Follow.customer_id == Customer.id, Follow.tenant_id == tenant_id,
                          Follow.status == FollowStatus.ACTIVE.value)


def tab_clause(session: Session, tenant_id: int, tab: str, flt: TabFilter, visibility: Any = None,
               filter_types: list[FilterType] | None = None) -> Any:
    """The condition on ``Customer`` for ``tab`` filtered by ``flt`` and, outside the pool, the user's scope;
    ``filter_types`` are the tenant's audience filter types (member type and level compile through them)."""
    clauses: list[Any] = [Customer.tenant_id == tenant_id, Customer.merged_into_id.is_(None)]
    if tab == UNASSIGNED:
        clauses.append(Customer.owner_employee_id.is_(None))
    else:
        clauses.append(_owner_status(tenant_id, EmployeeStatus.LEFT if tab == RESIGNED else EmployeeStatus.ACTIVE))
        if visibility is not None:
            clauses.append(visibility)
    if flt.keyword:
        if flt.keyword_field == "mobile":
            digits = "".join(c for c in flt.keyword if c.isdigit()) or flt.keyword
            clauses.append(exists().where(CustomerIdentity.customer_id == Customer.id,
                                          CustomerIdentity.kind == IdentityKind.MOBILE,
                                          CustomerIdentity.value.contains(digits, autoescape=True)))
        else:
            clauses.append(Customer.name.ilike(f"%{flt.keyword}%"))
    ctx = AudienceContext(tenant_id)
    if flt.customer_type:
        clauses.append(_friend_clause(tenant_id) if flt.customer_type == WECOM_FRIEND else ~_friend_clause(tenant_id))
    if flt.member is not None:
        member_type = filter_type(filter_types, MEMBER_FILTER)
        clauses.append(member_type.compile([flt.member], ctx) if member_type is not None
                       else Customer.is_member == flt.member)
    level_type = filter_type(filter_types, LEVEL_FILTER)
    if flt.levels and level_type is not None:
        try:
            clauses.append(level_type.compile(list(flt.levels), ctx))
        except (TypeError, ValueError, OverflowError):  # a level the filter type does not know (?level=x)
            clauses.append(false())
    if flt.gender is not None:
        clauses.append(Customer.gender == flt.gender)
    if flt.source:
        clauses.append(Customer.source == flt.source)
    if flt.tag_id is not None:
        clauses.append(exists().where(CustomerTag.customer_id == Customer.id, CustomerTag.tag_id == flt.tag_id))
    if flt.owner_id is not None and tab != UNASSIGNED:
        clauses.append(Customer.owner_employee_id == flt.owner_id)
    if flt.department_id is not None:
        departments = department_subtree(session, tenant_id, flt.department_id)
        staff = select(Employee.id).where(Employee.tenant_id == tenant_id, Employee.department_id.in_(departments))
        if tab == UNASSIGNED:
            clauses.append(exists().where(Follow.customer_id == Customer.id, Follow.tenant_id == tenant_id,
                                          Follow.status == FollowStatus.ACTIVE.value, Follow.employee_id.in_(staff)))
        else:
            clauses.append(Customer.owner_employee_id.in_(staff))
    if flt.created_from:
        clauses.append(Customer.created_at >= local_start(flt.created_from))
    if flt.created_to:
        clauses.append(Customer.created_at < local_start(flt.created_to + timedelta(days=1)))
    return and_(*clauses)


@dataclass
class Counts:
    total: int
    members: int
    non_members: int


def counts(session: Session, where: Any) -> Counts:
    """N customers matching, X members, Y non-members (N = X + Y), in one query."""
    total, members = session.execute(select(func.count(), func.coalesce(
        func.sum(case((Customer.is_member == True, 1), else_=0)), 0)).where(where)).one()  # noqa: E712
    return Counts(int(total), int(members), int(total) - int(members))


def page(session: Session, where: Any, number: int, size: int = PAGE_SIZE, sort: str = "-created") -> list[Customer]:
    """Page ``number`` (from 1), newest customers first (``sort="created"``: oldest first)."""
    number = max(1, number)
    order = (Customer.created_at.asc(), Customer.id.asc()) if sort == "created" else \
        (Customer.created_at.desc(), Customer.id.desc())
    return list(session.execute(select(Customer).where(where).order_by(*order)
                                .offset((number - 1) * size).limit(size)).scalars())


def ids_matching(session: Session, where: Any, ids: list[int]) -> list[int]:
    """Which of ``ids`` the tab (with the user's scope) shows: a form cannot act on customers it could not list."""
    if not ids:
        return []
    return list(session.execute(select(Customer.id).where(where, Customer.id.in_(ids)).order_by(Customer.id)).scalars())


def employees(session: Session, tenant_id: int, ids) -> dict[int, Employee]:
    ids = {i for i in ids if i is not None}
    if not ids:
        return {}
    return {e.id: e for e in session.execute(select(Employee).where(Employee.tenant_id == tenant_id,
                                                                    Employee.id.in_(ids))).scalars()}


def employee_choices(session: Session, tenant_id: int, status: EmployeeStatus) -> list[Employee]:
    return list(session.execute(select(Employee).where(Employee.tenant_id == tenant_id, Employee.status == status)
                                .order_by(Employee.name, Employee.id)).scalars())


def department_choices(session: Session, tenant_id: int) -> list[Department]:
    return list(session.execute(select(Department).where(Department.tenant_id == tenant_id)
                                .order_by(Department.name)).scalars())


def source_choices(session: Session, tenant_id: int) -> list[str]:
    return distinct_values(session, Customer.source, Customer.tenant_id, tenant_id)


def wecom_friend_ids(session: Session, tenant_id: int, customer_ids: list[int]) -> set[int]:
    """Which customers have an active WeCom relation with their current owner."""
    if not customer_ids:
        return set()
    return set(session.execute(select(Follow.customer_id).join(Customer, Customer.id == Follow.customer_id).where(
        Follow.tenant_id == tenant_id, Follow.customer_id.in_(customer_ids),
        Follow.status == FollowStatus.ACTIVE.value, Follow.employee_id == Customer.owner_employee_id)).scalars())


CORP_USER_PREFIX = "wo"  # WeCom gives WeCom users of other corps (external contact type 2) "wo…" ids, WeChat users "wm…"


def contact_badges(session: Session, tenant_id: int, customers: list[Customer]) -> dict[int, str]:
    """customer id → "@微信" (a WeChat user, WeCom external contact type 1) or "@<corp name>" (a WeCom user of
    another corp, type 2) for the customers who are WeCom friends of their current owner. The type is read from the
    ``external_userid`` prefix; the corp name is the one the sync kept (``CORP_NAME_KEY`` in the customer's
    attributes), else "@WeCom"."""
    ids = [c.id for c in customers]
    if not ids:
        return {}
    rows = session.execute(select(Follow.customer_id, Follow.external_userid).join(
        Customer, Customer.id == Follow.customer_id).where(
        Follow.tenant_id == tenant_id, Follow.customer_id.in_(ids), Follow.status == FollowStatus.ACTIVE.value,
        Follow.employee_id == Customer.owner_employee_id)).all()
    by_id = {c.id: c for c in customers}
    badges = {}
    for customer_id, external_userid in rows:
        if external_userid.startswith(CORP_USER_PREFIX):
            corp = str((by_id[customer_id].attributes or {}).get(CORP_NAME_KEY) or "").strip()
            badges[customer_id] = f"@{corp}" if corp else str(_l("@WeCom"))
        else:
            badges[customer_id] = str(_l("@WeChat"))
    return badges
