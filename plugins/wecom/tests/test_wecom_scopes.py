"""WeCom pages that list customers apply the user's data scope: an operator limited to their own customers (or their
department's) sees only those in the recent welcome sends and in a group chat's roster; a tenant admin sees every
one."""

from __future__ import annotations

import pytest
from scrm_wecom.groupchats.models import GroupChat, GroupMember, MemberType

from scrm.core.models import ChannelAccount, Customer, Department, Employee, MessageDelivery

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
    account = ChannelAccount(tenant_id=tenant.id, plugin="wecom", name="Corp", external_id="wwscope", config={})
    db.add(account)
    db.flush()
    chat = GroupChat(tenant_id=tenant.id, account_id=account.id, chat_id="wrscope", name="Scope chat",
                     owner_employee_id=staff["other"].id, member_count=5)
    db.add(chat)
    db.flush()
    db.add(GroupMember(tenant_id=tenant.id, group_chat_id=chat.id, member_id="other", type=MemberType.EMPLOYEE,
                       name="Other", employee_id=staff["other"].id))
    db.add(GroupMember(tenant_id=tenant.id, group_chat_id=chat.id, member_id="wm-unknown-friend",
                       name="wm-unknown-friend"))
    for name, owner in zip(NAMES, ("lead", "clerk", "other"), strict=True):
        customer = Customer(tenant_id=tenant.id, name=name, owner_employee_id=staff[owner].id)
        db.add(customer)
        db.flush()
        db.add(GroupMember(tenant_id=tenant.id, group_chat_id=chat.id, member_id=f"wm-{name}", name=name,
                           customer_id=customer.id))
        db.add(MessageDelivery(tenant_id=tenant.id, channel="wecom", kind="welcome", customer_id=customer.id,
                               recipient=f"wm-{name}", idempotency_key=f"welcome:{name}"))
    db.add(MessageDelivery(tenant_id=tenant.id, channel="wecom", kind="welcome", customer_id=None,
                           recipient="wm-unknown-friend", idempotency_key="welcome:unknown"))
    db.commit()
    return {**staff, "chat": chat}


SCOPES = pytest.mark.parametrize(("scope", "employee", "expected"), [
    ("mine", "clerk", {"Clerk-customer"}),
    ("department", "lead", {"Lead-customer", "Clerk-customer"}),
    ("all", None, set(NAMES)),
])


def _sign_in(client, login, make_user, tenant, org, scope, employee):
    user = make_user(f"{scope}@acme.test", tenant, role="operator", scope=scope,
                     employee_id=org[employee].id if employee else None)
    login(user)


@SCOPES
def test_recent_welcome_sends_show_only_visible_customers(client, login, make_user, tenant, org, scope, employee,
                                                          expected):
    _sign_in(client, login, make_user, tenant, org, scope, employee)
    html = client.get("/t/acme/wecom/welcome/").get_data(as_text=True)
    unknown = {"wm-unknown-friend"} if scope == "all" else set()  # a send to no known customer: scope all only
    assert {name for name in (*NAMES, "wm-unknown-friend") if name in html} == expected | unknown


@SCOPES
def test_a_group_chat_roster_shows_only_visible_customers(client, login, make_user, tenant, org, scope, employee,
                                                          expected):
    _sign_in(client, login, make_user, tenant, org, scope, employee)
    html = client.get(f"/t/acme/wecom/groupchats/{org['chat'].id}").get_data(as_text=True)
    assert {name for name in NAMES if name in html} == expected
    assert "wm-unknown-friend" in html  # an external user who is no customer is the chat's, not a customer's
    hidden = len(NAMES) - len(expected)
    assert (f"{hidden} more customers in this group" in html) is (hidden > 0)
