"""The customers of the three tabs and their filters, as SQL conditions on ``Customer``.

* Unassigned (待分配): live customers without an owner. The "store / department" filter matches the customers who are
  WeCom friends of an employee of that department (sub-departments included): a pool customer has no owner whose
  store could be read.
* Resigned inheritance (离职继承): customers whose owner has left (``EmployeeStatus.LEFT``).
* On-the-job transfer (在职转接): customers whose owner is active.

Query-string form: ``q`` with ``field`` (name or mobile), ``member`` (1 / 0), ``source``, ``department``, ``tag``,
``owner`` (an employee; the resigned owner on the inheritance tab), ``created_from`` / ``created_to`` (YYYY-MM-DD).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, time
from typing import Any

from sqlalchemy import and_, case, exists, func, select
from sqlmodel import Session

from scrm.sdk import (
    Customer,
    CustomerIdentity,
    CustomerTag,
    Department,
    Employee,
    EmployeeStatus,
    IdentityKind,
    department_subtree,
    distinct_values,
)

from ..sync.models import Follow, FollowStatus

UNASSIGNED, RESIGNED, ONJOB = "unassigned", "resigned", "onjob"
TABS = (UNASSIGNED, RESIGNED, ONJOB)
SEARCH_FIELDS = ("name", "mobile")
PAGE_SIZE = 50


@dataclass
class TabFilter:
    """The filter of one tab as read from the query string (invalid values are dropped)."""

    keyword: str = ""
    keyword_field: str = "name"
    member: bool | None = None
    source: str = ""
    department_id: int | None = None
    tag_id: int | None = None
    owner_id: int | None = None
    created_from: date | None = None
    created_to: date | None = None
    args: dict[str, str] = field(default_factory=dict)


def _int(value: Any) -> int | None:
    try:
        return int(value) if value not in (None, "") else None
    except (TypeError, ValueError):
        return None


def _day(value: Any) -> date | None:
    try:
        return date.fromisoformat(str(value)[:10]) if value else None
    except ValueError:
        return None


def parse_filter(args) -> TabFilter:
    flt = TabFilter(keyword=(args.get("q") or "").strip()[:100],
                    keyword_field=args.get("field") if args.get("field") in SEARCH_FIELDS else "name",
                    source=(args.get("source") or "").strip()[:50],
                    department_id=_int(args.get("department")), tag_id=_int(args.get("tag")),
                    owner_id=_int(args.get("owner")),
                    created_from=_day(args.get("created_from")), created_to=_day(args.get("created_to")))
    member = (args.get("member") or "").strip()
    flt.member = True if member == "1" else False if member == "0" else None
    flt.args = {k: str(v) for k, v in (("q", flt.keyword), ("field", flt.keyword_field), ("member", member),
                                       ("source", flt.source), ("department", flt.department_id or ""),
                                       ("tag", flt.tag_id or ""), ("owner", flt.owner_id or ""),
                                       ("created_from", flt.created_from or ""),
                                       ("created_to", flt.created_to or "")) if v not in ("", None)}
    return flt


def _owner_status(tenant_id: int, status: EmployeeStatus) -> Any:
    return Customer.owner_employee_id.in_(select(Employee.id).where(Employee.tenant_id == tenant_id,
                                                                    Employee.status == status))


def tab_clause(session: Session, tenant_id: int, tab: str, flt: TabFilter, visibility: Any = None) -> Any:
    """The condition on ``Customer`` for ``tab`` filtered by ``flt`` and, outside the pool, the user's scope."""
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
    if flt.member is not None:
        clauses.append(Customer.is_member == flt.member)
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
        clauses.append(Customer.created_at >= datetime.combine(flt.created_from, time.min))
    if flt.created_to:
        clauses.append(Customer.created_at <= datetime.combine(flt.created_to, time.max))
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


def page(session: Session, where: Any, number: int, size: int = PAGE_SIZE) -> list[Customer]:
    """Page ``number`` (from 1), newest customers first."""
    number = max(1, number)
    return list(session.execute(select(Customer).where(where)
                                .order_by(Customer.created_at.desc(), Customer.id.desc())
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
