"""Domain events the assignment feature follows (called from the plugin's ``domain_event`` hook)."""

from __future__ import annotations

from sqlmodel import Session

from scrm.sdk import DomainEvent, utcnow

from ..welcome.handlers import after_commit
from . import tracking

MEMBERS_TRANSFERRED = "members.customers_transferred"
TRANSFER_FAILED = "wecom.transfer_failed"
EVENT_TYPES = frozenset((MEMBERS_TRANSFERRED, TRANSFER_FAILED))


def on_domain_event(event: DomainEvent, session: Session) -> None:
    if event.type == MEMBERS_TRANSFERRED:
        if tracking.members_transferred(session, event):
            from .jobs import send_transfers

            tenant_id = event.tenant_id
            tracking.schedule_poll(session, tenant_id, utcnow() + tracking.POLL_EVERY)
            after_commit(session, lambda: send_transfers.send(tenant_id))
    elif event.type == TRANSFER_FAILED:
        tracking.transfer_failed(session, event.tenant_id, dict(event.payload))
