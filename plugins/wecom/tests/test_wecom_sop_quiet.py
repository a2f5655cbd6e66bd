"""The customer SOP trigger "no communication with the customer for N days" (spec §2.6.2, §4.6 rules 2–3, check 23):
the executing employee's silent customers get one to-do per quiet period through the engine's durable tasks; the
boundary is exactly N days; what counts as communication; employees outside the rule, paused and edited rules;
the hourly evaluator's schedule and tenant isolation."""

from __future__ import annotations

import secrets
from datetime import timedelta

import pytest
from scrm_wecom.masssend.models import MassRecipient, MassTask
from scrm_wecom.sop import rules as service
from scrm_wecom.sop.jobs import QUIET_ACTOR, QUIET_EVERY, evaluate_once, quiet_key
from scrm_wecom.sop.models import SopRule, SopTask
from scrm_wecom.sop.quiet import plan_rule, plan_tenant
from scrm_wecom.sync.models import Follow
from sqlalchemy import select, update
from wecom_churn_fixtures import *  # noqa: F403
from wecom_churn_fixtures import app_messages, employee, to
from wecom_foundation_fixtures import *  # noqa: F403
from wecom_sop_fixtures import PUBLIC, deliver, in_writer, make_rule, node, tasks
from wecom_sync_fixtures import *  # noqa: F403
from wecom_sync_fixtures import customer_of

from scrm.sdk import ScheduledJob, utcnow
from scrm.sdk.timeline import add_entry, entry_kind

#: a contact kind of another plugin (the customer's own contact, e.g. a reply by SMS)
REPLIED = entry_kind("soptest", "replied", "replied", "The customer replied (SOP quiet test).", contact=True)
NOT_CONTACT = entry_kind("soptest", "looked", "looked", "The customer looked at something (SOP quiet test).")


@pytest.fixture(autouse=True)
def public_url(monkeypatch):
    monkeypatch.setenv("SCRM_PUBLIC_URL", PUBLIC)


def quiet_rule(app, db, tenant_id, employees, days="3", **fields):
    return make_rule(app, db, tenant_id, name="3天未沟通", trigger="no_communication", quiet_days=days,
                     employees=employees, nodes=[node(title="联系 {customer}", content="{customer}您好，好久不见")],
                     **fields)


def befriended(db, tenant_id: int, at, **only) -> None:
    """Set every follow's start to ``at`` (``only``: {external_userid: at} for some)."""
    def write(session):
        session.execute(update(Follow).where(Follow.tenant_id == tenant_id).values(added_at=at))
        for external, moment in only.items():
            session.execute(update(Follow).where(Follow.tenant_id == tenant_id, Follow.external_userid == external)
                            .values(added_at=moment))
    in_writer(db, write)


def evaluate(db, rule_id: int, now) -> int:
    return in_writer(db, lambda s: plan_rule(s, s.get(SopRule, rule_id), now))


def subjects(db, tenant_id, rule_id=None) -> list[tuple[int, int]]:
    return [(t.customer_id, t.employee_id) for t in tasks(db, tenant_id, rule_id) if t.status != "cancelled"]


def test_exactly_n_days_of_silence_triggers_and_a_minute_less_does_not(app, db, tenant, churn_account, sandbox,
                                                                      worker):
    lisi = employee(db, tenant.id, "lisi")
    rule = quiet_rule(app, db, tenant.id, [lisi.id])
    now = utcnow()
    bob, alice = customer_of(db, tenant.id, "wmBob"), customer_of(db, tenant.id, "wmAlice")
    befriended(db, tenant.id, now - timedelta(days=30), wmBob=now - timedelta(days=3),
               wmAlice=now - timedelta(days=3) + timedelta(minutes=1))
    assert evaluate(db, rule, now) == 1
    assert subjects(db, tenant.id) == [(bob.id, lisi.id)]  # Alice is a minute short of 3 days
    assert evaluate(db, rule, now + timedelta(minutes=1)) == 1
    assert sorted(subjects(db, tenant.id)) == sorted([(bob.id, lisi.id), (alice.id, lisi.id)])
    [task] = [t for t in tasks(db, tenant.id) if t.customer_id == alice.id]
    assert task.anchor_at == now + timedelta(minutes=1) and task.due_at == task.anchor_at  # day 0, 0 h 0 min


@pytest.mark.parametrize(("days", "ok"), [("1", True), ("365", True), ("0", False), ("366", False), ("2.5", False),
                                          ("", False), ("三", False)])
def test_n_is_a_whole_number_of_days_from_1_to_365(app, db, tenant, churn_account, days, ok):
    lisi = employee(db, tenant.id, "lisi")
    if ok:
        assert db.get(SopRule, quiet_rule(app, db, tenant.id, [lisi.id], days=days)).params["quiet_days"] == int(days)
    else:
        with pytest.raises(service.RuleError) as error:
            quiet_rule(app, db, tenant.id, [lisi.id], days=days)
        assert "quiet_days" in error.value.errors
        assert db.execute(select(SopRule)).first() is None


def test_n_is_the_rules_own_number(app, db, tenant, churn_account, sandbox, worker):
    lisi = employee(db, tenant.id, "lisi")
    rule = quiet_rule(app, db, tenant.id, [lisi.id], days="5")
    now = utcnow()
    befriended(db, tenant.id, now - timedelta(days=5) + timedelta(minutes=1))
    assert evaluate(db, rule, now) == 0
    assert evaluate(db, rule, now + timedelta(minutes=1)) == 2  # Bob and Alice, lisi's friends


def test_customers_of_employees_outside_the_rule_get_nothing(app, db, tenant, churn_account, sandbox, worker):
    lisi, zhangsan = employee(db, tenant.id, "lisi"), employee(db, tenant.id, "zhangsan")
    rule = quiet_rule(app, db, tenant.id, [lisi.id])
    now = utcnow()
    befriended(db, tenant.id, now - timedelta(days=40))
    evaluate(db, rule, now)
    carol = customer_of(db, tenant.id, "wmCarol")  # zhangsan's friend only
    rows = subjects(db, tenant.id)
    assert carol.id not in {c for c, _e in rows} and {e for _c, e in rows} == {lisi.id}
    assert zhangsan.id not in {e for _c, e in rows}  # Alice is zhangsan's friend too: her to-do is lisi's


def test_a_silent_customer_is_reminded_once_per_quiet_period_and_again_after_new_communication(
        app, db, tenant, churn_account, sandbox, worker):
    lisi = employee(db, tenant.id, "lisi")
    rule = quiet_rule(app, db, tenant.id, [lisi.id])
    bob = customer_of(db, tenant.id, "wmBob")
    now = utcnow()
    befriended(db, tenant.id, now - timedelta(days=40), wmAlice=now + timedelta(days=30))  # Alice: not silent here
    assert evaluate(db, rule, now) == 1
    deliver(db, tenant.id)
    worker.join()
    [card] = to(app_messages(sandbox[1]), "lisi")
    assert card["textcard"]["title"] == "联系 Bob" and card["textcard"]["description"] == "Bob您好，好久不见"
    for hours in (1, 2, 24, 24 * 20):  # still silent: nothing more
        assert evaluate(db, rule, now + timedelta(hours=hours)) == 0
    # lisi sends the to-do's content a day later: new communication, a new quiet period
    [task] = tasks(db, tenant.id)
    sent = now + timedelta(days=1)
    in_writer(db, lambda s: s.execute(update(SopTask).where(SopTask.id == task.id).values(
        status="sent", sent_at=sent)))
    assert evaluate(db, rule, sent + timedelta(days=3) - timedelta(minutes=1)) == 0
    assert evaluate(db, rule, sent + timedelta(days=3)) == 1
    assert evaluate(db, rule, sent + timedelta(days=3, hours=1)) == 0
    assert [t.customer_id for t in tasks(db, tenant.id)] == [bob.id, bob.id]
    assert tasks(db, tenant.id)[1].anchor_at == sent + timedelta(days=3)


def _mass(session, tenant_id, customer_id, employee_id, at, status="delivered"):
    task = MassTask(tenant_id=tenant_id, text="双12", status="sent")
    session.add(task)
    session.flush()
    session.add(MassRecipient(tenant_id=tenant_id, task_id=task.id, employee_id=employee_id,
                              account_id=session.execute(select(Follow.account_id)).scalars().first(),
                              customer_id=customer_id, target=f"wm{customer_id}", status=status, sent_at=at))


def _material(session, tenant_id, customer_id, employee_id, at):
    from scrm_wecom.materials import service as materials
    from scrm_wecom.materials.models import MaterialSend

    material = materials.save_material(session, tenant_id, "enterprise", materials.MaterialValues(
        kind="link", title="会场", url="https://shop.example.com/1"), "ops@acme.test")
    session.add(MaterialSend(tenant_id=tenant_id, material_id=material.id, employee_id=employee_id,
                             customer_id=customer_id, token=secrets.token_hex(8), sent_at=at))


def _sop_done(session, tenant_id, customer_id, employee_id, at, rule_id):
    node_id = session.execute(select(SopTask.node_id).where(SopTask.rule_id == rule_id)).scalars().first()
    from scrm_wecom.sop.models import SopNode

    node_id = node_id or session.execute(select(SopNode.id).where(SopNode.rule_id == rule_id)).scalars().first()
    session.add(SopTask(tenant_id=tenant_id, rule_id=rule_id, node_id=node_id, customer_id=customer_id,
                        employee_id=employee_id, dedupe=f"other.{at.timestamp()}", anchor_at=at, due_at=at,
                        status="done", done_at=at))


def _reply(session, tenant_id, customer_id, employee_id, at):
    add_entry(session, REPLIED, tenant_id=tenant_id, customer_id=customer_id, occurred_at=at, text="好的")


SIGNALS = {"mass_send_received": _mass, "sidebar_material": _material, "sop_todo_done": _sop_done,
           "customer_replied": _reply}


@pytest.mark.parametrize("signal", sorted(SIGNALS))
def test_what_counts_as_communication(app, db, tenant, churn_account, sandbox, worker, signal):
    lisi = employee(db, tenant.id, "lisi")
    rule = quiet_rule(app, db, tenant.id, [lisi.id])
    other_rule = make_rule(app, db, tenant.id, name="别的规则", employees=[lisi.id])
    bob = customer_of(db, tenant.id, "wmBob")
    now = utcnow()
    befriended(db, tenant.id, now - timedelta(days=40))
    extra = {"rule_id": other_rule} if signal == "sop_todo_done" else {}
    recent = now - timedelta(days=3) + timedelta(minutes=1)
    in_writer(db, lambda s: SIGNALS[signal](s, tenant.id, bob.id, lisi.id, recent, **extra))
    assert evaluate(db, rule, now) == 1  # Alice only: Bob had communication a minute short of 3 days ago
    assert bob.id not in {c for c, _e in subjects(db, tenant.id, rule)}
    assert evaluate(db, rule, now + timedelta(minutes=1)) == 1  # Bob once the 3 days are over
    assert bob.id in {c for c, _e in subjects(db, tenant.id, rule)}


@pytest.mark.parametrize("signal", ["mass_send_received", "sidebar_material", "sop_todo_done"])
def test_another_employees_communication_does_not_count(app, db, tenant, churn_account, sandbox, worker, signal):
    lisi, wangwu = employee(db, tenant.id, "lisi"), employee(db, tenant.id, "wangwu")
    rule = quiet_rule(app, db, tenant.id, [lisi.id])
    other_rule = make_rule(app, db, tenant.id, name="别的规则", employees=[lisi.id])
    bob = customer_of(db, tenant.id, "wmBob")
    now = utcnow()
    befriended(db, tenant.id, now - timedelta(days=40))
    extra = {"rule_id": other_rule} if signal == "sop_todo_done" else {}
    in_writer(db, lambda s: SIGNALS[signal](s, tenant.id, bob.id, wangwu.id, now - timedelta(hours=1), **extra))
    evaluate(db, rule, now)
    assert bob.id in {c for c, _e in subjects(db, tenant.id, rule)}


def test_an_undelivered_mass_send_and_a_non_contact_entry_do_not_count(app, db, tenant, churn_account, sandbox,
                                                                       worker):
    lisi = employee(db, tenant.id, "lisi")
    rule = quiet_rule(app, db, tenant.id, [lisi.id])
    bob = customer_of(db, tenant.id, "wmBob")
    now = utcnow()
    befriended(db, tenant.id, now - timedelta(days=40))

    def write(session):
        _mass(session, tenant.id, bob.id, lisi.id, now - timedelta(hours=1), status="limit")
        add_entry(session, NOT_CONTACT, tenant_id=tenant.id, customer_id=bob.id, occurred_at=now)
    in_writer(db, write)
    evaluate(db, rule, now)
    assert bob.id in {c for c, _e in subjects(db, tenant.id, rule)}


def test_a_paused_rule_reminds_no_one_and_enabling_again_does_not_repeat_a_delivered_reminder(
        app, db, tenant, churn_account, sandbox, worker):
    lisi = employee(db, tenant.id, "lisi")
    rule = quiet_rule(app, db, tenant.id, [lisi.id])
    now = utcnow()
    befriended(db, tenant.id, now - timedelta(days=40), wmAlice=now)
    with app.test_request_context():
        in_writer(db, lambda s: service.set_status(s, s.get(SopRule, rule), "pause"))
    assert in_writer(db, lambda s: plan_tenant(s, tenant.id, now)) == 0
    assert deliver(db, tenant.id).tasks == 0 and tasks(db, tenant.id) == []
    with app.test_request_context():
        in_writer(db, lambda s: service.set_status(s, s.get(SopRule, rule), "enable"))
    assert in_writer(db, lambda s: plan_tenant(s, tenant.id)) == 1  # Bob, silent at the switch-on
    assert deliver(db, tenant.id).tasks == 1
    worker.join()
    assert len(to(app_messages(sandbox[1]), "lisi")) == 1
    with app.test_request_context():
        in_writer(db, lambda s: service.set_status(s, s.get(SopRule, rule), "pause"))
        in_writer(db, lambda s: service.set_status(s, s.get(SopRule, rule), "enable"))
    assert in_writer(db, lambda s: plan_tenant(s, tenant.id)) == 0  # the delivered to-do stands for this period


def test_pausing_cancels_a_planned_reminder_and_an_edited_rule_plans_its_new_node(app, db, tenant, churn_account,
                                                                                   sandbox, worker):
    lisi = employee(db, tenant.id, "lisi")
    rule = make_rule(app, db, tenant.id, name="3天未沟通", trigger="no_communication", quiet_days="3",
                     employees=[lisi.id], nodes=[node(title="明天联系 {customer}", day=1)])
    now = utcnow()
    befriended(db, tenant.id, now - timedelta(days=40), wmAlice=now)
    assert in_writer(db, lambda s: plan_tenant(s, tenant.id)) == 1
    with app.test_request_context():
        in_writer(db, lambda s: service.set_status(s, s.get(SopRule, rule), "pause"))
        assert [t.status for t in tasks(db, tenant.id)] == ["cancelled"]
        data = service.RuleInput(name="5天未沟通", trigger="no_communication", quiet_days="5",
                                 employee_ids=[str(lisi.id)], nodes=[node(title="联系 {customer}")])
        in_writer(db, lambda s: service.update_rule(s, s.get(SopRule, rule), data))
        in_writer(db, lambda s: service.set_status(s, s.get(SopRule, rule), "enable"))
    assert db.get(SopRule, rule).params["quiet_days"] == 5
    assert in_writer(db, lambda s: plan_tenant(s, tenant.id)) == 1
    cancelled, planned = tasks(db, tenant.id)
    assert cancelled.status == "cancelled" and planned.status == "pending" and planned.node_id != cancelled.node_id
    assert deliver(db, tenant.id).tasks == 1
    worker.join()
    [card] = to(app_messages(sandbox[1]), "lisi")
    assert card["textcard"]["title"] == "联系 Bob"


def test_saving_the_rule_schedules_the_hourly_evaluator_now(app, db, tenant, churn_account):
    lisi = employee(db, tenant.id, "lisi")
    in_writer(db, lambda s: s.execute(update(ScheduledJob).where(ScheduledJob.key == quiet_key(tenant.id))
                                      .values(due_at=utcnow() + timedelta(minutes=50))))
    quiet_rule(app, db, tenant.id, [lisi.id])
    db.expire_all()
    job = db.execute(select(ScheduledJob).where(ScheduledJob.key == quiet_key(tenant.id))).scalar_one()
    assert (job.actor, job.interval_seconds, job.tenant_id) == (QUIET_ACTOR, QUIET_EVERY, tenant.id)
    assert QUIET_EVERY == 3600 and job.due_at <= utcnow()


def test_the_evaluator_of_a_tenant_plans_and_delivers_only_that_tenants_rules(
        app, db, tenant, other_tenant, churn_account, enable_plugins, sandbox, worker):
    lisi = employee(db, tenant.id, "lisi")
    enable_plugins(other_tenant, "wecom")
    rule = quiet_rule(app, db, tenant.id, [lisi.id])
    theirs = make_rule(app, db, other_tenant.id, name="别家规则", trigger="schedule", start="2026-01-01 09:00",
                       employees=[_their_employee(db, other_tenant.id)])
    # a forged rule of the other tenant naming this tenant's employee: it must still see only its own friends
    in_writer(db, lambda s: s.execute(update(SopRule).where(SopRule.id == theirs).values(
        trigger="no_communication", params={"quiet_days": 3}, employee_ids=[lisi.id])))
    befriended(db, tenant.id, utcnow() - timedelta(days=40))
    run = in_writer(db, lambda s: evaluate_once(s, other_tenant.id))
    assert run.tasks == 0 and tasks(db, tenant.id) == [] and tasks(db, other_tenant.id) == []
    run = in_writer(db, lambda s: evaluate_once(s, tenant.id))
    assert run.tasks == 2 and {t.rule_id for t in tasks(db, tenant.id)} == {rule}
    worker.join()
    assert len(to(app_messages(sandbox[1]), "lisi")) == 1  # one card for lisi's two to-dos


def _their_employee(db, tenant_id):
    from scrm.sdk import Employee

    row = Employee(tenant_id=tenant_id, userid="other1", name="别家员工")
    db.add(row)
    db.commit()
    return row.id
