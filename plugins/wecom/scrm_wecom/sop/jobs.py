"""The SOP jobs (queue ``wecom``): every minute per tenant, plan the date-field and fixed-schedule rules, then
deliver every due task (:mod:`.delivery`); every hour per tenant, the "no communication for N days" evaluator
(:mod:`.quiet`), which plans the silent customers' to-dos and delivers what is due. The schedule is durable (``scheduled_job``); the tasks themselves are the
truth, so a scheduler or worker restart loses nothing: a run that died leaves its unclaimed tasks pending for the
next one, and committed ones are never claimed again."""

from __future__ import annotations

from sqlmodel import Session

from scrm.sdk import Tenant, actor, job_session, schedule, use_zone, utcnow

from .delivery import deliver_due
from .planning import plan_periodic
from .quiet import plan_tenant

EVERY = 60  # seconds
ACTOR = "scrm_wecom.sop.jobs.run_sop"
#: the "no communication" evaluator: hourly (a reminder comes at most an hour after the N days are over)
QUIET_EVERY = 3600  # seconds
QUIET_ACTOR = "scrm_wecom.sop.jobs.run_quiet"


def schedule_key(tenant_id: int) -> str:
    return f"wecom.sop:{tenant_id}"


def quiet_key(tenant_id: int) -> str:
    return f"wecom.sop.quiet:{tenant_id}"


def ensure_schedule(session: Session, tenant_id: int, *, evaluate_soon: bool = False) -> None:
    """The tenant's recurring SOP runs (every minute, and the hourly evaluator), created once (kept when they
    exist). ``evaluate_soon`` (a "no communication" rule saved or enabled) brings the evaluator's next run forward
    to now, so the rule's silent customers need not wait for the hour."""
    from sqlalchemy import update
    from sqlmodel import select

    from scrm.sdk import ScheduledJob

    for key, actor_name, every in ((schedule_key(tenant_id), ACTOR, EVERY),
                                   (quiet_key(tenant_id), QUIET_ACTOR, QUIET_EVERY)):
        existing = session.exec(select(ScheduledJob).where(ScheduledJob.key == key)).first()
        if existing is None or existing.status in ("done", "cancelled", "failed"):
            schedule(session, actor_name, utcnow(), tenant_id=tenant_id, key=key, interval_seconds=every)
    if evaluate_soon:
        now = utcnow()
        session.execute(update(ScheduledJob).where(ScheduledJob.key == quiet_key(tenant_id),
                                                   ScheduledJob.status == "pending", ScheduledJob.due_at > now)
                        .values(due_at=now))


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


def evaluate_once(session: Session, tenant_id: int, now=None, before_commit=None):
    """Plan the silent customers of the tenant's "no communication" rules in one transaction, then deliver what is
    due. ``before_commit`` (tests) runs with the planned count before the plan is committed."""
    tenant = session.get(Tenant, tenant_id)
    if tenant is None:
        return None
    with use_zone(getattr(tenant, "timezone", None)):
        planned = plan_tenant(session, tenant_id, now)
        if before_commit is not None:
            before_commit(planned)
        session.commit()
        return deliver_due(session, tenant_id)


@actor(max_retries=0, time_limit=600_000)
def run_quiet(tenant_id: int) -> None:
    """The hourly "no communication for N days" evaluation of ``tenant_id``."""
    with job_session() as session:
        evaluate_once(session, tenant_id)
