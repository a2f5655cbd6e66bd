"""Shared helpers of the segments area's tests: a staff user signed in to a tenant with the members plugin, customers,
tag categories and tags, written straight to the database."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from sqlmodel import select

from scrm.core.models import Customer, CustomerTag, Department, Employee, Tag, TagGroup


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


@pytest.fixture
def members_tenant(tenant, other_tenant, enable_plugins):
    """``tenant`` (acme) and ``other_tenant`` (globex), both with the members plugin enabled."""
    enable_plugins(tenant, "members")
    enable_plugins(other_tenant, "members")
    return tenant


@pytest.fixture
def staff(make_user, members_tenant, login):
    """A tenant admin of acme, signed in."""
    user = make_user("boss@acme.test", members_tenant, role="tenant_admin")
    login(user)
    return user


@pytest.fixture
def add_customer(db) -> Callable[..., Customer]:
    def add(tenant, name: str, **fields: Any) -> Customer:
        customer = Customer(tenant_id=tenant.id, name=name, **fields)
        db.add(customer)
        db.commit()
        return customer

    return add


@pytest.fixture
def add_category(db) -> Callable[..., TagGroup]:
    def add(tenant, name: str, source: str = "manual", parent: TagGroup | None = None) -> TagGroup:
        group = TagGroup(tenant_id=tenant.id, name=name, source=source, parent_id=parent.id if parent else None)
        db.add(group)
        db.commit()
        return group

    return add


@pytest.fixture
def add_tag(db) -> Callable[..., Tag]:
    def add(group: TagGroup, name: str) -> Tag:
        tag = Tag(tenant_id=group.tenant_id, group_id=group.id, name=name, source=group.source)
        db.add(tag)
        db.commit()
        return tag

    return add


@pytest.fixture
def add_employee(db) -> Callable[..., Employee]:
    def add(tenant, name: str, department: Department | None = None) -> Employee:
        employee = Employee(tenant_id=tenant.id, userid=name.lower(), name=name,
                            department_id=department.id if department else None)
        db.add(employee)
        db.commit()
        return employee

    return add


@pytest.fixture
def add_department(db) -> Callable[..., Department]:
    def add(tenant, name: str, parent: Department | None = None) -> Department:
        department = Department(tenant_id=tenant.id, name=name, parent_id=parent.id if parent else None)
        db.add(department)
        db.commit()
        return department

    return add


def committed(db, query) -> list:
    """Rows of ``query`` as committed by the app; the read transaction is ended after, so nothing stays locked."""
    db.commit()
    rows = list(db.exec(query))
    db.commit()
    return rows


def tag_ids_of(db, customer_id: int) -> set[int]:
    return set(committed(db, select(CustomerTag.tag_id).where(CustomerTag.customer_id == customer_id)))


def carriers(db, tag_id: int) -> set[int]:
    return set(committed(db, select(CustomerTag.customer_id).where(CustomerTag.tag_id == tag_id)))
