"""The platform's inbox recovery and the record of jobs skipped for a disabled plugin.

Recovery is tested by breaking what it recovers from: callbacks stored while the broker was down or their job was
dropped are processed exactly once after the scheduler ticks; a callback that keeps failing ends failed after
``max_attempts`` re-runs; the cap per tick and the grace period hold; tenants and disabled plugins are kept apart.
"""

from __future__ import annotations

import threading
from datetime import timedelta

import pytest
from sqlalchemy import select, update

from scrm.core.inbox import Inbound
from scrm.core.inbox_recovery import (
    GAVE_UP,
    INTERVAL,
    RECOVERY_ACTOR,
    SCHEDULE_KEY,
    RecoveryPolicy,
    ensure_schedule,
    recover_inbox,
)
from scrm.core.jobs.skips import REASON, REASON_CODE
from scrm.core.models import DeliveryStatus, InboundCallback, MessageDelivery, ScheduledJob, SkippedJob
from scrm.core.plugins.enablement import disable_plugin
from scrm.sdk import actor, create_channel_account, job_session, utcnow

PLUGIN = "wecom"  # a real channel plugin, so that enablement applies to the test jobs below
PROCESSED: list[tuple[int, int]] = []
_lock = threading.Lock()


@actor(name="tests.inbox_recovery.process", plugin=PLUGIN, max_retries=0)
def process(tenant_id: int, *, inbound_ids: list[int]) -> None:
    """A channel's processing job: marks each unprocessed row of the tenant processed, once."""
    with job_session() as session:
        for row in session.execute(select(InboundCallback).where(
                InboundCallback.id.in_(inbound_ids), InboundCallback.tenant_id == tenant_id,
                InboundCallback.processed_at.is_(None))).scalars():
            row.processed_at = utcnow()
            with _lock:
                PROCESSED.append((tenant_id, row.id))


@actor(name="tests.inbox_recovery.always_fails", plugin=PLUGIN, max_retries=0)
def always_fails(tenant_id: int, *, inbound_ids: list[int]) -> None:
    raise RuntimeError("the provider's payload can never be handled")


@actor(name="tests.inbox_recovery.send", plugin=PLUGIN, max_retries=0)
def send(tenant_id: int, *, delivery_id: int) -> None:
    raise AssertionError("a disabled plugin's job must not run")


class FakeBus:
    """Collects the jobs the recovery enqueues (or refuses them, like a broker that is down)."""

    def __init__(self, down: bool = False) -> None:
        self.jobs: list = []
        self.down = down

    def send_many(self, jobs) -> int:
        jobs = list(jobs)
        if self.down:
            raise ConnectionError("broker down")
        self.jobs.extend(jobs)
        return len(jobs)


@pytest.fixture(autouse=True)
def _forget_processed():
    PROCESSED.clear()
    yield
    PROCESSED.clear()


@pytest.fixture
def channel(platform, db, tenant, enable_plugins):
    enable_plugins(tenant, PLUGIN)
    account = create_channel_account(db, platform.secrets, tenant.id, PLUGIN, "corp", "ww-recovery", {})
    db.commit()
    return account


def store_row(db, account, key: str, *, actor_name: str | None = process.name, age: timedelta = timedelta(hours=1),
              tenant_id: int | None = None) -> int:
    row = InboundCallback(tenant_id=tenant_id or account.tenant_id, account_id=account.id, plugin=PLUGIN,
                          dedupe_key=key, body="<xml/>", process_actor=actor_name, created_at=utcnow() - age)
    db.add(row)
    db.commit()
    return row.id


def rows(db) -> dict[int, InboundCallback]:
    db.commit()
    db.expire_all()
    return {row.id: row for row in db.execute(select(InboundCallback)).scalars()}


def age_all(db, by: timedelta) -> None:
    """Time passes for every stored callback (its storing and last re-run move ``by`` into the past)."""
    for row in rows(db).values():
        row.created_at -= by
        row.retried_at = row.retried_at - by if row.retried_at else None
    db.commit()


def enabled_everywhere(tenant_id, plugin) -> bool:
    return True


# -- recovered from: the broker down, the job dropped ----------------------------------------------------------------

@pytest.mark.parametrize("failure", ["broker down", "job dropped"])
def test_callbacks_stored_without_their_job_are_processed_once_after_the_scheduler_ticks(
        failure, platform, db, channel, worker, monkeypatch):
    def refuse(jobs):
        list(jobs)
        if failure == "broker down":
            raise ConnectionError("broker down")
        return 0  # taken and lost

    with monkeypatch.context() as broken:
        broken.setattr(platform.bus, "send_many", refuse)
        for n in range(3):
            platform.inbox.store(Inbound(channel.tenant_id, channel.id, PLUGIN, f"event:{n}", "<xml/>",
                                         process=process))
    worker.join()
    stored = rows(db)
    assert len(stored) == 3 and PROCESSED == []
    assert {row.process_actor for row in stored.values()} == {process.name}  # the row knows its job

    platform.tick()  # within the grace period: the recovery runs and leaves the rows to their (lost) job
    worker.join()
    assert PROCESSED == []

    age_all(db, timedelta(seconds=platform.settings.inbox_grace_seconds + 1))
    platform.tick(now=utcnow() + timedelta(seconds=INTERVAL + 1))
    worker.join()
    assert sorted(PROCESSED) == sorted((channel.tenant_id, i) for i in stored)
    assert all(row.processed_at is not None and row.attempts == 1 for row in rows(db).values())

    age_all(db, timedelta(hours=1))
    platform.tick(now=utcnow() + timedelta(seconds=2 * INTERVAL + 2))
    worker.join()
    assert len(PROCESSED) == 3  # exactly once


def test_the_platform_schedule_exists_once_for_every_tenant_without_re_enabling(platform, db, tenant, other_tenant):
    assert ensure_schedule(platform.engine) is True
    assert ensure_schedule(platform.engine) is False
    platform.tick()
    [job] = db.execute(select(ScheduledJob).where(ScheduledJob.key == SCHEDULE_KEY)).scalars()
    assert (job.actor, job.tenant_id, job.interval_seconds) == (RECOVERY_ACTOR, None, INTERVAL)
    assert db.execute(select(ScheduledJob).where(ScheduledJob.key.like("wecom.pending:%"))).first() is None
    db.execute(update(ScheduledJob).where(ScheduledJob.key == SCHEDULE_KEY).values(status="cancelled"))
    db.commit()
    ensure_schedule(platform.engine)  # the recovery always runs: a cancelled row is put back
    db.expire_all()
    assert db.get(ScheduledJob, job.id).status == "pending"


# -- the rules: grace, cap, attempts --------------------------------------------------------------------------------

def test_a_callback_that_keeps_failing_ends_failed_after_max_attempts(platform, db, channel):
    row_id = store_row(db, channel, "event:poison", actor_name=always_fails.name)
    policy = RecoveryPolicy(grace=timedelta(minutes=2), limit=10, max_attempts=3)
    now, reruns = utcnow(), []
    for _ in range(5):
        bus = FakeBus()
        reruns.append(recover_inbox(platform.engine, bus, policy, enabled_everywhere, now=now).rerun)
        for job in bus.jobs:
            with pytest.raises(RuntimeError):
                job.actor(job.tenant_id, **job.kwargs)
        now += policy.grace + timedelta(seconds=1)
    assert reruns == [1, 1, 1, 0, 0]
    row = rows(db)[row_id]
    assert row.failed_at is not None and row.processed_at is None and row.attempts == 3
    assert row.error == GAVE_UP.format(attempts=3)


def test_the_grace_period_and_the_cap_per_tick_hold(platform, db, channel):
    young = store_row(db, channel, "event:young", age=timedelta(seconds=30))
    old = [store_row(db, channel, f"event:{n}", age=timedelta(minutes=10)) for n in range(7)]
    policy = RecoveryPolicy(grace=timedelta(seconds=60), limit=3, max_attempts=5)
    now, seen = utcnow(), []
    for _ in range(3):
        bus = FakeBus()
        recover_inbox(platform.engine, bus, policy, enabled_everywhere, now=now)
        seen.append(sorted(i for job in bus.jobs for i in job.kwargs["inbound_ids"]))
    assert seen == [old[:3], old[3:6], old[6:]]  # oldest first, 3 per tick, each re-run waits out the grace again
    assert young not in [i for ids in seen for i in ids]
    bus = FakeBus()
    recover_inbox(platform.engine, bus, policy, enabled_everywhere, now=now + timedelta(seconds=61))
    assert sorted(i for job in bus.jobs for i in job.kwargs["inbound_ids"]) == [young, *old[:2]]  # its turn now


def test_a_broker_refusing_the_recovery_counts_no_attempt(platform, db, channel):
    row_id = store_row(db, channel, "event:1")
    with pytest.raises(ConnectionError):
        recover_inbox(platform.engine, FakeBus(down=True), RecoveryPolicy(), enabled_everywhere)
    row = rows(db)[row_id]
    assert (row.attempts, row.retried_at) == (0, None)


def test_policy_comes_from_the_settings(platform, monkeypatch):
    monkeypatch.setattr(platform.settings, "inbox_grace_seconds", 7)
    monkeypatch.setattr(platform.settings, "inbox_recovery_batch", 9)
    monkeypatch.setattr(platform.settings, "inbox_max_attempts", 2)
    assert RecoveryPolicy.from_settings(platform.settings) == RecoveryPolicy(timedelta(seconds=7), 9, 2)


# -- tenants and disabled plugins -----------------------------------------------------------------------------------

def test_each_tenant_s_rows_are_re_run_for_that_tenant_only(platform, db, channel, other_tenant, enable_plugins):
    enable_plugins(other_tenant, PLUGIN)
    theirs = create_channel_account(db, platform.secrets, other_tenant.id, PLUGIN, "corp", "ww-other", {})
    db.commit()
    mine = [store_row(db, channel, f"event:{n}") for n in range(2)]
    their = [store_row(db, theirs, f"event:{n}") for n in range(2)]
    bus = FakeBus()
    recover_inbox(platform.engine, bus, RecoveryPolicy(), platform.bus.plugin_enabled)
    by_tenant = {job.tenant_id: sorted(job.kwargs["inbound_ids"]) for job in bus.jobs}
    assert by_tenant == {channel.tenant_id: mine, other_tenant.id: their}


def test_rows_of_a_disabled_plugin_are_left_alone(platform, db, channel, other_tenant, enable_plugins):
    enable_plugins(other_tenant, PLUGIN)
    theirs = create_channel_account(db, platform.secrets, other_tenant.id, PLUGIN, "corp", "ww-other", {})
    db.commit()
    mine = store_row(db, channel, "event:mine")
    their = store_row(db, theirs, "event:theirs")
    disable_plugin(db, platform.registry, db.merge(other_tenant), PLUGIN)
    db.commit()
    bus = FakeBus()
    result = recover_inbox(platform.engine, bus, RecoveryPolicy(), platform.bus.plugin_enabled)
    assert (result.rerun, result.disabled) == (1, 1)
    assert [job.kwargs["inbound_ids"] for job in bus.jobs] == [[mine]]
    assert rows(db)[their].attempts == 0 and rows(db)[their].failed_at is None


# -- jobs skipped because the tenant disabled the plugin ------------------------------------------------------------

def delivery(db, tenant_id: int, key: str, channel: str = PLUGIN,
             status: DeliveryStatus = DeliveryStatus.QUEUED) -> int:
    row = MessageDelivery(tenant_id=tenant_id, channel=channel, recipient="wm1", idempotency_key=key, status=status)
    db.add(row)
    db.commit()
    return row.id


def ledger(db, delivery_id: int) -> MessageDelivery:
    db.commit()
    db.expire_all()
    return db.get(MessageDelivery, delivery_id)


def test_a_skipped_job_is_recorded_and_its_ledger_row_ends_skipped(platform, db, channel, other_tenant, worker):
    tenant_id = channel.tenant_id
    disable_plugin(db, platform.registry, db.merge(db.get(type(other_tenant), tenant_id)), PLUGIN)
    db.commit()
    mine = delivery(db, tenant_id, "k1")
    theirs = delivery(db, other_tenant.id, "k2")
    send.send(tenant_id, delivery_id=mine)
    send.send(tenant_id, delivery_id=theirs)  # another tenant's row named in this tenant's job: left alone
    worker.join()
    skipped = list(db.execute(select(SkippedJob).order_by(SkippedJob.delivery_id)).scalars())
    assert [(s.tenant_id, s.plugin, s.actor, s.delivery_id) for s in skipped] == [
        (tenant_id, PLUGIN, send.name, mine), (tenant_id, PLUGIN, send.name, theirs)]
    assert all(s.message_id and s.created_at for s in skipped)
    row = ledger(db, mine)
    assert (row.status, row.error_code, row.error) == (DeliveryStatus.SKIPPED, REASON_CODE, REASON)
    assert ledger(db, theirs).status == DeliveryStatus.QUEUED


def test_disabling_a_channel_ends_its_queued_ledger_rows_as_skipped(platform, db, channel, other_tenant,
                                                                    enable_plugins):
    tenant_id = channel.tenant_id
    enable_plugins(other_tenant, PLUGIN)
    queued = delivery(db, tenant_id, "q")
    sent = delivery(db, tenant_id, "s", status=DeliveryStatus.SENT)
    other_channel = delivery(db, tenant_id, "o", channel="sms")
    other_tenants = delivery(db, other_tenant.id, "t")
    disable_plugin(db, platform.registry, db.merge(db.get(type(other_tenant), tenant_id)), PLUGIN)
    db.commit()
    assert (ledger(db, queued).status, ledger(db, queued).error) == (DeliveryStatus.SKIPPED, REASON)
    assert ledger(db, sent).status == DeliveryStatus.SENT
    assert ledger(db, other_channel).status == DeliveryStatus.QUEUED
    assert ledger(db, other_tenants).status == DeliveryStatus.QUEUED
