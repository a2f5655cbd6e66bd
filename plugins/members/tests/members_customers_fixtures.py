"""Shared helpers of the customers area's tests: a tenant admin signed in to acme (members enabled, globex too),
customers with mobile identities, employees, custom fields and a reader of committed rows."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from scrm_members.customers.models import CustomField

from scrm.core.models import Customer, CustomerIdentity, Employee


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


@pytest.fixture
def acme(tenant, other_tenant, enable_plugins):
    """``tenant`` (acme) and ``other_tenant`` (globex), both with the members plugin enabled."""
    enable_plugins(tenant, "members")
    enable_plugins(other_tenant, "members")
    return tenant


@pytest.fixture
def signin(client, login) -> Callable[..., Any]:
    """``signin(user)``: sign ``client`` in as ``user`` and switch the pages to English."""

    def do(user):
        login(user)
        client.get("/lang/en")
        return client

    return do


@pytest.fixture
def admin(make_user, acme, signin):
    """A tenant admin of acme, signed in on ``client`` (pages in English)."""
    user = make_user("boss@acme.test", acme, role="tenant_admin")
    signin(user)
    return user


@pytest.fixture
def customer(db) -> Callable[..., Customer]:
    """``customer(tenant, "Anna", mobile="13800000001", **columns)``: a customer with its mobile identities."""

    def add(tenant, name: str, mobile: str | None = None, extra: tuple[str, ...] = (), **fields: Any) -> Customer:
        row = Customer(tenant_id=tenant.id, name=name, mobile=mobile, **fields)
        db.add(row)
        db.flush()
        for kind, value in [("mobile", m) for m in ([mobile] if mobile else []) + list(extra)]:
            db.add(CustomerIdentity(tenant_id=tenant.id, customer_id=row.id, kind=kind, value=value))
        db.commit()
        return row

    return add


@pytest.fixture
def employee(db) -> Callable[..., Employee]:
    def add(tenant, name: str, status: str = "active", department_id: int | None = None) -> Employee:
        row = Employee(tenant_id=tenant.id, userid=f"{name.lower()}-{tenant.id}", name=name, status=status,
                       department_id=department_id)
        db.add(row)
        db.commit()
        return row

    return add


@pytest.fixture
def custom_field(db) -> Callable[..., CustomField]:
    def add(tenant, name: str, field_type: str = "single_line_text", **values: Any) -> CustomField:
        values.setdefault("enabled", True)
        if field_type in ("single_line_text", "multi_line_text"):
            values.setdefault("charset", ["chinese", "digits", "letters", "symbols"])
        row = CustomField(tenant_id=tenant.id, name=name, field_type=field_type, **values)
        db.add(row)
        db.commit()
        return row

    return add


def committed(db, query) -> list:
    """Rows of ``query`` as committed by the app (the read transaction is ended after)."""
    db.commit()
    db.expire_all()
    rows = list(db.exec(query))
    db.commit()
    return rows


def fresh(db, model, row_id: int):
    db.commit()
    db.expire_all()
    row = db.get(model, row_id)
    db.commit()
    return row
