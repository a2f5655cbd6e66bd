"""A live code warns about its employees at WeCom's limits: at the external-contact cap, or at today's add limit
(counted from the follow relations). Tenant isolation of the counts is proven in test_wecom_rules_limits.py."""

from __future__ import annotations

from datetime import timedelta

from scrm_wecom.livecodes.models import LiveCode
from scrm_wecom.rules import settings as rule_limits
from sqlmodel import select
from wecom_livecodes_fixtures import *  # noqa: F403
from wecom_livecodes_fixtures import fresh
from wecom_rules_fixtures import add_customer, add_follow

from scrm.sdk import utcnow


def create_code(world, staff) -> LiveCode:
    data = {"name": "Store entrance", "account_id": str(world.account.id), "kind": "2", "skip_verify": "1",
            "employee_ids": [str(world.employees[u].id) for u in ("zhangsan", "lisi")]}
    assert staff.post("/t/acme/wecom/livecodes/new", data=data).status_code == 302


def test_the_code_page_warns_about_employees_at_the_limits(db, world, staff):
    create_code(world, staff)
    fresh(db)
    code = db.exec(select(LiveCode)).one()
    page = staff.get(f"/t/acme/wecom/livecodes/{code.id}").get_data(as_text=True)
    assert 'data-testid="capacity-warnings"' not in page
    zhang, li = world.employees["zhangsan"], world.employees["lisi"]
    for index in range(3):  # zhangsan: three customers added today
        add_follow(db, world.account, add_customer(db, world.tenant.id, f"new{index}"), zhang, added_at=utcnow())
    for index in range(4):  # lisi: four older friends
        add_follow(db, world.account, add_customer(db, world.tenant.id, f"old{index}"), li,
                   added_at=utcnow() - timedelta(days=30))
    values = {n: getattr(rule_limits.DEFAULTS, n) for n in rule_limits.NAMES}
    rule_limits.save(db, world.tenant.id, {**values, "passive_adds_per_day": 3, "external_contacts_per_employee": 100},
                     "test")
    db.commit()
    page = staff.get(f"/t/acme/wecom/livecodes/{code.id}").get_data(as_text=True)
    assert 'data-testid="capacity-warning-zhangsan"' in page
    assert "3 customers added today, the daily limit is 3" in page
    assert 'data-testid="capacity-warning-lisi"' not in page
    rule_limits.save(db, world.tenant.id, {**values, "external_contacts_per_employee": 100}, "test")
    db.commit()
    page = staff.get(f"/t/acme/wecom/livecodes/{code.id}").get_data(as_text=True)
    assert 'data-testid="capacity-warnings"' not in page

