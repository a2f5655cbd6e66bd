"""Preferred products (偏好商品) from order lines: a customer's products, and a segment's products with their buyers
and purchase rate (购买率 = buyers among the segment's members / the segment's members, spec A §5.7).

A purchase of a product is a line of a paid order; fully refunded orders are left out, like the profile's cumulative
purchases ("不含退款"). Each figure is one aggregate SQL query over ``members_order_item`` joined to its orders, never a
loop over customers.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import and_, func, select
from sqlmodel import Session

from scrm.sdk import Customer

from ..segments.models import SegmentMember
from .models import Order, OrderItem, OrderStatus
from .periods import divide, ratio, yuan

SORTS = ("quantity", "buyers", "rate", "amount", "unit_price")
PAGE_SIZE = 50


def _purchase(tenant_id: int) -> Any:
    return and_(Order.id == OrderItem.order_id, Order.tenant_id == tenant_id, Order.paid_at.is_not(None),
                Order.status != OrderStatus.REFUNDED.value)


@dataclass
class CustomerProduct:
    code: str
    name: str
    orders: int
    quantity: int
    amount: str
    last_at: datetime | None


def customer_products(session: Session, tenant_id: int, customer_id: int, limit: int = 20) -> list[CustomerProduct]:
    """The customer's products, most often bought first (then by quantity)."""
    purchases = func.count(func.distinct(Order.id))
    rows = session.execute(
        select(OrderItem.product_code, func.max(OrderItem.product_name), purchases, func.sum(OrderItem.quantity),
               func.sum(OrderItem.paid_cents), func.max(Order.paid_at))
        .join(Order, _purchase(tenant_id))
        .where(OrderItem.tenant_id == tenant_id, Order.customer_id == customer_id)
        .group_by(OrderItem.product_code)
        .order_by(purchases.desc(), func.sum(OrderItem.quantity).desc(), OrderItem.product_code)
        .limit(limit)).all()
    return [CustomerProduct(code, name, int(n), int(qty), yuan(paid), last) for code, name, n, qty, paid, last in rows]


@dataclass
class SegmentProduct:
    code: str
    name: str
    category: str
    quantity: int
    buyers: int
    rate: str
    amount: str
    unit_price: str


@dataclass
class SegmentProducts:
    members: int
    rows: list[SegmentProduct]
    more: bool


def _live_members(tenant_id: int, segment_id: int) -> Any:
    return and_(SegmentMember.segment_id == segment_id, SegmentMember.tenant_id == tenant_id,
                Customer.id == SegmentMember.customer_id, Customer.merged_into_id.is_(None))


def member_count(session: Session, tenant_id: int, segment_id: int, scope: Any = None) -> int:
    """The segment's live members (those ``scope``, the user's customer visibility, lets the user see): the purchase
    rate's denominator."""
    query = (select(func.count()).select_from(SegmentMember).join(Customer, Customer.id == SegmentMember.customer_id)
             .where(_live_members(tenant_id, segment_id)))
    return session.execute(query.where(scope) if scope is not None else query).scalar_one()


def segment_products(session: Session, tenant_id: int, segment_id: int, *, name: str = "", category: str = "",
                     sort: str = "buyers", descending: bool = True, page: int = 1,
                     limit: int | None = PAGE_SIZE, scope: Any = None) -> SegmentProducts:
    """The products the segment's members bought: quantity, buyers, purchase rate, amount and the amount per unit
    (购买客单价, spec: amount / quantity). Filters: product name or code (contains), category (exact). With ``scope``
    (the user's customer visibility) only the members the user may see count."""
    members = member_count(session, tenant_id, segment_id, scope)
    quantity = func.sum(OrderItem.quantity)
    buyers = func.count(func.distinct(Order.customer_id))
    amount = func.sum(OrderItem.paid_cents)
    order_by = {"quantity": quantity, "buyers": buyers, "rate": buyers, "amount": amount,
                "unit_price": amount * 1.0 / func.nullif(quantity, 0)}[sort if sort in SORTS else "buyers"]
    query = (select(OrderItem.product_code, func.max(OrderItem.product_name), func.max(OrderItem.category),
                    quantity, buyers, amount)
             .join(Order, _purchase(tenant_id))
             .join(SegmentMember, and_(SegmentMember.customer_id == Order.customer_id,
                                       SegmentMember.segment_id == segment_id, SegmentMember.tenant_id == tenant_id))
             .join(Customer, and_(Customer.id == Order.customer_id, Customer.merged_into_id.is_(None)))
             .where(OrderItem.tenant_id == tenant_id)
             .group_by(OrderItem.product_code)
             .order_by(order_by.desc() if descending else order_by.asc(), OrderItem.product_code))
    if name:
        like = f"%{name}%"
        query = query.where(OrderItem.product_name.ilike(like) | OrderItem.product_code.ilike(like))
    if category:
        query = query.where(OrderItem.category == category)
    if scope is not None:
        query = query.where(scope)
    if limit is not None:
        query = query.limit(limit + 1).offset((max(page, 1) - 1) * limit)
    rows = session.execute(query).all()
    more = limit is not None and len(rows) > limit
    rows = rows[:limit] if limit is not None else rows
    return SegmentProducts(members, [
        SegmentProduct(code, product, cat, int(qty), int(n), ratio(n, members), yuan(paid), divide(paid, qty * 100))
        for code, product, cat, qty, n, paid in rows], more)


def categories(session: Session, tenant_id: int) -> list[str]:
    return [c for c in session.execute(select(OrderItem.category).where(OrderItem.tenant_id == tenant_id,
                                                                       OrderItem.category != "")
                                       .group_by(OrderItem.category).order_by(OrderItem.category)).scalars()]
