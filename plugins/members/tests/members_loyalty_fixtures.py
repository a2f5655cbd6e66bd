"""Shared helpers of the loyalty area's tests: two tenants with the members plugin, a signed-in tenant admin,
customers, stores, employees and orders written straight to the database."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any

import pytest
from scrm_members.loyalty.models import Order, OrderStatus

from scrm.core.models import Customer, Department, Employee
from scrm.core.timeutil import utcnow


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


@pytest.fixture
def loyalty_tenant(tenant, other_tenant, enable_plugins):
    """``tenant`` (acme) and ``other_tenant`` (globex), both with the members plugin enabled."""
    enable_plugins(tenant, "members")
    enable_plugins(other_tenant, "members")
    return tenant


@pytest.fixture
def admin(make_user, loyalty_tenant, login):
    """A tenant admin of acme, signed in."""
    user = make_user("boss@acme.test", loyalty_tenant, role="tenant_admin")
    login(user)
    return user


@pytest.fixture
def customer(db) -> Callable[..., Customer]:
    def add(tenant, name: str = "Ann", **fields: Any) -> Customer:
        row = Customer(tenant_id=tenant.id, name=name, **fields)
        db.add(row)
        db.commit()
        return row

    return add


@pytest.fixture
def store(db) -> Callable[..., Department]:
    def add(tenant, name: str, parent: Department | None = None) -> Department:
        row = Department(tenant_id=tenant.id, name=name, parent_id=parent.id if parent else None)
        db.add(row)
        db.commit()
        return row

    return add


@pytest.fixture
def employee(db) -> Callable[..., Employee]:
    def add(tenant, name: str, department: Department | None = None) -> Employee:
        row = Employee(tenant_id=tenant.id, userid=name.lower(), name=name,
                       department_id=department.id if department else None)
        db.add(row)
        db.commit()
        return row

    return add


@pytest.fixture
def order(db) -> Callable[..., Order]:
    """``order(customer, paid=100.00, paid_at=..., ...)``: an order of the customer's tenant (amounts in yuan)."""
    counter = {"n": 0}

    def add(owner: Customer, paid: float = 100.0, *, paid_at: datetime | None = None, created_at: datetime | None = None,
            refund: float = 0.0, refunded_at: datetime | None = None, items: int = 1, source: str = "tmall",
            store_id: int | None = None, employee_id: int | None = None, unpaid: bool = False,
            goods: float | None = None) -> Order:
        counter["n"] += 1
        now = utcnow()
        row = Order(tenant_id=owner.tenant_id, customer_id=owner.id, source=source, order_no=f"T{counter['n']:05d}",
                    paid_cents=round(paid * 100), goods_cents=round((paid if goods is None else goods) * 100),
                    refund_cents=round(refund * 100), item_count=items, created_at=created_at or paid_at or now,
                    paid_at=None if unpaid else (paid_at or now), refunded_at=refunded_at, store_id=store_id,
                    employee_id=employee_id,
                    status=OrderStatus.REFUNDED.value if refund and refund >= paid else OrderStatus.PAID.value)
        db.add(row)
        db.commit()
        return row

    return add
