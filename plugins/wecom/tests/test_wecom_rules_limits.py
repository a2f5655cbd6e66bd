"""Platform rules as a service: the limits per tenant (defaults, overrides, reset), the mass-message frequency caps
read from the delivery ledger (China natural day / week / month, once per send), and employee capacity."""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from scrm_wecom import rules
from scrm_wecom.rules import settings as rule_limits
from scrm_wecom.rules.quota import MassKind, personal_task_ref
from wecom_rules_fixtures import add_account, add_customer, add_employee, add_follow, ledger

from scrm.sdk import DeliveryStatus

CN = ZoneInfo("Asia/Shanghai")


def cn(*args) -> datetime:
    return datetime(*args, tzinfo=CN)


def test_defaults_are_wecoms_current_rules(db, tenant):
    assert rules.limits(db, tenant.id) == rule_limits.Limits(
        personal_mass_per_day=1, enterprise_mass_per_week=1, enterprise_mass_per_month=4, moments_per_employee_day=1,
        enterprise_moments_per_month=4, external_contacts_per_employee=50_000, passive_adds_per_day=500,
        group_chat_members=200)


def test_a_tenant_changes_its_limits_and_resets_them_without_touching_another(db, tenant, other_tenant):
    values = {name: getattr(rule_limits.DEFAULTS, name) for name in rule_limits.NAMES}
    saved = rule_limits.save(db, tenant.id, {**values, "group_chat_members": 500, "enterprise_mass_per_month": 5},
                             "admin@acme.test")
    db.commit()
    assert (saved.group_chat_members, saved.enterprise_mass_per_month) == (500, 5)
    assert rules.limits(db, tenant.id).group_chat_members == 500
    assert rules.limits(db, other_tenant.id) == rule_limits.DEFAULTS
    row = rule_limits.overrides_of(db, tenant.id)
    assert row.group_chat_members == 500 and row.passive_adds_per_day is None  # unchanged values follow the default
    assert rule_limits.reset(db, tenant.id, "admin@acme.test") == rule_limits.DEFAULTS


@pytest.mark.parametrize(("name", "value", "ok"), [
    ("personal_mass_per_day", "0", False), ("personal_mass_per_day", "11", False), ("personal_mass_per_day", "2", True),
    ("external_contacts_per_employee", "50,000", True), ("external_contacts_per_employee", "99", False),
    ("passive_adds_per_day", "-1", False), ("passive_adds_per_day", "3.5", False), ("group_chat_members", "", False),
])
def test_limits_are_whole_numbers_in_sane_ranges(name, value, ok):
    raw = {n: str(getattr(rule_limits.DEFAULTS, n)) for n in rule_limits.NAMES} | {name: value}
    values, errors = rule_limits.validate(raw)
    assert (name not in errors) is ok
    if ok:
        assert values[name] == int(value.replace(",", ""))


def test_enterprise_mass_quota_counts_natural_weeks_and_months_in_china_time(db, tenant, other_tenant):
    ann, bob, cat = (add_customer(db, tenant.id, n) for n in ("Ann", "Bob", "Cat"))
    # Wednesday 2026-11-18: ann got one send through two employees (one task: counts once)
    ledger(db, tenant.id, ann, kind="mass", at=cn(2026, 11, 18, 10), task_ref="mass_task:1", key="m1:a:zs")
    ledger(db, tenant.id, ann, kind="mass", at=cn(2026, 11, 18, 10), task_ref="mass_task:1", key="m1:a:ls")
    # bob: a send on Sunday 2026-11-22 23:30 China time (15:30 UTC, still last week) and a failed one this week
    ledger(db, tenant.id, bob, kind="mass", at=cn(2026, 11, 22, 23, 30), task_ref="mass_task:2", key="m2:b")
    ledger(db, tenant.id, bob, kind="mass", at=cn(2026, 11, 23, 9), task_ref="mass_task:3", key="m3:b",
           status=DeliveryStatus.FAILED)
    # cat: nothing here, but the other tenant and another kind have rows for a customer with the same id space
    other = add_customer(db, other_tenant.id, "Other")
    ledger(db, other_tenant.id, other, kind="mass", at=cn(2026, 11, 23, 9), task_ref="mass_task:9", key="o1")
    ledger(db, tenant.id, cat, kind="welcome", at=cn(2026, 11, 23, 9), task_ref=None, key="welcome:x")
    db.commit()
    monday = cn(2026, 11, 23, 12)
    left = rules.mass_quota_left(db, tenant.id, [ann.id, bob.id, cat.id, other.id], MassKind.ENTERPRISE, monday)
    assert left == {ann.id: 1, bob.id: 1, cat.id: 1, other.id: 1}  # a new natural week; other tenant ignored
    wednesday = cn(2026, 11, 18, 20)
    left = rules.mass_quota_left(db, tenant.id, [ann.id, bob.id], "mass", wednesday)
    assert left == {ann.id: 0, bob.id: 0}  # Monday 16 to Sunday 22 holds both sends
    assert rules.mass_quota_left(db, other_tenant.id, [other.id], "mass", monday) == {other.id: 0}


def test_the_monthly_cap_applies_with_the_weekly_one(db, tenant):
    ann = add_customer(db, tenant.id, "Ann")
    for week, day in enumerate((2, 9, 16, 23)):  # four Mondays of November 2026, one send each
        ledger(db, tenant.id, ann, kind="mass", at=cn(2026, 11, day, 10), task_ref=f"mass_task:{week}",
               key=f"k{week}")
    db.commit()
    assert rules.mass_quota_left(db, tenant.id, [ann.id], "mass", cn(2026, 11, 30, 10)) == {ann.id: 0}  # month full
    assert rules.mass_quota_left(db, tenant.id, [ann.id], "mass", cn(2026, 12, 1, 0, 5)) == {ann.id: 1}
    values = {n: getattr(rule_limits.DEFAULTS, n) for n in rule_limits.NAMES}
    rule_limits.save(db, tenant.id, {**values, "enterprise_mass_per_month": 5}, "test")
    db.commit()
    assert rules.mass_quota_left(db, tenant.id, [ann.id], "mass", cn(2026, 11, 30, 10)) == {ann.id: 1}


def test_personal_mass_quota_is_per_china_day_and_per_sender(db, tenant):
    ann = add_customer(db, tenant.id, "Ann")
    ledger(db, tenant.id, ann, kind="mass_personal", at=cn(2026, 11, 23, 0, 10),
           task_ref=personal_task_ref("pm:5", "zhang_san"), key="p1")
    db.commit()
    now = cn(2026, 11, 23, 18)
    assert rules.mass_quota_left(db, tenant.id, [ann.id], "mass_personal", now, sender_userid="zhang_san") == {ann.id: 0}
    # "_" is not a wildcard: zhangXsan is another employee
    assert rules.mass_quota_left(db, tenant.id, [ann.id], "mass_personal", now, sender_userid="zhangXsan") == {ann.id: 1}
    assert rules.mass_quota_left(db, tenant.id, [ann.id], "mass_personal", now) == {ann.id: 0}
    assert rules.mass_quota_left(db, tenant.id, [ann.id], "mass_personal", cn(2026, 11, 24, 0, 1),
                                 sender_userid="zhang_san") == {ann.id: 1}
    assert rules.mass_quota_left(db, tenant.id, [], "mass", now) == {}


def test_capacity_counts_active_friends_and_todays_adds(db, tenant, other_tenant):
    account = add_account(db, tenant.id)
    zhang, li = add_employee(db, tenant.id, "zhangsan", "张三"), add_employee(db, tenant.id, "lisi", "李四")
    today = cn(2026, 11, 23, 8)
    customers = [add_customer(db, tenant.id, f"c{i}") for i in range(5)]
    for customer in customers[:4]:
        add_follow(db, account, customer, zhang, added_at=today - timedelta(days=3))
    add_follow(db, account, customers[4], zhang, added_at=today, status="churned")  # added today, gone since
    add_follow(db, account, customers[0], li, added_at=today, add_way=202)  # assigned by an admin: not an add
    add_follow(db, account, customers[1], li, added_at=cn(2026, 11, 22, 23, 59))  # yesterday, China time
    other_account = add_account(db, other_tenant.id, "wwother0000001")
    other_employee = add_employee(db, other_tenant.id, "zhangsan")
    add_follow(db, other_account, add_customer(db, other_tenant.id, "x"), other_employee, added_at=today)
    values = {n: getattr(rule_limits.DEFAULTS, n) for n in rule_limits.NAMES}
    rule_limits.save(db, tenant.id, {**values, "external_contacts_per_employee": 100, "passive_adds_per_day": 1},
                     "test")
    db.commit()
    rows = {r.userid: r for r in rules.capacity_of(db, tenant.id, now=cn(2026, 11, 23, 20))}
    assert set(rows) == {"zhangsan", "lisi"}
    assert (rows["zhangsan"].contacts, rows["zhangsan"].adds_today) == (4, 1)
    assert (rows["lisi"].contacts, rows["lisi"].adds_today) == (2, 0)
    assert rows["zhangsan"].adds_reached and not rows["zhangsan"].near_cap
    warned = rules.warnings_for(db, tenant.id, [zhang.id, li.id, other_employee.id], now=cn(2026, 11, 23, 20))
    assert [w.userid for w in warned] == ["zhangsan"]


def test_employees_from_95_percent_of_the_contact_cap_are_flagged(db, tenant):
    account = add_account(db, tenant.id)
    zhang = add_employee(db, tenant.id, "zhangsan")
    for index in range(95):
        add_follow(db, account, add_customer(db, tenant.id, f"c{index}"), zhang, added_at=cn(2026, 1, 1, 8))
    values = {n: getattr(rule_limits.DEFAULTS, n) for n in rule_limits.NAMES}
    rule_limits.save(db, tenant.id, {**values, "external_contacts_per_employee": 100}, "test")
    db.commit()
    (row,) = rules.capacity_of(db, tenant.id)
    assert row.contacts == 95 and row.near_cap and not row.at_cap and not row.warned
    rule_limits.save(db, tenant.id, {**values, "external_contacts_per_employee": 101}, "test")
    db.commit()
    (row,) = rules.capacity_of(db, tenant.id)
    assert not row.near_cap
