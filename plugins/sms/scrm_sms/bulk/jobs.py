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
