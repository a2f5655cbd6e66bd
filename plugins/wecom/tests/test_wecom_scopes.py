"""WeCom pages that list customers apply the user's data scope: an operator limited to their own customers (or their
department's) sees only those in the recent welcome sends; a tenant admin sees every one."""

from __future__ import annotations

import pytest

from scrm.core.models import Customer, Department, Employee, MessageDelivery

NAMES = ("Lead-customer", "Clerk-customer", "South-customer")


@pytest.fixture
def org(db, tenant, enable_plugins):
    enable_plugins(tenant, "wecom")
    north = Department(tenant_id=tenant.id, name="North")
    south = Department(tenant_id=tenant.id, name="South")
    db.add_all([north, south])
    db.flush()
    shop = Department(tenant_id=tenant.id, name="North shop", parent_id=north.id)
    db.add(shop)
    db.flush()
    staff = {key: Employee(tenant_id=tenant.id, userid=key, name=key.title(), department_id=dept.id)
             for key, dept in (("lead", north), ("clerk", shop), ("other", south))}
    db.add_all(staff.values())
    db.flush()
    for name, owner in zip(NAMES, ("lead", "clerk", "other"), strict=True):
        customer = Customer(tenant_id=tenant.id, name=name, owner_employee_id=staff[owner].id)
        db.add(customer)
        db.flush()
        db.add(MessageDelivery(tenant_id=tenant.id, channel="wecom", kind="welcome", customer_id=customer.id,
                               recipient=f"wm-{name}", idempotency_key=f"welcome:{name}"))
    db.add(MessageDelivery(tenant_id=tenant.id, channel="wecom", kind="welcome", customer_id=None,
                           recipient="wm-unknown-friend", idempotency_key="welcome:unknown"))
    db.commit()
    return staff


@pytest.mark.parametrize(("scope", "employee", "expected"), [
    ("mine", "clerk", {"Clerk-customer"}),
    ("department", "lead", {"Lead-customer", "Clerk-customer"}),
    ("all", None, set(NAMES) | {"wm-unknown-friend"}),
])
def test_recent_welcome_sends_show_only_visible_customers(client, login, make_user, tenant, org, scope, employee,
                                                          expected):
    user = make_user(f"{scope}@acme.test", tenant, role="operator", scope=scope,
                     employee_id=org[employee].id if employee else None)
    login(user)
    html = client.get("/t/acme/wecom/welcome/").get_data(as_text=True)
    assert {name for name in (*NAMES, "wm-unknown-friend") if name in html} == expected
