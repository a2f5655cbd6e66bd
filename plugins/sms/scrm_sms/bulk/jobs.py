"""The bulk-send dispatcher (queue ``sms``): a durable scheduled job per send, re-scheduled while the send runs."""

from __future__ import annotations

from scrm.sdk import actor, job_session

from . import service
from .models import SmsBulkSend


@actor(name=service.DISPATCH_ACTOR, max_retries=0, time_limit=30 * 60_000)
def dispatch(tenant_id: int, *, bulk_id: int, slot: str = "a") -> None:
    """Start, plan a wave, settle; schedule the next run (see ``service.dispatch_once``)."""
    with job_session() as session:
        again = service.dispatch_once(session, bulk_id, tenant_id)
        if again is not None:
            bulk = session.get(SmsBulkSend, bulk_id)
            if bulk is not None and bulk.tenant_id == tenant_id:
                service.schedule_dispatch(session, bulk, again, "b" if slot == "a" else "a")
                session.commit()


RECONCILE_ACTOR = "scrm_sms.quota.reconcile_holds"
RECONCILE_EVERY = 300


@actor(name=RECONCILE_ACTOR, max_retries=0, time_limit=5 * 60_000)
def reconcile(tenant_id: int) -> None:
    """Settle the tenant's single-send holds whose provider call raised, from their ledger rows (every 5 minutes)."""
    from .delivery import reconcile_holds

    with job_session() as session:
        reconcile_holds(session, tenant_id)


def ensure_reconcile(session, tenant_id: int) -> None:
    """The tenant's recurring hold reconciliation (a durable schedule), unless it is scheduled already."""
    from sqlmodel import select

    from scrm.sdk import ScheduledJob, schedule, utcnow

    key = f"sms.quota_holds:{tenant_id}"
    job = session.exec(select(ScheduledJob).where(ScheduledJob.key == key)).first()
    if job is None or job.status != "pending":
        schedule(session, RECONCILE_ACTOR, utcnow(), tenant_id=tenant_id, key=key, interval_seconds=RECONCILE_EVERY)
