"""The churned-users and deleted-users lists: filters, scopes, sorting and the "days not followed up" figure.

Last follow-up: the customer's latest timeline event (``customer_event``) other than the platform's own bookkeeping
(created, imported, merged, stage changed, owner transfer, and the WeCom relation's own entries: friend added, tagged,
welcome sent, group joined or left, friend lost) — a note, a profile edit, a message, an order, whatever
another module records about the customer. Days not followed up = today − that event's date, in whole tenant-time-zone
days; empty when there is none. The days filters count a never-followed-up row from the day the relation was added
(a customer added 40 days ago and never followed up has gone 40 days without a follow-up); a row with neither a
follow-up nor an add time matches no days filter. Filtering and sorting by days compare times with local midnights,
so they run in SQL on any database.

Scopes (both lists): All = the rows of the customers the user may see (their data scope); Mine = the rows whose
employee (churned: "added by"; deleted: the operator, who is the relation's employee) is the user's employee;
Subordinates = the rows of employees whose superior is the user's employee (``Employee.superior_id``, synced from
WeCom's direct leader). A user without an employee sees no row in Mine or Subordinates. The churned list shows one
row per relation (its latest churn); the deleted list one row per deletion.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from sqlalchemy import and_, func, select, true
from sqlalchemy.sql import ColumnElement, Select
from sqlmodel import Session

from scrm.sdk import Customer, CustomerEvent, Employee, current_zone, utcnow
from scrm.sdk.web import parse_int

from .. import timeline
from .models import FriendLoss, LossKind

NOT_FOLLOW_UPS = ("created", "imported", "merged", "stage_changed", "transfer", *timeline.KINDS)
SCOPES = ("all", "mine", "subordinates")
CHURNED_SORTS = ("lost_at", "added_at", "last_follow_up", "days")
DELETED_SORTS = ("lost_at", "added_at")
PAGE_SIZE = 20


def _day(raw: str | None) -> date | None:
    try:
        return date.fromisoformat((raw or "").strip()) if raw else None
    except ValueError:
        return None


def _int(raw: str | None) -> int | None:
    return parse_int(raw, low=0)


def local_midnight(day: date) -> datetime:
    """The start of ``day`` in the tenant's time zone, in UTC (as every stored time)."""
    return datetime.combine(day, time.min, current_zone()).astimezone(UTC)


def today(now: datetime | None = None) -> date:
    return (now or utcnow()).astimezone(current_zone()).date()


def days_since(moment: datetime | None, now: datetime | None = None) -> int | None:
    """Whole days of the tenant's time zone from ``moment``'s date to today; None without a moment."""
    return (today(now) - moment.astimezone(current_zone()).date()).days if moment else None


@dataclass
class LossFilter:
    """The filters of one list, parsed from the query string (bad values are ignored)."""

    kind: LossKind
    q: str = ""
    scope: str = "all"
    employee_id: int | None = None
    days_min: int | None = None
    days_max: int | None = None
    added_from: date | None = None
    added_to: date | None = None
    lost_from: date | None = None
    lost_to: date | None = None
    sort: str = "lost_at"
    desc: bool = True
    page: int = 1
    args: dict[str, str] = field(default_factory=dict)

    @classmethod
    def parse(cls, kind: LossKind, args: Mapping[str, str]) -> LossFilter:
        sorts = CHURNED_SORTS if kind is LossKind.CHURNED else DELETED_SORTS
        scope = args.get("scope", "all")
        sort = args.get("sort", "lost_at")
        return cls(kind=kind, q=(args.get("q") or "").strip()[:100], scope=scope if scope in SCOPES else "all",
                   employee_id=_int(args.get("employee_id")), days_min=_int(args.get("days_min")),
                   days_max=_int(args.get("days_max")), added_from=_day(args.get("added_from")),
                   added_to=_day(args.get("added_to")), lost_from=_day(args.get("lost_from")),
                   lost_to=_day(args.get("lost_to")), sort=sort if sort in sorts else "lost_at",
                   desc=args.get("dir", "desc") != "asc", page=max(1, _int(args.get("page")) or 1),
                   args={k: v for k, v in args.items() if k != "page" and v})


def last_follow_up():
    """Correlated: the latest follow-up time of the row's customer (see the module docstring)."""
    return (select(func.max(CustomerEvent.occurred_at))
            .where(CustomerEvent.customer_id == FriendLoss.customer_id, CustomerEvent.tenant_id == FriendLoss.tenant_id,
                   CustomerEvent.kind.not_in(NOT_FOLLOW_UPS))
            .correlate(FriendLoss).scalar_subquery())


def _range(column, start: date | None, stop: date | None) -> list[ColumnElement[bool]]:
    parts = []
    if start:
        parts.append(column >= local_midnight(start))
    if stop:
        parts.append(column < local_midnight(stop + timedelta(days=1)))
    return parts


def _scope(session: Session, tenant_id: int, flt: LossFilter, employee_id: int | None,
           visibility: ColumnElement[bool] | None) -> ColumnElement[bool]:
    if flt.scope == "mine":
        return FriendLoss.employee_id == employee_id if employee_id else FriendLoss.id.is_(None)
    if flt.scope == "subordinates":
        if not employee_id:
            return FriendLoss.id.is_(None)
        team = select(Employee.id).where(Employee.tenant_id == tenant_id, Employee.superior_id == employee_id)
        return FriendLoss.employee_id.in_(team)
    return visibility if visibility is not None else true()


def build_query(session: Session, tenant_id: int, flt: LossFilter, *, employee_id: int | None = None,
                visibility: ColumnElement[bool] | None = None, now: datetime | None = None) -> Select:
    """``SELECT FriendLoss, Customer.name, last follow-up`` of the tenant's rows matching ``flt``, sorted."""
    follow_up = last_follow_up().label("last_follow_up_at")
    where: list[ColumnElement[bool]] = [FriendLoss.tenant_id == tenant_id, FriendLoss.kind == flt.kind.value,
                                        _scope(session, tenant_id, flt, employee_id, visibility)]
    if flt.kind is LossKind.CHURNED:
        latest = (select(func.max(FriendLoss.id)).where(FriendLoss.tenant_id == tenant_id,
                                                        FriendLoss.kind == LossKind.CHURNED.value)
                  .group_by(FriendLoss.account_id, FriendLoss.userid, FriendLoss.external_userid))
        where.append(FriendLoss.id.in_(latest))
    if flt.q:
        where.append(Customer.name.ilike(f"%{flt.q}%"))
    if flt.employee_id:
        column = FriendLoss.employee_id if flt.kind is LossKind.CHURNED else FriendLoss.operator_employee_id
        where.append(column == flt.employee_id)
    where += _range(FriendLoss.added_at, flt.added_from, flt.added_to)
    where += _range(FriendLoss.lost_at, flt.lost_from, flt.lost_to)
    since = func.coalesce(last_follow_up(), FriendLoss.added_at)  # never followed up: counted from the add
    if flt.days_min is not None:  # days >= N  <=>  last follow-up before local midnight of (today - N + 1)
        where.append(since < local_midnight(today(now) - timedelta(days=flt.days_min - 1)))
    if flt.days_max is not None:  # days <= M  <=>  last follow-up on or after local midnight of (today - M)
        where.append(since >= local_midnight(today(now) - timedelta(days=flt.days_max)))
    query = (select(FriendLoss, Customer.name, follow_up)
             .join(Customer, and_(Customer.id == FriendLoss.customer_id, Customer.tenant_id == tenant_id))
             .where(*where))
    return query.order_by(*_order(flt, follow_up))


def _order(flt: LossFilter, follow_up) -> list[Any]:
    if flt.sort == "days":  # more days = an older follow-up; never followed up sorts last either way
        column, desc = follow_up, not flt.desc
    elif flt.sort == "last_follow_up":
        column, desc = follow_up, flt.desc
    else:
        column, desc = getattr(FriendLoss, flt.sort), flt.desc
    ordered = column.desc() if desc else column.asc()
    tie = FriendLoss.id.desc() if flt.desc else FriendLoss.id.asc()
    return [ordered.nulls_last(), tie]


def count(session: Session, query: Select) -> int:
    return session.execute(select(func.count()).select_from(query.order_by(None).subquery())).scalar_one()


@dataclass(frozen=True)
class LossRow:
    loss: FriendLoss
    customer_name: str
    last_follow_up_at: datetime | None
    days_not_followed_up: int | None


def rows(session: Session, query: Select, *, offset: int = 0, limit: int | None = PAGE_SIZE,
         now: datetime | None = None) -> list[LossRow]:
    if limit is not None:
        query = query.offset(offset).limit(limit)
    return [LossRow(loss, name or "", last, days_since(last, now)) for loss, name, last in session.execute(query)]


def employee_names(session: Session, tenant_id: int) -> dict[int, Employee]:
    return {e.id: e for e in session.execute(select(Employee).where(Employee.tenant_id == tenant_id)).scalars()}
