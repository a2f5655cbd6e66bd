# ruff: noqa: F811  (pytest fixtures imported from the area helper module are redefined as test arguments)
"""Stage reminders (spec B §2.15, §4.8.6, J12–J13; acceptance 30): a follow-up rule runs from the durable scheduler
at its local time, change reminders go out in real time or after a delay, the master switch stops everything, and
every reminder is a notification row plus a ``members.notification`` event; pages are tenant-isolated."""

from __future__ import annotations

from datetime import timedelta

from members_loyalty_fixtures import (  # noqa: F401
    admin,
    customer,
    employee,
    loyalty_tenant,
)
from scrm_members.loyalty import reminders, stages
from scrm_members.loyalty.jobs import stage_follow_up
from scrm_members.loyalty.models import Notification, StageFollowUpRule, StageMembership
from scrm_members.loyalty.periods import local_now
from sqlmodel import select, update

from scrm.core.models import Outbox, ScheduledJob
from scrm.core.timeutil import utcnow
from scrm.sdk.timeline import add_entry, contact_kinds, entry_kind


def notes(db, tenant) -> list[Notification]:
    db.commit()
    return list(db.exec(select(Notification).where(Notification.tenant_id == tenant.id).order_by(Notification.id)))


def switch(db, tenant, on: bool, admins: list[int] | None = None) -> None:
    row = reminders.settings(db, tenant.id)
    row.master_enabled, row.admin_employee_ids = on, admins or []
    db.add(row)
    db.commit()


def only_this_schedule(db, job_id: int) -> None:
    """Park the tenants' other recurring schedules so the tick runs only the one under test."""
    db.exec(update(ScheduledJob).where(ScheduledJob.id != job_id).values(status="cancelled"))
    db.commit()


def in_stage(db, tenant, customer_id: int, stage_id: int, days_ago: float) -> None:
    db.add(StageMembership(tenant_id=tenant.id, customer_id=customer_id, stage_id=stage_id,
                           entered_at=utcnow() - timedelta(days=days_ago)))
    db.commit()


def follow_up_stage(db, tenant, days: int = 3):
    stage = stages.tenant_stages(db, tenant.id)[1]
    stage.follow_up_enabled, stage.follow_up_employee = True, True
    db.add(stage)
    db.add(StageFollowUpRule(tenant_id=tenant.id, stage_id=stage.id, condition="stay_time", days=days,
                             send_time="10:00:00"))
    db.commit()
    reminders.ensure_follow_up_schedules(db, tenant.id, stage_follow_up.name)
    db.commit()
    return stage


def test_a_follow_up_rule_reminds_the_owner_at_its_time_through_the_scheduler(db, loyalty_tenant, customer, employee,
                                                                              worker, platform):
    guide = employee(loyalty_tenant, "Lily")
    switch(db, loyalty_tenant, True)
    stage = follow_up_stage(db, loyalty_tenant)
    overdue = customer(loyalty_tenant, "Ann", owner_employee_id=guide.id)
    fresh = customer(loyalty_tenant, "Bob", owner_employee_id=guide.id)
    in_stage(db, loyalty_tenant, overdue.id, stage.id, 4)
    in_stage(db, loyalty_tenant, fresh.id, stage.id, 2)
    job = db.exec(select(ScheduledJob).where(ScheduledJob.key == reminders.schedule_key(loyalty_tenant.id,
                                                                                         "10:00:00"))).one()
    assert local_now(job.due_at).strftime("%H:%M:%S") == "10:00:00" and job.interval_seconds == 86400
    only_this_schedule(db, job.id)
    platform.tick(now=job.due_at - timedelta(seconds=1))
    worker.join()
    assert [n for n in notes(db, loyalty_tenant) if n.kind == "stage_follow_up"] == []
    platform.tick(now=job.due_at + timedelta(seconds=1))
    worker.join()
    sent = [n for n in notes(db, loyalty_tenant) if n.kind == "stage_follow_up"]
    assert [(n.customer_id, n.recipient_employee_id, n.status) for n in sent] == [(overdue.id, guide.id, "sent")]
    event = db.exec(select(Outbox).where(Outbox.type == "members.notification").order_by(Outbox.id)).all()[-1]
    assert event.payload["recipient_userid"] == "lily" and "Ann" in event.payload["text"]
    reminders.follow_up(db, loyalty_tenant.id, "10:00:00")  # the next day: the same stay is not reminded again
    assert len([n for n in notes(db, loyalty_tenant) if n.kind == "stage_follow_up"]) == 1


def test_with_the_master_switch_off_nothing_is_sent(db, loyalty_tenant, customer, employee):
    guide = employee(loyalty_tenant, "Lily")
    switch(db, loyalty_tenant, False)
    stage = follow_up_stage(db, loyalty_tenant)
    ann = customer(loyalty_tenant, "Ann", owner_employee_id=guide.id)
    in_stage(db, loyalty_tenant, ann.id, stage.id, 10)
    assert reminders.follow_up(db, loyalty_tenant.id, "10:00:00") == 0
    stage.change_employee = True
    db.add(stage)
    db.commit()
    assert reminders.change_reminders(db, loyalty_tenant.id, [stages.StageChange(ann.id, None, stage.id)]) == 0
    assert notes(db, loyalty_tenant) == []


def test_a_realtime_change_reminder_is_sent_at_once_to_owner_and_admins(db, loyalty_tenant, customer, employee):
    guide, boss = employee(loyalty_tenant, "Lily"), employee(loyalty_tenant, "Boss")
    switch(db, loyalty_tenant, True, admins=[boss.id])
    target = stages.tenant_stages(db, loyalty_tenant.id)[2]
    target.change_employee, target.change_admin = True, True
    db.add(target)
    db.commit()
    ann = customer(loyalty_tenant, "Ann", owner_employee_id=guide.id)
    change = stages.set_stage(db, loyalty_tenant.id, ann.id, target.id)
    reminders.change_reminders(db, loyalty_tenant.id, [change])
    sent = notes(db, loyalty_tenant)
    assert {(n.recipient_employee_id, n.status) for n in sent} == {(guide.id, "sent"), (boss.id, "sent")}
    assert all("首单客户" in n.text for n in sent)


def test_a_delayed_change_reminder_waits_for_its_due_time(db, loyalty_tenant, customer, employee):
    guide = employee(loyalty_tenant, "Lily")
    switch(db, loyalty_tenant, True)
    target = stages.tenant_stages(db, loyalty_tenant.id)[2]
    target.change_employee, target.change_employee_mode, target.change_employee_delay = True, "delayed", 30
    db.add(target)
    db.commit()
    ann = customer(loyalty_tenant, "Ann", owner_employee_id=guide.id)
    reminders.change_reminders(db, loyalty_tenant.id, [stages.StageChange(ann.id, None, target.id)])
    [pending] = notes(db, loyalty_tenant)
    assert pending.status == "pending"
    assert reminders.deliver_due(db, loyalty_tenant.id, utcnow() + timedelta(minutes=29)) == 0
    assert reminders.deliver_due(db, loyalty_tenant.id, utcnow() + timedelta(minutes=31)) == 1
    assert notes(db, loyalty_tenant)[0].status == "sent"


def test_a_delayed_reminder_due_after_the_switch_went_off_is_cancelled(db, loyalty_tenant, customer, employee):
    guide = employee(loyalty_tenant, "Lily")
    switch(db, loyalty_tenant, True)
    target = stages.tenant_stages(db, loyalty_tenant.id)[2]
    target.change_employee, target.change_employee_mode, target.change_employee_delay = True, "delayed", 5
    db.add(target)
    db.commit()
    ann = customer(loyalty_tenant, "Ann", owner_employee_id=guide.id)
    reminders.change_reminders(db, loyalty_tenant.id, [stages.StageChange(ann.id, None, target.id)])
    db.commit()
    switch(db, loyalty_tenant, False)
    reminders.deliver_due(db, loyalty_tenant.id, utcnow() + timedelta(minutes=10))
    assert notes(db, loyalty_tenant)[0].status == "cancelled"


def test_reminder_settings_page_validates_admins_and_pages_are_isolated(client, admin, loyalty_tenant, other_tenant,
                                                                        employee, customer, db):
    mine, theirs = employee(loyalty_tenant, "Lily"), employee(other_tenant, "Olga")
    bad = client.post("/t/acme/members/stages/reminders", data={"master_enabled": "1",
                                                                 "admin_employee_id": [str(theirs.id)]})
    assert bad.status_code == 422 and 'data-testid="admins-error"' in bad.get_data(as_text=True)
    assert reminders.settings(db, loyalty_tenant.id).master_enabled is False
    ok = client.post("/t/acme/members/stages/reminders", data={"master_enabled": "1",
                                                                "admin_employee_id": [str(mine.id)]})
    assert ok.status_code == 302
    db.commit()
    row = reminders.settings(db, loyalty_tenant.id)
    db.refresh(row)
    assert row.master_enabled and row.admin_employee_ids == [mine.id]
    bob = customer(other_tenant, "Bob")
    db.add(Notification(tenant_id=other_tenant.id, recipient_employee_id=theirs.id, kind="stage_change",
                        text="Globex secret reminder", dedupe_key="x", customer_id=bob.id))
    db.commit()
    assert "Globex secret reminder" not in client.get("/t/acme/members/notifications/").get_data(as_text=True)


CALL = entry_kind("remindertest", "call", "phone call", "A phone call with the customer (a contact).", contact=True)
LOST = entry_kind("remindertest", "lost", "friend lost", "The customer ended a friendship (not a contact).")


def test_no_contact_counts_only_contact_kinds(db, loyalty_tenant, customer, employee):
    """A friend lost, a tag or a group chat move is not a contact: only kinds declared with ``contact=True`` (a
    follow-up, a message, a friend added) reset the no-contact clock (members README, "Reminders")."""
    guide = employee(loyalty_tenant, "Lily")
    switch(db, loyalty_tenant, True)
    stage = stages.tenant_stages(db, loyalty_tenant.id)[1]
    stage.follow_up_enabled, stage.follow_up_employee = True, True
    db.add(stage)
    db.add(StageFollowUpRule(tenant_id=loyalty_tenant.id, stage_id=stage.id, condition="no_contact_time", days=3,
                             send_time="10:00:00"))
    db.commit()
    long_ago = utcnow() - timedelta(days=20)
    called = customer(loyalty_tenant, "Ann", owner_employee_id=guide.id, created_at=long_ago)
    lost = customer(loyalty_tenant, "Bob", owner_employee_id=guide.id, created_at=long_ago)
    for person in (called, lost):
        in_stage(db, loyalty_tenant, person.id, stage.id, 10)
    yesterday = utcnow() - timedelta(days=1)
    add_entry(db, CALL, tenant_id=loyalty_tenant.id, customer_id=called.id, occurred_at=yesterday)
    add_entry(db, LOST, tenant_id=loyalty_tenant.id, customer_id=lost.id, occurred_at=yesterday)
    db.commit()
    assert ("remindertest", "call") in contact_kinds() and ("remindertest", "lost") not in contact_kinds()
    reminders.follow_up(db, loyalty_tenant.id, "10:00:00")
    sent = [n.customer_id for n in notes(db, loyalty_tenant) if n.kind == "stage_follow_up"]
    assert sent == [lost.id]
