"""Operators and employees see customers by data scope: all, their department (and below), or their own."""

from __future__ import annotations

import pytest

from scrm.core.models import Customer, Department, Employee


@pytest.fixture
def org(db, tenant, enable_plugins):
    enable_plugins(tenant, "members")  # the customer list is the members plugin's
    north = Department(tenant_id=tenant.id, name="North")
    db.add(north)
    db.flush()
    north_shop = Department(tenant_id=tenant.id, name="North shop", parent_id=north.id)
    south = Department(tenant_id=tenant.id, name="South")
    db.add_all([north_shop, south])
    db.flush()
    lead = Employee(tenant_id=tenant.id, userid="lead", name="Lead", department_id=north.id)
    clerk = Employee(tenant_id=tenant.id, userid="clerk", name="Clerk", department_id=north_shop.id)
    other = Employee(tenant_id=tenant.id, userid="other", name="Other", department_id=south.id)
    db.add_all([lead, clerk, other])
    db.flush()
    for name, owner in (("Lead-customer", lead), ("Clerk-customer", clerk), ("South-customer", other)):
        db.add(Customer(tenant_id=tenant.id, name=name, owner_employee_id=owner.id))
    db.commit()
    return {"lead": lead, "clerk": clerk, "other": other}


def visible_names(client, login, user) -> set[str]:
    login(user)
    html = client.get("/t/acme/members/customers/").get_data(as_text=True)
    return {n for n in ("Lead-customer", "Clerk-customer", "South-customer") if n in html}


def test_scope_all_sees_every_customer(client, login, make_user, tenant, org):
    user = make_user("all@acme.test", tenant, scope="all")
    assert visible_names(client, login, user) == {"Lead-customer", "Clerk-customer", "South-customer"}


def test_scope_department_sees_its_department_and_below(client, login, make_user, tenant, org):
    user = make_user("lead@acme.test", tenant, scope="department", employee_id=org["lead"].id)
    assert visible_names(client, login, user) == {"Lead-customer", "Clerk-customer"}


def test_scope_mine_sees_only_own_customers(client, login, make_user, tenant, org):
    user = make_user("clerk@acme.test", tenant, scope="mine", employee_id=org["clerk"].id)
    assert visible_names(client, login, user) == {"Clerk-customer"}


def test_scope_mine_without_an_employee_sees_nothing(client, login, make_user, tenant, org):
    user = make_user("nobody@acme.test", tenant, scope="mine")
    assert visible_names(client, login, user) == set()
