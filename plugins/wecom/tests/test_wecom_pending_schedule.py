"""The recurring recovery of stored callbacks the broker never took: one durable schedule per tenant while the plugin
is enabled, and a stored-but-unprocessed callback processed once the schedule has run."""

from __future__ import annotations

from datetime import timedelta

from scrm_wecom.jobs import PENDING_GRACE, PENDING_INTERVAL, pending_schedule_key, process_pending
from scrm_wecom.sandbox import event_xml
from sqlmodel import select
from wecom_foundation_fixtures import *  # noqa: F403
from wecom_foundation_fixtures import OTHER_CORP_ID

from scrm.core.plugins.enablement import disable_plugin, enable_plugin
from scrm.sdk import InboundCallback, ScheduledJob, utcnow


def schedules(db) -> dict[str, ScheduledJob]:
    db.commit()
    db.expire_all()
    rows = db.exec(select(ScheduledJob).where(ScheduledJob.key.like("wecom.pending:%")))
    return {row.key: row for row in rows}


def lost_callback(db, account, key: str, *, age: timedelta = PENDING_GRACE * 2) -> InboundCallback:
    """A callback stored while the broker refused it: never enqueued, never processed."""
    xml = event_xml(account.external_id, "change_external_contact", "add_external_contact", UserID="zhangsan",
                    ExternalUserID=f"wm{key}")
    row = InboundCallback(tenant_id=account.tenant_id, account_id=account.id, plugin="wecom", dedupe_key=key,
                          body=xml, created_at=utcnow() - age)
    db.add(row)
    db.commit()
    return row


def processed(db, row_id: int) -> bool:
    db.commit()
    db.expire_all()
    return db.get(InboundCallback, row_id).processed_at is not None


def test_enabling_the_plugin_schedules_one_recovery_per_tenant(platform, db, tenant, other_tenant, enable_plugins):
    enable_plugins(tenant, "wecom")
    enable_plugins(other_tenant, "wecom")
    rows = schedules(db)
    assert set(rows) == {pending_schedule_key(tenant.id), pending_schedule_key(other_tenant.id)}
    mine = rows[pending_schedule_key(tenant.id)]
    assert (mine.tenant_id, mine.actor, mine.interval_seconds, mine.status) == (
        tenant.id, process_pending.name, PENDING_INTERVAL, "pending")
    # disabling cancels it; enabling again reuses the same row instead of adding one
    disable_plugin(db, platform.registry, db.merge(tenant), "wecom")
    db.commit()
    assert schedules(db)[pending_schedule_key(tenant.id)].status == "cancelled"
    assert schedules(db)[pending_schedule_key(other_tenant.id)].status == "pending"
    enable_plugin(db, platform.registry, db.merge(tenant), "wecom")
    db.commit()
    rows = schedules(db)
    assert len(rows) == 2 and rows[pending_schedule_key(tenant.id)].status == "pending"
    assert rows[pending_schedule_key(tenant.id)].id == mine.id


def test_a_stored_but_unprocessed_callback_is_processed_after_the_schedule_runs(
        platform, db, tenant, other_tenant, enable_plugins, make_account, worker):
    enable_plugins(tenant, "wecom")
    enable_plugins(other_tenant, "wecom")
    account = make_account(tenant)
    mine = lost_callback(db, account, "lost-1")
    recent = lost_callback(db, account, "just-stored", age=timedelta(seconds=5))
    theirs = lost_callback(db, make_account(other_tenant, corp_id=OTHER_CORP_ID), "lost-2")
    # only this tenant's schedule comes due
    other_job = schedules(db)[pending_schedule_key(other_tenant.id)]
    other_job.due_at = utcnow() + timedelta(days=1)
    db.add(other_job)
    db.commit()
    assert not processed(db, mine.id)

    assert platform.tick(now=utcnow() + timedelta(seconds=PENDING_INTERVAL + 1)) == 1
    worker.join()

    assert processed(db, mine.id)
    assert not processed(db, recent.id), "a callback younger than the grace period is left to its own job"
    assert not processed(db, theirs.id), "another tenant's callbacks wait for that tenant's schedule"
    job = schedules(db)[pending_schedule_key(tenant.id)]
    assert job.status == "pending" and job.run_count == 1 and job.due_at > utcnow()


def test_a_disabled_tenant_schedule_recovers_nothing(platform, db, tenant, enable_plugins, make_account, worker):
    enable_plugins(tenant, "wecom")
    row = lost_callback(db, make_account(tenant), "lost-while-disabled")
    due = schedules(db)[pending_schedule_key(tenant.id)].due_at
    disable_plugin(db, platform.registry, db.merge(tenant), "wecom")  # the hook cancels the schedule
    db.commit()
    assert platform.tick(now=due + timedelta(seconds=1)) == 0
    worker.join()
    assert not processed(db, row.id)
