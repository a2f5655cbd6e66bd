"""Spec J1, the periodic half: WeCom's ``get_unassigned_list`` names the members who left and still have customers;
any of them still active here is marked left (the ``delete_user`` callback and the address-book sync do it as it
happens), so their customers show on the inheritance tab. A durable schedule per tenant runs the check every
``CHECK_EVERY`` (``ensure_check``); "Check WeCom for employees who left" runs it at once."""

from __future__ import annotations

import logging
from datetime import timedelta
from typing import Any

from sqlalchemy import select
from sqlmodel import Session

from scrm.sdk import ChannelAccount, ScheduledJob, schedule, utcnow

from ..client import WeComClient
from ..sync.org import mark_left

log = logging.getLogger(__name__)

CHECK_EVERY = timedelta(hours=6)
CHECK_JOB = "scrm_wecom.assignment.jobs.check_resigned"
WAITING = ("pending", "enqueued", "running")


def check_key(tenant_id: int) -> str:
    return f"wecom.assignment.resigned_check:{tenant_id}"


def reconcile(session: Session, platform: Any, account: ChannelAccount) -> int:
    """Mark left the employees WeCom lists as resigned; returns how many changed."""
    handovers: set[str] = set()
    cursor = ""
    with WeComClient.for_account(account, platform) as client:
        while True:
            rows, cursor = client.get_unassigned_list(cursor)
            handovers.update(str(r.get("handover_userid") or "") for r in rows)
            if not cursor:
                break
    return sum(mark_left(session, account, userid) for userid in sorted(handovers) if userid)


def ensure_check(session: Session, tenant_id: int) -> None:
    """The tenant's recurring resigned-member check (created once, kept while it runs)."""
    from . import jobs  # noqa: F401  (declares the actor the schedule names)

    status = session.execute(select(ScheduledJob.status).where(ScheduledJob.key == check_key(tenant_id))).scalar()
    if status not in WAITING:
        schedule(session, CHECK_JOB, utcnow() + CHECK_EVERY, tenant_id=tenant_id, key=check_key(tenant_id),
                 interval_seconds=int(CHECK_EVERY.total_seconds()))
