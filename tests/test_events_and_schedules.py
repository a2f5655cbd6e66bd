"""Domain events through the outbox (at least once, even when the broker was down) and the durable scheduler
(a job due at T runs once after T, also when the broker lost it in between)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from dramatiq.brokers.redis import RedisBroker
from scrm_example.models import ExampleNote
from sqlmodel import select

from scrm.core.events import publish
from scrm.core.inbox_recovery import ensure_schedule as ensure_inbox_recovery
from scrm.core.jobs.scheduler import ScheduleError, schedule
from scrm.core.models import Customer, EventDelivery, JobStatus, Outbox, ScheduledJob
from scrm.core.services.identity import match_or_create
from scrm.core.timeutil import utcnow

STAMP = "scrm_example.jobs.stamp"


def event_notes(db, tenant) -> list[str]:
    db.commit()
    return list(db.exec(select(ExampleNote.event_id).where(ExampleNote.tenant_id == tenant.id,
                                                           ExampleNote.source == "event")))


def job_notes(db, tenant) -> list[str]:
    db.commit()
    return list(db.exec(select(ExampleNote.body).where(ExampleNote.tenant_id == tenant.id,
                                                       ExampleNote.source == "job")))


# -- events --------------------------------------------------------------------------------------------------------


def test_a_committed_event_reaches_the_subscriber_once(worker, db, tenant, enable_plugins):
    enable_plugins(tenant, "example")
    match_or_create(db, tenant.id, {"mobile": "13800000001"}, name="Alice")
    db.commit()
    worker.join()
    outbox = db.exec(select(Outbox).where(Outbox.type == "customer.created")).one()
    assert event_notes(db, tenant) == [outbox.event_id]
    assert outbox.dispatched_at is not None


def test_a_rolled_back_event_is_never_delivered(worker, db, tenant, enable_plugins):
    enable_plugins(tenant, "example")
    match_or_create(db, tenant.id, {"mobile": "13800000001"}, name="Alice")
    db.rollback()
    worker.join()
    assert db.exec(select(Outbox)).first() is None
    assert event_notes(db, tenant) == []


def test_events_of_a_tenant_do_not_reach_plugins_it_did_not_enable(worker, db, tenant, other_tenant,
                                                                   enable_plugins):
    enable_plugins(other_tenant, "example")
    match_or_create(db, tenant.id, {"mobile": "13800000001"}, name="Alice")
    db.commit()
    worker.join()
    assert event_notes(db, tenant) == [] and event_notes(db, other_tenant) == []


def test_redelivery_is_harmless(worker, db, tenant, enable_plugins, platform):
    from scrm.core.events import enqueue_dispatch

    enable_plugins(tenant, "example")
    match_or_create(db, tenant.id, {"mobile": "13800000001"}, name="Alice")
    db.commit()
    worker.join()
    row = db.exec(select(Outbox).where(Outbox.type == "customer.created")).one()
    row.dispatched_at = None  # as if the broker delivered the dispatch message a second time
    db.add(row)
    db.commit()
    enqueue_dispatch(platform.engine, [row.id])
    platform.bus.send("scrm.core.deliver_event", tenant.id, {"outbox_id": row.id, "plugin": "example"})
    worker.join()
    assert len(event_notes(db, tenant)) == 1
    assert len(db.exec(select(EventDelivery).where(EventDelivery.outbox_id == row.id)).all()) == 1


def test_an_event_published_while_the_broker_is_down_is_delivered_when_it_is_back(worker, db, tenant,
                                                                                 enable_plugins, platform):
    enable_plugins(tenant, "example")
    bus = platform.bus
    live = bus.broker
    bus.broker = RedisBroker(url="redis://127.0.0.1:1/0", namespace="scrm-down")  # nothing listens there
    try:
        match_or_create(db, tenant.id, {"mobile": "13800000001"}, name="Alice")
        db.commit()  # the change commits although the broker refuses the event
    finally:
        bus.broker = live
    db.expire_all()
    row = db.exec(select(Outbox).where(Outbox.type == "customer.created")).one()
    assert row.enqueued_at is None and row.dispatched_at is None
    assert db.exec(select(Customer.name)).one() == "Alice"

    platform.tick(now=row.created_at + timedelta(seconds=29))  # within the 30-second grace period: not yet
    worker.join()
    assert outbox_row(db, row.id).enqueued_at is None and event_notes(db, tenant) == []
    platform.tick(now=row.created_at + timedelta(seconds=31))
    worker.join()
    assert outbox_row(db, row.id).enqueued_at is not None
    assert event_notes(db, tenant) == [row.event_id]


def outbox_row(db, outbox_id: int) -> Outbox:
    db.commit()
    db.expire_all()
    return db.get(Outbox, outbox_id)


def test_an_event_the_broker_took_and_lost_is_sent_again_once_it_is_stale(broker, db, tenant, enable_plugins,
                                                                          platform):
    """The relay re-sends an event enqueued more than 5 minutes ago and never dispatched (the broker lost it), and
    leaves alone one enqueued recently (its message may still be on its way)."""
    enable_plugins(tenant, "example")
    match_or_create(db, tenant.id, {"mobile": "13800000001"}, name="Alice")
    db.commit()  # no worker runs: the dispatch message waits in the broker
    row = db.exec(select(Outbox).where(Outbox.type == "customer.created")).one()
    assert row.enqueued_at is not None and row.dispatched_at is None
    broker.flush()  # the broker lost it (a restart of an in-memory or unpersisted broker)
    enqueued_at = row.enqueued_at
    broker.start_worker(threads=2)
    try:
        platform.tick(now=enqueued_at + timedelta(minutes=4))
        broker.join()
        assert outbox_row(db, row.id).enqueued_at == enqueued_at and event_notes(db, tenant) == []
        platform.tick(now=enqueued_at + timedelta(minutes=6))
        broker.join()
    finally:
        broker.stop_worker()
    assert outbox_row(db, row.id).dispatched_at is not None
    assert event_notes(db, tenant) == [row.event_id]


def test_publish_needs_the_callers_transaction(db, tenant):
    event_id = publish(db, tenant.id, "example.something", {"x": 1})
    db.rollback()
    assert db.exec(select(Outbox).where(Outbox.event_id == event_id)).first() is None


# -- schedules -----------------------------------------------------------------------------------------------------


def due_job(db, tenant, due_at, **extra) -> ScheduledJob:
    job = schedule(db, STAMP, due_at, tenant_id=tenant.id, kwargs={"body": "scheduled"}, **extra)
    db.commit()
    return job


@pytest.fixture(autouse=True)
def _platform_jobs_far_ahead(platform):
    """The platform's own recurring job (the inbox recovery, created by the first tick) is scheduled a day ahead:
    the tests below count the jobs a tick enqueues, theirs only."""
    ensure_inbox_recovery(platform.engine, now=utcnow() + timedelta(days=1))


def test_a_job_is_not_run_before_it_is_due(worker, db, tenant, enable_plugins, platform):
    enable_plugins(tenant, "example")
    t = utcnow() + timedelta(hours=1)
    due_job(db, tenant, t)
    assert platform.tick(now=t - timedelta(seconds=1)) == 0
    worker.join()
    assert job_notes(db, tenant) == []


def test_a_due_job_runs_once(worker, db, tenant, enable_plugins, platform):
    enable_plugins(tenant, "example")
    t = utcnow() + timedelta(hours=1)
    job = due_job(db, tenant, t)
    assert platform.tick(now=t + timedelta(seconds=1)) == 1
    worker.join()
    assert platform.tick(now=t + timedelta(seconds=2)) == 0
    worker.join()
    assert job_notes(db, tenant) == ["scheduled"]
    db.refresh(job)
    assert job.status == JobStatus.DONE and job.run_count == 1


def test_a_job_whose_message_was_lost_in_a_restart_still_runs_once(broker, db, tenant, enable_plugins, platform):
    enable_plugins(tenant, "example")
    t = utcnow() + timedelta(hours=1)
    due_job(db, tenant, t)
    assert platform.tick(now=t + timedelta(seconds=1)) == 1
    broker.flush()  # the process died: the broker's copy of the message is gone, the row says "enqueued"
    broker.start_worker(threads=2)
    try:
        assert platform.tick(now=t + timedelta(minutes=1)) == 0  # not yet stale: no double run
        assert platform.tick(now=t + timedelta(minutes=11)) == 1  # stale: put back and enqueued again
        broker.join()
        platform.tick(now=t + timedelta(minutes=12))
        broker.join()
    finally:
        broker.stop_worker()
    assert job_notes(db, tenant) == ["scheduled"]


def test_a_job_whose_worker_died_while_running_it_runs_again_after_three_stale_periods(broker, db, tenant,
                                                                                         enable_plugins, platform):
    """A job left "running" by a worker that died is put back 30 minutes (3 x 10) after it started, not sooner,
    and then runs to completion once."""
    from scrm.core.jobs.scheduler import claim_for_run

    enable_plugins(tenant, "example")
    t = utcnow() - timedelta(minutes=1)
    job = due_job(db, tenant, t)
    assert platform.tick(now=t + timedelta(seconds=1)) == 1
    broker.flush()  # the worker took the message ...
    claimed = claim_for_run(platform.engine, job.id)  # ... started the job and died before finishing it
    assert claimed is not None
    started = claimed.started_at
    broker.start_worker(threads=2)
    try:
        assert platform.tick(now=started + timedelta(minutes=29)) == 0  # may still be running: not touched
        db.refresh(job)
        assert job.status == JobStatus.RUNNING
        assert platform.tick(now=started + timedelta(minutes=31)) == 1  # dead: put back and enqueued again
        broker.join()
    finally:
        broker.stop_worker()
    db.refresh(job)
    assert job.status == JobStatus.DONE and job.run_count == 1
    assert job_notes(db, tenant) == ["scheduled"]


def test_a_recurring_job_moves_to_its_next_due_time(worker, db, tenant, enable_plugins, platform):
    enable_plugins(tenant, "example")
    t = utcnow() + timedelta(hours=1)
    job = due_job(db, tenant, t, interval_seconds=600, key="stamp:acme")
    platform.tick(now=t + timedelta(seconds=1))
    worker.join()
    db.refresh(job)
    assert job.status == JobStatus.PENDING and job.due_at == t + timedelta(seconds=600)
    assert job_notes(db, tenant) == ["scheduled"]


def test_scheduling_again_with_a_key_replaces_the_job(db, tenant):
    t = utcnow() + timedelta(hours=1)
    due_job(db, tenant, t, key="stamp:acme")
    due_job(db, tenant, t + timedelta(hours=1), key="stamp:acme")
    rows = db.exec(select(ScheduledJob).where(ScheduledJob.key == "stamp:acme")).all()
    assert len(rows) == 1 and rows[0].due_at == t + timedelta(hours=1)


def test_a_scheduled_job_of_a_disabled_plugin_is_skipped(worker, db, tenant, platform):
    t = utcnow() + timedelta(hours=1)
    job = due_job(db, tenant, t)
    platform.tick(now=t + timedelta(seconds=1))
    worker.join()
    db.refresh(job)
    assert job.status == JobStatus.DONE and job_notes(db, tenant) == []


def test_a_failing_job_backs_off_and_records_the_error(worker, db, tenant, enable_plugins, platform):
    enable_plugins(tenant, "example")
    t = utcnow() + timedelta(hours=1)
    job = schedule(db, STAMP, t, tenant_id=tenant.id, kwargs={"wrong": 1})
    db.commit()
    platform.tick(now=t + timedelta(seconds=1))
    worker.join()
    db.refresh(job)
    assert job.status == JobStatus.PENDING and job.attempts == 1 and "TypeError" in job.last_error
    assert job.due_at > utcnow()  # retried later, with backoff


def test_scheduling_an_unknown_job_is_refused(db, tenant):
    with pytest.raises(ScheduleError, match="unknown job 'nope.nothing'"):
        schedule(db, "nope.nothing", utcnow(), tenant_id=tenant.id)


def test_a_stopped_worker_takes_no_messages_of_queues_declared_later(broker):
    """dramatiq's Worker leaves a middleware on the broker that adds consumers for queues declared later; the bus
    removes it on stop, or a stopped worker would swallow those queues' messages and a join would never return."""
    import dramatiq

    broker.start_worker(threads=1)
    broker.stop_worker()
    broker.start_worker(threads=1)
    try:
        done = []
        queue = f"late-{len(broker.broker.get_declared_queues())}"
        actor = dramatiq.Actor(lambda: done.append(1), broker=broker.broker, actor_name=f"{queue}.job",
                               queue_name=queue, priority=0, options={})
        actor.send()
        broker.join(timeout=10)
        assert done == [1]
        workers = [m for m in broker.broker.middleware if type(m).__name__ == "_WorkerMiddleware"]
        assert len(workers) == 1
    finally:
        broker.stop_worker()


def test_a_message_a_stopped_worker_never_finished_does_not_block_later_joins(broker):
    """A worker stopped while it held a message leaves it unfinished in the in-process queue; flushing forgets it."""
    import dramatiq
    from dramatiq.brokers.stub import StubBroker

    if not isinstance(broker.broker, StubBroker):
        pytest.skip("the in-process broker's queues only (a Redis broker acknowledges or requeues by itself)")

    queue = f"held-{len(broker.broker.get_declared_queues())}"
    actor = dramatiq.Actor(lambda: None, broker=broker.broker, actor_name=f"{queue}.job", queue_name=queue,
                           priority=0, options={})
    actor.send()
    broker.broker.queues[queue].get_nowait()  # taken by a consumer that went away without finishing it
    broker.flush()
    broker.start_worker(threads=1)
    try:
        actor.send()
        broker.join(timeout=5)
    finally:
        broker.stop_worker()
