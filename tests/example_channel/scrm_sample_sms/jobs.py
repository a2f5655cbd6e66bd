"""Processing of stored callbacks: delivery reports move the ledger, replies go to the customer's timeline."""

from __future__ import annotations

import json
import logging

from sqlmodel import select

from scrm.sdk import (
    ChannelAccount,
    Customer,
    DeliveryStatus,
    InboundCallback,
    actor,
    job_session,
    mark_delivery_report,
    utcnow,
)
from scrm.sdk.timeline import add_entry

from .timeline import REPLIED

log = logging.getLogger(__name__)
PLUGIN = "sample_sms"
REPORT_STATUSES = {"delivered": DeliveryStatus.DELIVERED, "failed": DeliveryStatus.FAILED}


def apply(session, tenant_id: int, account: ChannelAccount, message: dict) -> None:
    """Apply one decrypted callback of ``account`` (a report or a reply) in ``session``."""
    if message.get("type") == "report":
        status = REPORT_STATUSES.get(str(message.get("status")))
        if status is None or not message.get("message_id"):
            return
        row = mark_delivery_report(session, tenant_id, PLUGIN, str(message["message_id"]), status,
                                   error_code=message.get("code") if status == DeliveryStatus.FAILED else None,
                                   account_id=account.id)
        if row is None:
            log.info("sample_sms report for an unknown message of tenant %s", tenant_id)
    elif message.get("type") == "reply":
        customer = session.exec(select(Customer).where(Customer.tenant_id == tenant_id,
                                                       Customer.mobile == str(message.get("from") or ""),
                                                       Customer.merged_into_id.is_(None))).first()
        add_entry(session, REPLIED, tenant_id=tenant_id, customer_id=customer.id if customer else None,
                  text=str(message.get("text") or "")[:300])


@actor(max_retries=5, min_backoff=1_000, time_limit=60_000)
def process_callbacks(tenant_id: int, *, inbound_ids: list[int]) -> None:
    """Process stored callbacks ``inbound_ids`` of ``tenant_id`` once each (the inbox's job, re-run by the platform's
    inbox recovery for rows left unprocessed): rows of another tenant or plugin, or already processed, are skipped."""
    for inbound_id in sorted(inbound_ids):
        with job_session() as session:
            inbound = session.exec(select(InboundCallback).where(
                InboundCallback.id == inbound_id, InboundCallback.tenant_id == tenant_id,
                InboundCallback.plugin == PLUGIN).with_for_update()).first()
            if inbound is None or inbound.processed_at is not None:
                continue
            account = session.get(ChannelAccount, inbound.account_id)
            if account is not None and account.tenant_id == tenant_id:
                apply(session, tenant_id, account, json.loads(inbound.body))
            inbound.processed_at = utcnow()
            session.add(inbound)
