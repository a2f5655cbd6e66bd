"""Shared helpers of the member-level and preferred-product tests: levels, customers' levels, order lines and segments
written straight to the database (the loyalty helpers give the tenants, the signed-in admin, customers and orders)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date

import pytest
from scrm_members.loyalty.models import CustomerLevel, MemberLevel, Order, OrderItem
from scrm_members.segments.models import Segment, SegmentCategory, SegmentMember

from scrm.core.models import Customer


@pytest.fixture
def level(db) -> Callable[..., MemberLevel]:
    """``level(tenant, "Gold", rank=2, months=None)``: a member level (``months`` None: permanent by default)."""

    def add(tenant, name: str, rank: int = 1, months: int | None = None) -> MemberLevel:
        row = MemberLevel(tenant_id=tenant.id, name=name, rank=rank, validity_months=months)
        db.add(row)
        db.commit()
        return row

    return add


@pytest.fixture
def give_level(db) -> Callable[..., CustomerLevel]:
    """``give_level(customer, level, until=None)``: the customer holds the level until ``until`` (None: permanent)."""

    def add(customer: Customer, member_level: MemberLevel, until: date | None = None) -> CustomerLevel:
        row = CustomerLevel(tenant_id=customer.tenant_id, customer_id=customer.id, level_id=member_level.id,
                            valid_until=until)
        db.add(row)
        db.commit()
        return row

    return add


@pytest.fixture
def line(db) -> Callable[..., OrderItem]:
    """``line(order, "SKU-1", quantity=1, paid=10.0)``: an order line (amounts in yuan)."""
    counter = {"n": 0}

    def add(order: Order, code: str, quantity: int = 1, paid: float = 10.0, name: str | None = None,
            category: str = "") -> OrderItem:
        counter["n"] += 1
        row = OrderItem(tenant_id=order.tenant_id, order_id=order.id, line_no=counter["n"], product_code=code,
                        product_name=name or f"Product {code}", category=category, quantity=quantity,
                        paid_cents=round(paid * 100), unit_price_cents=round(paid * 100 / quantity))
        db.add(row)
        db.commit()
        return row

    return add


@pytest.fixture
def manual_segment(db) -> Callable[..., Segment]:
    """``manual_segment(tenant, customers, name="Picked")``: a static segment holding exactly ``customers``."""

    def add(tenant, customers: list[Customer], name: str = "Picked") -> Segment:
        category = SegmentCategory(tenant_id=tenant.id, kind="static", name=f"{name} category")
        db.add(category)
        db.commit()
        segment = Segment(tenant_id=tenant.id, category_id=category.id, name=name, kind="static", mode="manual",
                          rule={}, member_count=len(customers))
        db.add(segment)
        db.commit()
        db.add_all([SegmentMember(tenant_id=tenant.id, segment_id=segment.id, customer_id=c.id, added_by="manual")
                    for c in customers])
        db.commit()
        return segment

    return add
