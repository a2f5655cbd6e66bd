"""The SOP job (queue ``wecom``): every minute per tenant, plan the date-field and fixed-schedule rules, then
deliver every due task (:mod:`.delivery`). The schedule is durable (``scheduled_job``); the tasks themselves are the
truth, so a scheduler or worker restart loses nothing: a run that died leaves its unclaimed tasks pending for the
next one, and committed ones are never claimed again."""

from __future__ import annotations

from sqlmodel import Session

from scrm.sdk import Tenant, actor, job_session, schedule, use_zone, utcnow

from .delivery import deliver_due
from .planning import plan_periodic

EVERY = 60  # seconds
ACTOR = "scrm_wecom.sop.jobs.run_sop"


def schedule_key(tenant_id: int) -> str:
    return f"wecom.sop:{tenant_id}"


def ensure_schedule(session: Session, tenant_id: int) -> None:
    """The tenant's recurring SOP run, created once (kept when it exists)."""
    from sqlmodel import select

    from scrm.sdk import ScheduledJob

    existing = session.exec(select(ScheduledJob).where(ScheduledJob.key == schedule_key(tenant_id))).first()
    if existing is None or existing.status in ("done", "cancelled", "failed"):
        schedule(session, ACTOR, utcnow(), tenant_id=tenant_id, key=schedule_key(tenant_id), interval_seconds=EVERY)


def run_once(session: Session, tenant_id: int):
    tenant = session.get(Tenant, tenant_id)
    if tenant is None:
        return None
    with use_zone(getattr(tenant, "timezone", None)):
        plan_periodic(session, tenant_id)
        session.commit()
        return deliver_due(session, tenant_id)


@actor(max_retries=0, time_limit=600_000)
def run_sop(tenant_id: int) -> None:
    """Plan the periodic rules and deliver the due to-dos of ``tenant_id``."""
    with job_session() as session:
        run_once(session, tenant_id)
