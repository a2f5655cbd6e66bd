"""WeCom's frequency limits before the tasks are created (spec 4.4 rules 2, 3, 6; §C; acceptance 16): per customer
per day / natural week / natural month, configurable, tested exactly at the boundary and across employees sharing a
customer (one send counts once); exclusion rules (the members blacklist); the confirm page's excluded counts."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from scrm_wecom.masssend import planning
from scrm_wecom.rules import settings as rule_limits
from wecom_foundation_fixtures import *  # noqa: F403
from wecom_masssend_fixtures import *  # noqa: F403
from wecom_masssend_fixtures import dispatch_now, new_send, targets

from scrm.sdk import DeliveryStatus, MessageDelivery

#: Sunday 2026-12-20 10:00 in Shanghai: its week runs from Monday 14th, its month from the 1st
NOW = datetime(2026, 12, 20, 2, 0, tzinfo=UTC)
EARLIER_TODAY = NOW - timedelta(hours=1)
EARLIER_THIS_WEEK = datetime(2026, 12, 15, 2, 0, tzinfo=UTC)
EARLIER_THIS_MONTH = datetime(2026, 12, 3, 2, 0, tzinfo=UTC)
LAST_MONTH = datetime(2026, 11, 28, 2, 0, tzinfo=UTC)


def received(db, env, ext: str, at: datetime, send: str, *, via: str = "zhangsan",
             status: DeliveryStatus = DeliveryStatus.DELIVERED, kind: str = "mass") -> None:
    """An earlier enterprise mass message ``send`` reached customer ``ext`` through employee ``via``."""
    customer = env.customers[ext]
    db.add(MessageDelivery(tenant_id=env.tenant.id, channel="wecom", account_id=env.account.id,
                           customer_id=customer.id, recipient=ext, kind=kind, task_ref=send,
                           idempotency_key=f"{send}:{ext}:{via}", status=status, created_at=at))
    db.commit()


def set_limits(db, tenant, **values) -> None:
    current = {n: getattr(rule_limits.DEFAULTS, n) for n in rule_limits.NAMES}
    rule_limits.save(db, tenant.id, {**current, **values}, "admin@acme.test")
    db.commit()


def send_now(db, env):
    task = new_send(db, env.tenant, now=NOW - timedelta(minutes=5), send_type="immediate")
    return dispatch_now(db, task, now=NOW)


def test_defaults_are_one_a_day_one_a_week_four_a_month():
    defaults = rule_limits.DEFAULTS
    assert (defaults.enterprise_mass_per_day, defaults.enterprise_mass_per_week,
            defaults.enterprise_mass_per_month) == (1, 1, 4)
    assert (defaults.group_mass_per_day, defaults.group_mass_per_month) == (1, 4)
    assert (defaults.mass_tasks_per_month, defaults.group_mass_tasks_per_month) == (30, 30)


def test_a_customer_who_got_one_today_is_left_out_as_limit_reached(db, mass_env):
    """Acceptance 16 (default: one a day)."""
    received(db, mass_env, "wmC1", EARLIER_TODAY, "wecom_mass:earlier")
    task = send_now(db, mass_env)
    assert targets(db, task)["wmC1"] == "limit"
    assert task.excluded_limit == 1 and task.targeted == 4
    sent = mass_env.control.calls("/cgi-bin/externalcontact/add_msg_template")
    assert all("wmC1" not in c["body"]["external_userid"] for c in sent)


@pytest.mark.parametrize(("earlier", "per_day", "excluded"), [(1, 2, False), (2, 2, True), (3, 3, True),
                                                             (2, 3, False)])
def test_daily_limit_exactly_at_the_boundary(db, mass_env, earlier, per_day, excluded):
    set_limits(db, mass_env.tenant, enterprise_mass_per_day=per_day, enterprise_mass_per_week=10,
               enterprise_mass_per_month=40)
    for index in range(earlier):
        received(db, mass_env, "wmC1", EARLIER_TODAY - timedelta(minutes=index), f"wecom_mass:old{index}")
    task = send_now(db, mass_env)
    assert (targets(db, task)["wmC1"] == "limit") is excluded


@pytest.mark.parametrize(("earlier", "per_week", "excluded"), [(1, 2, False), (2, 2, True)])
def test_weekly_limit_exactly_at_the_boundary(db, mass_env, earlier, per_week, excluded):
    set_limits(db, mass_env.tenant, enterprise_mass_per_day=5, enterprise_mass_per_week=per_week,
               enterprise_mass_per_month=40)
    for index in range(earlier):
        received(db, mass_env, "wmC4", EARLIER_THIS_WEEK + timedelta(hours=index), f"wecom_mass:week{index}",
                 via="lisi")
    received(db, mass_env, "wmC4", EARLIER_THIS_MONTH, "wecom_mass:before-the-week", via="lisi")
    task = send_now(db, mass_env)
    assert (targets(db, task)["wmC4"] == "limit") is excluded


@pytest.mark.parametrize(("earlier", "per_month", "excluded"), [(2, 3, False), (3, 3, True)])
def test_monthly_limit_exactly_at_the_boundary(db, mass_env, earlier, per_month, excluded):
    set_limits(db, mass_env.tenant, enterprise_mass_per_day=5, enterprise_mass_per_week=10,
               enterprise_mass_per_month=per_month)
    for index in range(earlier):
        received(db, mass_env, "wmC5", EARLIER_THIS_MONTH + timedelta(days=index), f"wecom_mass:month{index}",
                 via="wangwu")
    received(db, mass_env, "wmC5", LAST_MONTH, "wecom_mass:last-month", via="wangwu")
    task = send_now(db, mass_env)
    assert (targets(db, task)["wmC5"] == "limit") is excluded


def test_a_customer_of_several_employees_counts_once_per_send(db, mass_env):
    """C3 is a friend of zhangsan and lisi: one earlier send reached C3 through both (two ledger rows, one task_ref):
    that is one message, so with two a day allowed C3 still gets the new send; a second earlier send makes two."""
    set_limits(db, mass_env.tenant, enterprise_mass_per_day=2, enterprise_mass_per_week=10,
               enterprise_mass_per_month=40)
    received(db, mass_env, "wmC3", EARLIER_TODAY, "wecom_mass:shared", via="zhangsan")
    received(db, mass_env, "wmC3", EARLIER_TODAY, "wecom_mass:shared", via="lisi")
    task = send_now(db, mass_env)
    assert targets(db, task)["wmC3"] == "unsent"


def test_a_send_through_another_employee_counts_for_the_customer(db, mass_env):
    """The limit is the customer's, whoever sent: C3 got today's message through lisi; zhangsan's send leaves C3 out."""
    received(db, mass_env, "wmC3", EARLIER_TODAY, "wecom_mass:via-lisi", via="lisi")
    task = send_now(db, mass_env)
    assert targets(db, task)["wmC3"] == "limit"


def test_failed_and_personal_messages_do_not_count(db, mass_env):
    received(db, mass_env, "wmC1", EARLIER_TODAY, "wecom_mass:failed", status=DeliveryStatus.FAILED)
    received(db, mass_env, "wmC2", EARLIER_TODAY, "personal@zhangsan", kind="mass_personal")
    task = send_now(db, mass_env)
    assert targets(db, task)["wmC1"] == "unsent" and targets(db, task)["wmC2"] == "unsent"


def test_two_sends_the_same_day_the_second_leaves_everyone_out(db, mass_env):
    first = send_now(db, mass_env)
    assert first.targeted == 5
    preview = planning.preview(db, mass_env.tenant, "single", {}, NOW + timedelta(minutes=1))
    assert preview.reachable == 5 and preview.over_limit == 5 and preview.sendable == 0


def test_blacklisted_customers_are_excluded_and_counted(db, mass_env):
    blacklist = pytest.importorskip("scrm_members.segments.blacklist")
    blacklist.add(db, mass_env.tenant.id, [mass_env.customers["wmC2"].id], "恶意薅羊毛", None)
    db.commit()
    preview = planning.preview(db, mass_env.tenant, "single", {}, NOW)
    assert (preview.matched, preview.no_friend, preview.over_limit, preview.excluded, preview.sendable) == \
        (6, 1, 0, 1, 4)
    task = send_now(db, mass_env)
    assert targets(db, task)["wmC2"] == "excluded" and task.excluded_rule == 1



def test_a_plugin_answering_in_batches_excludes_after_the_recipients_are_written(db, mass_env, monkeypatch):
    """The batched exclusion form (``customer_exclusion_reasons``, asked after the recipients are written): the
    customer it names is excluded, has no ledger row (on PostgreSQL the ledger is written with the recipients and
    the row is removed) and is not among its member's targets."""
    blacklist = pytest.importorskip("scrm_members.segments.blacklist")
    from scrm_wecom.masssend.models import MassMember
    from sqlalchemy import func, select

    blacklist.add(db, mass_env.tenant.id, [mass_env.customers["wmC2"].id], "恶意薅羊毛", None)
    db.commit()
    monkeypatch.setattr(planning, "exclusion_queries", lambda session, tenant: ([], set()))  # members asked in batches
    task = send_now(db, mass_env)
    assert targets(db, task)["wmC2"] == "excluded" and task.excluded_rule == 1 and task.targeted == 4
    ledger = dict(db.execute(select(MessageDelivery.customer_id, func.count()).where(
        MessageDelivery.task_ref == planning.task_ref(task.id)).group_by(MessageDelivery.customer_id)).all())
    assert mass_env.customers["wmC2"].id not in ledger and sum(ledger.values()) == 4
    assert db.execute(select(func.sum(MassMember.target_count)).where(MassMember.task_id == task.id)).scalar_one() == 4


def test_the_confirm_page_shows_the_excluded_counts(db, mass_env, client, wecom_admin):
    received(db, mass_env, "wmC1", datetime.now(UTC) - timedelta(minutes=1), "wecom_mass:today")
    wecom_admin(mass_env.tenant)
    response = client.post(f"/t/{mass_env.tenant.slug}/wecom/masssend/confirm",
                           data={"chat_type": "single", "text": "周末会员日，积分双倍", "send_type": "immediate"})
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert 'data-testid="preview-matched">6<' in page
    assert 'data-testid="preview-limit">1<' in page
    assert 'data-testid="preview-no-friend">1<' in page
    assert 'data-testid="preview-employees">3<' in page
