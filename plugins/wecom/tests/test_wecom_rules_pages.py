"""The platform rules page: tenant admins read and change the limits (validation, reset to defaults), see the
employees' capacity and export it (CSV, XLSX); the sync page flags employees near the cap; operators are refused,
a disabled plugin answers 404, and tenants never see or change each other's limits or employees."""

from __future__ import annotations

import io
from datetime import timedelta

import pytest
from openpyxl import load_workbook
from scrm_wecom import rules
from scrm_wecom.rules import settings as rule_limits
from wecom_foundation_fixtures import *  # noqa: F403
from wecom_rules_fixtures import add_account, add_customer, add_employee, add_follow

from scrm.sdk import utcnow

BASE = "/t/acme/wecom/rules/"


def limit_form(**changes) -> dict[str, str]:
    return {n: str(getattr(rule_limits.DEFAULTS, n)) for n in rule_limits.NAMES} | changes


@pytest.fixture
def admin(tenant, enable_plugins, wecom_admin):
    enable_plugins(tenant, "wecom")
    return wecom_admin(tenant)


@pytest.fixture
def crowded(db, tenant):
    """Employee 张三 holds 95 customers and got 3 of them today; 李四 holds 1."""
    account = add_account(db, tenant.id)
    zhang, li = add_employee(db, tenant.id, "zhangsan", "张三"), add_employee(db, tenant.id, "lisi", "李四")
    for index in range(95):
        added = utcnow() if index < 3 else utcnow() - timedelta(days=10)
        add_follow(db, account, add_customer(db, tenant.id, f"c{index}"), zhang, added_at=added)
    add_follow(db, account, add_customer(db, tenant.id, "solo"), li, added_at=utcnow() - timedelta(days=10))
    rule_limits.save(db, tenant.id, {**{n: getattr(rule_limits.DEFAULTS, n) for n in rule_limits.NAMES},
                                     "external_contacts_per_employee": 100}, "setup")
    db.commit()
    return zhang, li


def test_the_page_shows_the_limits_and_saves_them(admin, db, tenant):
    page = admin.get(BASE)
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert "Enterprise mass messages per customer per natural week" in html and 'value="50000"' in html
    response = admin.post(BASE, data=limit_form(group_chat_members="500", passive_adds_per_day="300"))
    assert response.status_code == 302
    db.expire_all()
    current = rules.limits(db, tenant.id)
    assert (current.group_chat_members, current.passive_adds_per_day) == (500, 300)
    html = admin.get(BASE).get_data(as_text=True)
    assert 'value="500"' in html and 'data-testid="changed-group_chat_members"' in html
    assert "Last changed by admin@acme.test" in html


def test_invalid_values_are_refused_with_messages(admin, db, tenant):
    response = admin.post(BASE, data=limit_form(personal_mass_per_day="0", group_chat_members="lots"))
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert 'data-testid="error-personal_mass_per_day"' in html and "Enter a whole number from 1 to 10." in html
    assert 'data-testid="error-group_chat_members"' in html and 'value="lots"' in html
    db.expire_all()
    assert rules.limits(db, tenant.id) == rule_limits.DEFAULTS


def test_reset_to_defaults(admin, db, tenant):
    admin.post(BASE, data=limit_form(enterprise_mass_per_week="2"))
    assert admin.post(BASE, data={"reset": "1"}).status_code == 302
    db.expire_all()
    assert rules.limits(db, tenant.id) == rule_limits.DEFAULTS


def test_capacity_is_listed_flagged_and_exported(admin, crowded):
    html = admin.get(BASE).get_data(as_text=True)
    assert 'data-testid="capacity-zhangsan" data-flagged="1"' in html and "near the limit" in html
    assert "95 / 100 (95.0 %)" in html and "1 employee flagged." in html
    csv = admin.get(f"{BASE}capacity.csv")
    assert csv.status_code == 200 and csv.mimetype == "text/csv"
    lines = csv.get_data(as_text=True).lstrip("\ufeff").splitlines()
    assert lines[0].startswith("Employee,WeCom userid,External contacts")
    assert lines[1] == "张三,zhangsan,95,100,95.0,3,500,near the limit"
    xlsx = admin.get(f"{BASE}capacity.xlsx")
    sheet = load_workbook(io.BytesIO(xlsx.get_data())).active
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[1][:4] == ("张三", "zhangsan", 95, 100) and rows[2][:3] == ("李四", "lisi", 1)


def test_the_sync_page_flags_employees_near_the_cap(admin, crowded):
    html = admin.get("/t/acme/wecom/sync/").get_data(as_text=True)
    assert 'data-testid="sync-capacity" open' in html and "1 employee flagged." in html
    assert 'data-testid="capacity-zhangsan" data-flagged="1"' in html and 'data-testid="capacity-lisi" >' in html


def test_operators_are_refused_and_a_disabled_plugin_is_404(client, tenant, enable_plugins, make_user, login,
                                                            other_tenant):
    enable_plugins(tenant, "wecom")
    login(make_user("op@acme.test", tenant, role="operator"))
    assert client.get(BASE).status_code == 403
    assert client.post(BASE, data=limit_form()).status_code == 403
    assert client.get(f"{BASE}capacity.csv").status_code == 403
    login(make_user("admin@globex.test", other_tenant, role="tenant_admin"))
    assert client.get("/t/globex/wecom/rules/").status_code == 404  # not enabled for globex


def test_tenants_never_see_or_change_each_others_limits_or_employees(client, db, tenant, other_tenant, crowded,
                                                                     enable_plugins, make_user, login):
    enable_plugins(tenant, "wecom")
    enable_plugins(other_tenant, "wecom")
    login(make_user("admin@globex.test", other_tenant, role="tenant_admin"))
    assert client.get(BASE).status_code in (403, 404)
    assert client.post(BASE, data=limit_form(group_chat_members="999")).status_code in (403, 404)
    html = client.get("/t/globex/wecom/rules/").get_data(as_text=True)
    assert "zhangsan" not in html and 'value="50000"' in html  # acme's 100 and acme's employees stay acme's
    assert "zhangsan" not in client.get("/t/globex/wecom/rules/capacity.csv").get_data(as_text=True)
    assert client.post("/t/globex/wecom/rules/", data=limit_form(group_chat_members="999")).status_code == 302
    db.expire_all()
    assert rules.limits(db, tenant.id).group_chat_members == 200
    assert rules.limits(db, tenant.id).external_contacts_per_employee == 100
    assert rules.limits(db, other_tenant.id).group_chat_members == 999
