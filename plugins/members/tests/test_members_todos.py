"""The home page's to-do list gets members' customer follow-up tasks (members-1 R2, acceptance 7; issue 16 item 1):
today's stage follow-up reminders sent to the employee the signed-in user is linked to, and nothing else: not
yesterday's, not pending ones, not other kinds, not another employee's, not another tenant's."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from scrm_members.loyalty.models import Notification
from sqlmodel import select

from scrm.core.models import Customer, Employee, Membership
from scrm.core.timeutil import day_span, utcnow


@pytest.fixture
def guide(db, tenant, other_tenant, enable_plugins, make_user, login):
    enable_plugins(tenant, "members")
    enable_plugins(other_tenant, "members")
    employee = Employee(tenant_id=tenant.id, userid="zhangwei", name="张伟")
    colleague = Employee(tenant_id=tenant.id, userid="lina", name="李娜")
    db.add_all([employee, colleague])
    db.flush()
    user = make_user("zhangwei@acme.test", tenant, role="operator")
    membership = db.exec(select(Membership).where(Membership.user_id == user.id)).one()
    membership.employee_id = employee.id
    db.add(membership)
    db.commit()
    login(user)
    return employee, colleague


def remind(db, tenant_id, employee_id, text, kind="stage_follow_up", status="sent", sent_at=None, customer_id=None):
    db.add(Notification(tenant_id=tenant_id, recipient_employee_id=employee_id, kind=kind, text=text,
                        dedupe_key=text, status=status, sent_at=sent_at, customer_id=customer_id))
    db.commit()


def titles(client) -> list[str]:
    html = client.get("/t/acme/").get_data(as_text=True)
    section = html.split('data-testid="todo"', 1)[1].split("</section>", 1)[0]
    return re.findall(r'data-testid="todo-item">\s*<a href="[^"]*">([^<]+)</a>', section)


def test_only_todays_follow_ups_of_the_users_employee_are_tasks(client, db, tenant, other_tenant, guide):
    employee, colleague = guide
    customer = Customer(tenant_id=tenant.id, name="王芳")
    db.add(customer)
    db.commit()
    today = day_span()
    remind(db, tenant.id, employee.id, "跟进王芳", sent_at=today.start + timedelta(hours=1), customer_id=customer.id)
    remind(db, tenant.id, employee.id, "昨天的跟进", sent_at=today.start - timedelta(minutes=1))
    remind(db, tenant.id, employee.id, "还没发出", status="pending")
    remind(db, tenant.id, employee.id, "阶段变更", kind="stage_change", sent_at=utcnow())
    remind(db, tenant.id, colleague.id, "同事的跟进", sent_at=utcnow())
    other_employee = Employee(tenant_id=other_tenant.id, userid="zhangwei", name="张伟")
    db.add(other_employee)
    db.commit()
    remind(db, other_tenant.id, other_employee.id, "别家的跟进", sent_at=utcnow())
    assert titles(client) == ["跟进王芳"]
    html = client.get("/t/acme/").get_data(as_text=True)
    assert f'/t/acme/members/customers/{customer.id}' in html


def test_a_user_without_an_employee_has_no_follow_ups(client, db, tenant, make_user, login, enable_plugins):
    enable_plugins(tenant, "members")
    login(make_user("boss@acme.test", tenant, role="tenant_admin"))
    assert titles(client) == []
