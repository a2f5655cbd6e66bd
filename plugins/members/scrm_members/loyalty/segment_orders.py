"""The group profile's order list (订单列表) and coupons (优惠券) tabs: the orders of the segment's live members, and the
discounts recorded with their paid orders.

The platform issues no coupons of its own: a brand's coupons are redeemed in its shops (Tmall, Douyin, the mall) and
arrive here as the order's discount (``discount_cents``, goods; ``shipping_discount_cents``, shipping). The coupons
tab therefore reports coupon use as recorded with the orders: paid orders with a discount, the customers who used
one, the usage rate (discounted paid orders / paid orders, 2 decimals) and the discount given, with those orders
listed. With ``scope`` (the user's customer visibility) only the members the user may see count.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import and_, func, or_, select
from sqlmodel import Session

from scrm.sdk import Customer

from ..segments.models import SegmentMember
from .models import Order
from .periods import ratio, yuan

ORDERS_PAGE_SIZE = 20


def _members_orders(tenant_id: int, segment_id: int, scope: Any):
    query = (select(Order, Customer.name)
             .join(SegmentMember, and_(SegmentMember.customer_id == Order.customer_id,
                                       SegmentMember.segment_id == segment_id, SegmentMember.tenant_id == tenant_id))
             .join(Customer, and_(Customer.id == Order.customer_id, Customer.merged_into_id.is_(None)))
             .where(Order.tenant_id == tenant_id))
    return query.where(scope) if scope is not None else query


def _discounted() -> Any:
    return and_(Order.paid_at.is_not(None), or_(Order.discount_cents > 0, Order.shipping_discount_cents > 0))


@dataclass
class OrderPage:
    rows: list  # (Order, customer name)
    total: int
    page: int
    pages: int


def _page(session: Session, query, page: int) -> OrderPage:
    total = session.execute(select(func.count()).select_from(query.subquery())).scalar_one()
    pages = max(1, -(-total // ORDERS_PAGE_SIZE))
    page = min(max(page, 1), pages)
    rows = session.execute(query.order_by(Order.created_at.desc(), Order.id.desc())
                           .limit(ORDERS_PAGE_SIZE).offset((page - 1) * ORDERS_PAGE_SIZE)).all()
    return OrderPage([tuple(r) for r in rows], total, page, pages)


def segment_orders(session: Session, tenant_id: int, segment_id: int, page: int = 1, scope: Any = None) -> OrderPage:
    """The members' orders, newest first, ``ORDERS_PAGE_SIZE`` a page."""
    return _page(session, _members_orders(tenant_id, segment_id, scope), page)


@dataclass
class CouponUse:
    paid_orders: int
    discounted_orders: int
    customers: int
    usage_rate: str  # discounted paid orders / paid orders, %, 2 decimals
    goods_discount: str  # yuan
    shipping_discount: str  # yuan
    orders: OrderPage


def coupon_use(session: Session, tenant_id: int, segment_id: int, page: int = 1, scope: Any = None) -> CouponUse:
    members = _members_orders(tenant_id, segment_id, scope).subquery()
    paid = session.execute(select(func.count()).select_from(members).where(members.c.paid_at.is_not(None))).scalar_one()
    used = session.execute(
        select(func.count(), func.count(func.distinct(members.c.customer_id)),
               func.coalesce(func.sum(members.c.discount_cents), 0),
               func.coalesce(func.sum(members.c.shipping_discount_cents), 0))
        .select_from(members)
        .where(members.c.paid_at.is_not(None),
               or_(members.c.discount_cents > 0, members.c.shipping_discount_cents > 0))).one()
    discounted = _members_orders(tenant_id, segment_id, scope).where(_discounted())
    return CouponUse(paid, int(used[0]), int(used[1]), ratio(int(used[0]), paid), yuan(int(used[2])),
                     yuan(int(used[3])), _page(session, discounted, page))
