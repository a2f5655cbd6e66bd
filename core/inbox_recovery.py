"""Inbox recovery: stored callbacks that were never processed are re-run by one platform schedule for every channel.

A callback is stored (``scrm.core.inbox``) before its processing job is enqueued. When the broker was down, or the
job was lost or kept failing until the broker dropped it, the row stays with ``processed_at`` NULL. The platform
keeps one durable schedule (``SCHEDULE_KEY``, no tenant: it exists whatever tenants and plugins there are, and every
scheduler tick re-creates it if missing) that runs :func:`recover_inbox` every ``INTERVAL`` seconds:

* a row counts as stuck once it waited ``Settings.inbox_grace_seconds`` since it was stored or last re-run;
* at most ``Settings.inbox_recovery_batch`` stuck rows are re-run per tick, oldest first: the job named on the row
  (``process_actor``) is enqueued with ``inbound_ids=[...]`` per (job, tenant), in one broker round trip; the row's
  ``attempts`` grows by one and ``retried_at`` is set in the same transaction, which rolls back when the broker
  refuses the jobs (nothing is counted, the next tick tries again);
* a row re-run ``Settings.inbox_max_attempts`` times and still not processed ends failed: ``failed_at`` and
  ``error`` are set and it is never re-run (visible on the channel's accounts page and in the table);
* rows of a plugin the tenant disabled are left alone (their ``retried_at`` moves on, so they do not hold the cap),
  as are rows whose job no longer exists.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import and_, func, select, update
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session

from .jobs.actors import ACTORS, actor
from .jobs.bus import current_bus
from .models import InboundCallback, JobStatus, ScheduledJob
from .timeutil import utcnow

log = logging.getLogger(__name__)

RECOVERY_ACTOR = "scrm.core.recover_inbox"
SCHEDULE_KEY = "core.inbox_recovery"
INTERVAL = 60
"""Seconds between two runs of the recovery."""
JOB_BATCH = 64
"""Row ids per enqueued processing job (the size of a callback batch)."""
GAVE_UP = "not processed after {attempts} recovery attempts"


@dataclass(frozen=True)
class RecoveryPolicy:
    """The recovery's settings (``Settings.inbox_*``)."""

    grace: timedelta = timedelta(seconds=120)
    limit: int = 500
    max_attempts: int = 5

    @classmethod
    def from_settings(cls, settings) -> RecoveryPolicy:
        return cls(grace=timedelta(seconds=settings.inbox_grace_seconds), limit=settings.inbox_recovery_batch,
                   max_attempts=settings.inbox_max_attempts)


@dataclass(frozen=True)
class Recovery:
    """What one run did: rows re-run, rows that ended failed, rows left because their plugin is disabled."""

    rerun: int = 0
    failed: int = 0
    disabled: int = 0


def _stuck(cutoff: datetime):
    waited = func.coalesce(InboundCallback.retried_at, InboundCallback.created_at) < cutoff
    return and_(InboundCallback.processed_at.is_(None), InboundCallback.failed_at.is_(None), waited)


def recover_inbox(engine, bus, policy: RecoveryPolicy, enabled: Callable[[int, str], bool],
                  now: datetime | None = None) -> Recovery:
    """Re-run stuck callbacks of every tenant and channel once (see the module docstring). Raises the broker's
    error when it refused the jobs (nothing is counted then)."""
    now = now or utcnow()
    cutoff = now - policy.grace
    table = InboundCallback.__table__
    with engine.begin() as conn:
        failed = conn.execute(
            update(table).where(_stuck(cutoff), table.c.attempts >= policy.max_attempts)
            .values(failed_at=now, error=GAVE_UP.format(attempts=policy.max_attempts))).rowcount
    with engine.begin() as conn:
        rows = conn.execute(
            select(table.c.id, table.c.tenant_id, table.c.plugin, table.c.process_actor)
            .where(_stuck(cutoff), table.c.process_actor.is_not(None), table.c.attempts < policy.max_attempts)
            .order_by(table.c.id).limit(policy.limit).with_for_update(skip_locked=True)).all()
        chosen: dict[tuple[str, int], list[int]] = {}
        parked: list[int] = []
        for inbound_id, tenant_id, plugin, actor_name in rows:
            if actor_name in ACTORS and enabled(tenant_id, plugin):
                chosen.setdefault((actor_name, tenant_id), []).append(inbound_id)
            else:
                parked.append(inbound_id)
        if parked:  # a disabled plugin's rows (or a job gone) wait without using attempts or the cap
            conn.execute(update(table).where(table.c.id.in_(parked)).values(retried_at=now))
        ids = [i for group in chosen.values() for i in group]
        if ids:
            conn.execute(update(table).where(table.c.id.in_(ids))
                         .values(attempts=table.c.attempts + 1, retried_at=now))
            bus.send_many(ACTORS[name].job(tenant_id, inbound_ids=group[start:start + JOB_BATCH])
                          for (name, tenant_id), group in chosen.items()
                          for start in range(0, len(group), JOB_BATCH))
    if failed:
        log.warning("inbox recovery: %s callbacks ended failed after %s attempts", failed, policy.max_attempts)
    return Recovery(rerun=len(ids), failed=failed, disabled=len(parked))


@actor(name=RECOVERY_ACTOR, plugin="core", queue="core", max_retries=0)
def recover_inbox_job(tenant_id) -> int:
    """The platform's inbox recovery job (all tenants, all channels); returns how many callbacks it re-ran."""
    bus = current_bus()
    platform = bus.platform
    return recover_inbox(bus.engine, bus, RecoveryPolicy.from_settings(platform.settings), bus.plugin_enabled).rerun


def ensure_schedule(engine, now: datetime | None = None) -> bool:
    """Create the recovery's schedule row when it is missing (every scheduler tick calls this); True if created.
    A cancelled or failed row is put back to pending: the recovery always runs."""
    now = now or utcnow()
    with Session(engine) as session:
        job = session.exec(select(ScheduledJob).where(ScheduledJob.key == SCHEDULE_KEY)).scalars().first()
        if job is not None:
            if job.status in (JobStatus.CANCELLED, JobStatus.FAILED, JobStatus.DONE):
                job.status, job.attempts, job.due_at = JobStatus.PENDING, 0, now
                session.add(job)
                session.commit()
            return False
        # the first run comes one interval after the row is created, like every later one
        session.add(ScheduledJob(key=SCHEDULE_KEY, actor=RECOVERY_ACTOR, plugin="core",
                                 due_at=now + timedelta(seconds=INTERVAL), interval_seconds=INTERVAL,
                                 max_attempts=1_000_000))
        try:
            session.commit()
        except IntegrityError:  # another scheduler created it at the same moment
            session.rollback()
            return False
    return True


def stuck_counts(session: Session, tenant_id: int, plugin: str) -> dict[int, int]:
    """Failed callbacks per account of ``plugin`` for ``tenant_id`` (shown on the accounts page)."""
    rows = session.execute(
        select(InboundCallback.account_id, func.count()).where(
            InboundCallback.tenant_id == tenant_id, InboundCallback.plugin == plugin,
            InboundCallback.failed_at.is_not(None)).group_by(InboundCallback.account_id)).all()
    return {account_id: count for account_id, count in rows}


__all__ = ["INTERVAL", "RECOVERY_ACTOR", "SCHEDULE_KEY", "Recovery", "RecoveryPolicy", "ensure_schedule",
           "recover_inbox", "stuck_counts"]
