"""The durable scheduler: due work lives in ``scheduled_job``; a tick enqueues what is due.

A job due at T runs once after T, whether or not processes restarted in between: the row is the truth, the broker
only carries it. Claiming is an atomic status change, so several schedulers may tick at once.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import or_, update
from sqlmodel import Session, select

from ..models import JobStatus, ScheduledJob
from ..timeutil import utcnow
from .actors import ACTORS

log = logging.getLogger(__name__)

RUN_ACTOR = "scrm.core.run_scheduled"


class ScheduleError(ValueError):
    pass


def schedule(
    session: Session,
    actor_name: str,
    due_at: datetime,
    *,
    tenant_id: int | None = None,
    kwargs: dict[str, Any] | None = None,
    key: str | None = None,
    interval_seconds: int | None = None,
    max_attempts: int = 5,
) -> ScheduledJob:
    """Schedule ``actor_name`` at ``due_at`` (naive UTC). With ``key``, an existing job of that key is replaced."""
    scrm_actor = ACTORS.get(actor_name)
    if scrm_actor is None:
        raise ScheduleError(f"unknown job '{actor_name}'")
    if interval_seconds is not None and interval_seconds < 1:
        raise ScheduleError("interval_seconds must be at least 1")
    job = session.exec(select(ScheduledJob).where(ScheduledJob.key == key)).first() if key else None
    if job is None:
        job = ScheduledJob(key=key, actor=actor_name, plugin=scrm_actor.plugin or "", due_at=due_at)
    job.tenant_id = tenant_id
    job.kwargs = kwargs or {}
    job.due_at = due_at
    job.interval_seconds = interval_seconds
    job.max_attempts = max_attempts
    job.status = JobStatus.PENDING
    job.attempts = 0
    job.last_error = None
    session.add(job)
    session.flush()
    return job


def cancel(session: Session, key: str) -> bool:
    """Cancel the pending scheduled job ``key``; False when there is none (unknown, done or already cancelled)."""
    job = session.exec(select(ScheduledJob).where(ScheduledJob.key == key)).first()
    if job is None or job.status in (JobStatus.DONE, JobStatus.CANCELLED):
        return False
    job.status = JobStatus.CANCELLED
    session.add(job)
    return True


def tick(engine, bus, now: datetime | None = None, limit: int = 500,
         stale: timedelta = timedelta(minutes=10)) -> int:
    """Enqueue due jobs; put back jobs the broker lost. Returns how many were enqueued."""
    now = now or utcnow()
    with engine.begin() as conn:
        # a job enqueued long ago that never started was lost by the broker; a job running past its time limit died
        conn.execute(
            update(ScheduledJob)
            .where(or_(
                (ScheduledJob.status == JobStatus.ENQUEUED) & (ScheduledJob.enqueued_at < now - stale),
                (ScheduledJob.status == JobStatus.RUNNING) & (ScheduledJob.started_at < now - stale * 3),
            ))
            .values(status=JobStatus.PENDING)
        )
    with Session(engine) as session:
        due = list(session.exec(
            select(ScheduledJob.id).where(ScheduledJob.status == JobStatus.PENDING, ScheduledJob.due_at <= now)
            .order_by(ScheduledJob.due_at).limit(limit)
        ))
    enqueued = 0
    for job_id in due:
        with engine.begin() as conn:
            claimed = conn.execute(
                update(ScheduledJob)
                .where(ScheduledJob.id == job_id, ScheduledJob.status == JobStatus.PENDING)
                .values(status=JobStatus.ENQUEUED, enqueued_at=now)
            ).rowcount
        if not claimed:
            continue
        try:
            bus.send(RUN_ACTOR, None, {"job_id": job_id})
        except Exception as exc:
            log.warning("broker did not take scheduled job %s (%s); it stays due", job_id, exc)
            with engine.begin() as conn:
                conn.execute(update(ScheduledJob).where(ScheduledJob.id == job_id).values(status=JobStatus.PENDING))
            continue
        enqueued += 1
    return enqueued


def claim_for_run(engine, job_id: int) -> ScheduledJob | None:
    """Move an enqueued job to running; None if another worker has it or it was cancelled."""
    now = utcnow()
    with engine.begin() as conn:
        claimed = conn.execute(
            update(ScheduledJob)
            .where(ScheduledJob.id == job_id, ScheduledJob.status == JobStatus.ENQUEUED)
            .values(status=JobStatus.RUNNING, started_at=now)
        ).rowcount
    if not claimed:
        return None
    with Session(engine, expire_on_commit=False) as session:
        return session.get(ScheduledJob, job_id)


def finish(engine, job: ScheduledJob, error: str | None = None) -> None:
    """Record the outcome: recurring jobs move to their next due time, failures back off until max attempts."""
    now = utcnow()
    values: dict[str, Any] = {"finished_at": now}
    if error is None:
        values["run_count"] = job.run_count + 1
        values["attempts"] = 0
        values["last_error"] = None
        if job.interval_seconds:
            step = timedelta(seconds=job.interval_seconds)
            next_due = job.due_at + step
            if next_due <= now:  # missed runs are not replayed one by one
                next_due = now + step - timedelta(seconds=(now - job.due_at).total_seconds() % job.interval_seconds)
            values.update(status=JobStatus.PENDING, due_at=next_due)
        else:
            values["status"] = JobStatus.DONE
    else:
        attempts = job.attempts + 1
        values.update(attempts=attempts, last_error=error[:4000])
        if attempts >= job.max_attempts:
            values["status"] = JobStatus.FAILED
        else:
            values.update(status=JobStatus.PENDING, due_at=now + timedelta(seconds=min(3600, 10 * 2 ** attempts)))
    with engine.begin() as conn:
        conn.execute(update(ScheduledJob).where(ScheduledJob.id == job.id).values(**values))
