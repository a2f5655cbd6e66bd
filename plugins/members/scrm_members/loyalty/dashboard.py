"""The home dashboard's figures (spec A §5.1–§5.6), computed in SQL into one snapshot per tenant.

Definitions (periods are days and months of the tenant time zone):
* customers are the tenant's live (not merged) customers; a member has the member flag, everyone else is a non-member;
* a sale is an order with a payment time; after-sales (refunded) orders are not excluded (R27);
* "sales this month / today" sum the paid amount of the orders *created* in the period (the spec's "produced"),
  "orders this month" counts orders *paid* in the month, refunds are keyed by the refund-success time;
* comparisons are with the full previous month / yesterday (absolute differences);
* the trend sums the paid amount per day of payment over the last 7 days, today included;
* purchasers have at least one paid order, repeat purchasers at least two; ratios are of all customers;
* channel conversion counts all orders per source (all time) and their share of all orders;
* rankings: the current year's paid amount of orders attributed to a store or employee, against its yearly target;
  stores are departments with a target and no child department; top 10 by completion rate and by completion value.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import and_, func, select
from sqlalchemy.orm import aliased
from sqlmodel import Session

from scrm.sdk import Customer, Department, Employee, utcnow

from .models import DashboardSnapshot, Order, PerformanceTarget
from .periods import Span, day_span, divide, local_now, month_span, ratio, wan, year_span, yuan

RANKING_SIZE = 10
TREND_DAYS = 7


def _in(column, span: Span):
    return and_(column >= span.start, column < span.end)


def member_statistics(session: Session, tenant_id: int, now: datetime) -> dict[str, int]:
    today, yesterday = day_span(now), day_span(now, 1)
    month, last_month = month_span(now), month_span(now, 1)
    member, other = Customer.is_member.is_(True), Customer.is_member.is_(False)
    row = session.execute(select(
        func.count(),
        func.count().filter(_in(Customer.created_at, month)),
        func.count().filter(_in(Customer.created_at, last_month)),
        func.count().filter(member),
        func.count().filter(member, _in(Customer.created_at, today)),
        func.count().filter(member, _in(Customer.created_at, yesterday)),
        func.count().filter(other),
        func.count().filter(other, _in(Customer.created_at, today)),
        func.count().filter(other, _in(Customer.created_at, yesterday)),
    ).where(Customer.tenant_id == tenant_id, Customer.merged_into_id.is_(None))).one()
    keys = ("users", "new_this_month", "new_last_month", "members", "new_members_today", "new_members_yesterday",
            "non_members", "new_non_members_today", "new_non_members_yesterday")
    return {k: int(v or 0) for k, v in zip(keys, row, strict=True)}


def sales_statistics(session: Session, tenant_id: int, now: datetime) -> dict[str, int]:
    today, yesterday = day_span(now), day_span(now, 1)
    month, last_month = month_span(now), month_span(now, 1)
    paid = Order.paid_at.is_not(None)

    def total(*conditions):
        return func.coalesce(func.sum(Order.paid_cents).filter(paid, *conditions), 0)

    def refunds(span):
        return func.coalesce(func.sum(Order.refund_cents).filter(_in(Order.refunded_at, span)), 0)

    row = session.execute(select(
        total(),
        total(_in(Order.created_at, month)), total(_in(Order.created_at, last_month)),
        total(_in(Order.created_at, today)), total(_in(Order.created_at, yesterday)),
        func.count().filter(_in(Order.paid_at, month)), func.count().filter(_in(Order.paid_at, last_month)),
        refunds(month), refunds(last_month),
        func.count().filter(_in(Order.refunded_at, month)), func.count().filter(_in(Order.refunded_at, last_month)),
    ).where(Order.tenant_id == tenant_id)).one()
    keys = ("total_cents", "month_cents", "last_month_cents", "today_cents", "yesterday_cents", "orders_month",
            "orders_last_month", "refund_month_cents", "refund_last_month_cents", "refunds_month",
            "refunds_last_month")
    return {k: int(v or 0) for k, v in zip(keys, row, strict=True)}


def trend(session: Session, tenant_id: int, now: datetime) -> list[dict[str, Any]]:
    days = [day_span(now, back) for back in range(TREND_DAYS - 1, -1, -1)]
    sums = session.execute(select(*[
        func.coalesce(func.sum(Order.paid_cents).filter(_in(Order.paid_at, span)), 0) for span in days
    ]).where(Order.tenant_id == tenant_id, Order.paid_at >= days[0].start)).one()
    return [{"day": local_now(span.start).date().isoformat(), "cents": int(value or 0)}
            for span, value in zip(days, sums, strict=True)]


def funnel(session: Session, tenant_id: int, users: int, members: int) -> list[dict[str, Any]]:
    per_customer = (select(Order.customer_id, func.count().label("payments"))
                    .join(Customer, and_(Customer.id == Order.customer_id, Customer.merged_into_id.is_(None)))
                    .where(Order.tenant_id == tenant_id, Order.paid_at.is_not(None))
                    .group_by(Order.customer_id).subquery())
    purchasers, repeat = session.execute(select(func.count(), func.count().filter(per_customer.c.payments >= 2))
                                         .select_from(per_customer)).one()
    levels = (("users", users), ("members", members), ("purchasers", int(purchasers or 0)),
              ("repeat_purchasers", int(repeat or 0)))
    return [{"level": name, "count": count, "ratio": ratio(count, users)} for name, count in levels]


def channels(session: Session, tenant_id: int) -> list[dict[str, Any]]:
    rows = session.execute(select(Order.source, func.count()).where(Order.tenant_id == tenant_id)
                           .group_by(Order.source).order_by(func.count().desc(), Order.source)).all()
    total = sum(count for _, count in rows)
    return [{"source": source, "orders": count, "share": ratio(count, total)} for source, count in rows]


def _ranked(rows: list[tuple[str, int, int]]) -> dict[str, list[dict[str, Any]]]:
    items = [{"name": name, "value_cents": value, "target_cents": target, "rate": ratio(value, target),
              "_rate": value / target if target else 0} for name, value, target in rows]
    by_rate = sorted(items, key=lambda i: (-i["_rate"], -i["value_cents"], i["name"]))[:RANKING_SIZE]
    by_value = sorted(items, key=lambda i: (-i["value_cents"], -i["_rate"], i["name"]))[:RANKING_SIZE]
    strip = lambda seq: [{k: v for k, v in i.items() if k != "_rate"} for i in seq]  # noqa: E731
    return {"by_rate": strip(by_rate), "by_value": strip(by_value)}


def rankings(session: Session, tenant_id: int, now: datetime) -> dict[str, Any]:
    """Store and employee rankings of the current local year; data permissions do not apply (R11)."""
    year = local_now(now).year
    span = year_span(year)
    paid_in_year = and_(Order.tenant_id == tenant_id, Order.paid_at >= span.start, Order.paid_at < span.end)
    child = aliased(Department)
    store_value = (select(func.coalesce(func.sum(Order.paid_cents), 0)).where(
        paid_in_year, Order.store_id == Department.id).scalar_subquery())
    stores = session.execute(
        select(Department.name, store_value, PerformanceTarget.target_cents)
        .join(PerformanceTarget, and_(PerformanceTarget.department_id == Department.id,
                                      PerformanceTarget.year == year, PerformanceTarget.target_cents > 0))
        .where(Department.tenant_id == tenant_id,
               ~select(child.id).where(child.parent_id == Department.id).exists())).all()
    employee_value = (select(func.coalesce(func.sum(Order.paid_cents), 0)).where(
        paid_in_year, Order.employee_id == Employee.id).scalar_subquery())
    employees = session.execute(
        select(Employee.name, Department.name, employee_value, PerformanceTarget.target_cents)
        .join(PerformanceTarget, and_(PerformanceTarget.employee_id == Employee.id, PerformanceTarget.year == year,
                                      PerformanceTarget.target_cents > 0))
        .outerjoin(Department, Department.id == Employee.department_id)
        .where(Employee.tenant_id == tenant_id)).all()
    return {
        "year": year,
        "stores": _ranked([(n, int(v), int(t)) for n, v, t in stores]),
        "employees": _ranked([(f"{n}({d})" if d else n, int(v), int(t)) for n, d, v, t in employees]),
    }


def compute(session: Session, tenant_id: int, now: datetime | None = None) -> dict[str, Any]:
    """Every figure of the dashboard at ``now``."""
    now = now or utcnow()
    members = member_statistics(session, tenant_id, now)
    return {
        "members": members,
        "sales": sales_statistics(session, tenant_id, now),
        "trend": trend(session, tenant_id, now),
        "funnel": funnel(session, tenant_id, members["users"], members["members"]),
        "channels": channels(session, tenant_id),
        "rankings": rankings(session, tenant_id, now),
    }


def refresh(session: Session, tenant_id: int, now: datetime | None = None) -> DashboardSnapshot:
    """Recompute the tenant's snapshot and stamp it with the run time."""
    now = now or utcnow()
    data = compute(session, tenant_id, now)
    row = latest(session, tenant_id)
    if row is None:
        row = DashboardSnapshot(tenant_id=tenant_id)
    row.data, row.computed_at = data, now
    session.add(row)
    session.flush()
    return row


def latest(session: Session, tenant_id: int) -> DashboardSnapshot | None:
    return session.execute(select(DashboardSnapshot).where(
        DashboardSnapshot.tenant_id == tenant_id)).scalar_one_or_none()


def delta(current: int, previous: int) -> dict[str, Any]:
    """A comparison for display: the absolute difference and its direction."""
    diff = current - previous
    return {"diff": abs(diff), "up": diff > 0, "down": diff < 0}


__all__ = ["compute", "delta", "divide", "latest", "refresh", "wan", "yuan"]
