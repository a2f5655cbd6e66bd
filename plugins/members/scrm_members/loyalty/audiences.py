"""Audience filter types of the loyalty area: purchase behaviour (section "purchase"), the current stage and the
points balance (section "member"). Each compiles to a correlated subquery or EXISTS on ``members_order`` (index
``customer_id, paid_at, paid_cents``), ``members_stage_membership`` (index ``customer_id, left_at, stage_id``) or
``members_points_balance``, so a segment over millions of orders stays one SQL query.

The subqueries are correlated on the customer and read only columns of those indexes (``count(*)``, no
``tenant_id``), so the database answers them from the index alone (an index-only scan), for the few customers the
other conditions leave. "Last purchase between" starts from the range's orders instead (index ``tenant_id, paid_at,
customer_id``). The customer's tenant is fixed by the audience itself (``customer.tenant_id``), and an order
or a stage membership belongs to the tenant of its customer. Measured on 2,000,000 orders: the per-customer form
beats ``customer_id IN (SELECT customer_id ... GROUP BY customer_id HAVING count(*) >= n)``, which aggregates every
paid order of the tenant whatever the other conditions leave (plugin README, "Customer list and segments at scale").

Values: number ranges are ``{"min": a, "max": b}`` (either may be left out; amounts in yuan), date ranges
``{"from": "YYYY-MM-DD", "to": "YYYY-MM-DD"}`` (local days), "no purchase within" takes whole numbers of days.
"""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal, InvalidOperation
from typing import Any

from flask_babel import lazy_gettext as _l
from sqlalchemy import and_, exists, func, not_, or_, select
from sqlmodel import Session

from scrm.sdk import Customer, Department, FilterType, utcnow

from .models import Order, PointsBalance, Stage, StageMembership
from .periods import local_midnight


def _paid(ctx) -> Any:
    """The customer's paid orders (correlated on ``customer.id``; see the module docstring for the tenant)."""
    return and_(Order.customer_id == Customer.id, Order.paid_at.is_not(None))


def _number(raw: Any, name: str) -> Decimal | None:
    if raw in (None, ""):
        return None
    try:
        value = Decimal(str(raw))
    except InvalidOperation:
        raise ValueError(f"{name} must be a number") from None
    if not value.is_finite():
        raise ValueError(f"{name} must be a number")
    return value


def _ranges(values: list[Any], expression: Any, scale: int = 1) -> Any:
    clauses = []
    for value in values:
        if not isinstance(value, dict):
            raise ValueError("a range is {'min': number, 'max': number}")
        low, high = _number(value.get("min"), "min"), _number(value.get("max"), "max")
        if low is None and high is None:
            raise ValueError("a range needs 'min' or 'max'")
        if low is not None and high is not None and low > high:
            raise ValueError("'min' is above 'max'")
        parts = []
        if low is not None:
            parts.append(expression >= low * scale)
        if high is not None:
            parts.append(expression <= high * scale)
        clauses.append(and_(*parts))
    return or_(*clauses)


def _purchase_count(values: list[Any], ctx) -> Any:
    count = select(func.count()).select_from(Order).where(_paid(ctx)).scalar_subquery()
    return _ranges(values, count)


def _paid_amount(values: list[Any], ctx) -> Any:
    total = select(func.coalesce(func.sum(Order.paid_cents), 0)).where(_paid(ctx)).scalar_subquery()
    return _ranges(values, total, scale=100)


def _day(raw: Any) -> date | None:
    if raw in (None, ""):
        return None
    return date.fromisoformat(str(raw)[:10])


def _last_purchase(values: list[Any], ctx) -> Any:
    """The last paid order falls in the range: a paid order in [from, to] and none after ``to``. Written so (not as
    ``max(paid_at)`` per customer) the database can start from the range's orders, index ``tenant_id, paid_at,
    customer_id``, instead of computing every customer's last purchase."""
    clauses = []
    for value in values:
        if not isinstance(value, dict):
            raise ValueError("a date range is {'from': 'YYYY-MM-DD', 'to': 'YYYY-MM-DD'}")
        start, stop = _day(value.get("from")), _day(value.get("to"))
        if start is None and stop is None:
            raise ValueError("a date range needs 'from' or 'to'")
        in_range = [Order.customer_id == Customer.id, Order.tenant_id == ctx.tenant_id, Order.paid_at.is_not(None)]
        parts = []
        if start is not None:
            in_range.append(Order.paid_at >= local_midnight(start))
        if stop is not None:
            end = local_midnight(stop + timedelta(days=1))
            in_range.append(Order.paid_at < end)
            parts.append(not_(exists().where(_paid(ctx), Order.paid_at >= end)))
        clauses.append(and_(exists().where(*in_range), *parts))
    return or_(*clauses)


def _no_purchase_within(values: list[Any], ctx) -> Any:
    clauses = []
    for value in values:
        days = str(value).strip()
        if not days.isdigit() or not 1 <= int(days) <= 3650:
            raise ValueError("give a number of days from 1 to 3650")
        since = utcnow() - timedelta(days=int(days))
        clauses.append(not_(exists().where(_paid(ctx), Order.paid_at >= since)))
    return or_(*clauses)


def _purchased_at_store(values: list[Any], ctx) -> Any:
    ids = [int(v) for v in values]
    return exists().where(_paid(ctx), Order.store_id.in_(ids))


def _in_stage(values: list[Any], ctx) -> Any:
    ids = [int(v) for v in values]
    return exists().where(StageMembership.customer_id == Customer.id, StageMembership.left_at.is_(None),
                          StageMembership.stage_id.in_(ids))


def _stage_customers(values: list[Any], ctx) -> Any:
    """The customers now in any of the stages, from the index (stage_id, left_at, entered_at, customer_id) alone."""
    ids = [int(v) for v in values]
    return select(StageMembership.customer_id).where(StageMembership.stage_id.in_(ids),
                                                     StageMembership.left_at.is_(None))


def _points(values: list[Any], ctx) -> Any:
    points = select(func.coalesce(func.max(PointsBalance.balance), 0)).where(
        PointsBalance.customer_id == Customer.id, PointsBalance.tenant_id == ctx.tenant_id).scalar_subquery()
    return _ranges(values, points)


def _store_choices(session: Session, tenant_id: int) -> list[tuple[Any, str]]:
    rows = session.execute(select(Department.id, Department.name).where(Department.tenant_id == tenant_id)
                           .order_by(Department.order, Department.name)).all()
    return [(r.id, r.name) for r in rows]


def _stage_choices(session: Session, tenant_id: int) -> list[tuple[Any, str]]:
    rows = session.execute(select(Stage.id, Stage.ordinal, Stage.name).where(Stage.tenant_id == tenant_id)
                           .order_by(Stage.ordinal)).all()
    return [(r.id, f"{r.ordinal:02d} {r.name}") for r in rows]


def audience_filters(tenant) -> list[FilterType]:
    return [
        FilterType("purchase_count", _l("Number of purchases"), _purchase_count, "number_range", "purchase",
                   plugin="members"),
        FilterType("paid_amount", _l("Cumulative paid amount (yuan)"), _paid_amount, "number_range", "purchase",
                   plugin="members"),
        FilterType("last_purchase", _l("Last purchase between"), _last_purchase, "date_range", "purchase",
                   plugin="members"),
        FilterType("no_purchase_within", _l("No purchase within (days)"), _no_purchase_within, "text", "purchase",
                   plugin="members"),
        FilterType("purchased_at_store", _l("Purchased at store"), _purchased_at_store, "choice", "purchase",
                   choices=_store_choices, plugin="members"),
        FilterType("stage", _l("Lifecycle stage"), _in_stage, "choice", "member", choices=_stage_choices,
                   plugin="members", customer_ids=_stage_customers),
        FilterType("points", _l("Points balance"), _points, "number_range", "member", plugin="members"),
    ]
