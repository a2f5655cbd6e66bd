"""The plugin's jobs (queue ``official_account``): processing stored callbacks into domain events and 消息管理 rows.
Callbacks stored but never processed (the broker was down) are re-run by the platform's inbox recovery."""

from __future__ import annotations

import logging

from sqlmodel import select

from scrm.sdk import ChannelAccount, InboundCallback, actor, job_session, publish, utcnow
from scrm.sdk.wechat import ParseXmlError, parse_xml

from .accounts import PLUGIN
from .callbacks import split_body
from .events import EVENT_OTHER, parse_inbound

log = logging.getLogger(__name__)

EVENT_PASSIVE_REPLIED = "official_account.passive_replied"
"""Published after an inbound event whose callback was answered with a passive reply: ``reply`` (kind, data,
source), ``openid``, ``account_id``, ``inbound_id``."""


@actor(max_retries=5, min_backoff=1_000, time_limit=60_000)
def process_callback(tenant_id: int, *, inbound_id: int) -> None:
    """Turn stored callback ``inbound_id`` of ``tenant_id`` into its domain event and 消息管理 rows, once.

    The row is locked (PostgreSQL) so concurrent deliveries of this job publish once; a row already processed, of
    another tenant or of another plugin is left alone. A body that no longer parses is marked processed with the
    error; a handler error rolls back and the job is retried."""
    from .messages.service import record_inbound

    with job_session() as session:
        inbound = session.exec(select(InboundCallback).where(
            InboundCallback.id == inbound_id, InboundCallback.tenant_id == tenant_id,
            InboundCallback.plugin == PLUGIN).with_for_update()).first()
        if inbound is None or inbound.processed_at is not None:
            return
        account = session.get(ChannelAccount, inbound.account_id)
        if account is None or account.tenant_id != tenant_id:
            return
        try:
            xml, reply = split_body(inbound.body)
            message = parse_xml(xml)
        except (ParseXmlError, ValueError) as exc:
            inbound.error = str(exc)[:500]
        else:
            event = parse_inbound(message)
            payload = {**event.payload, "account_id": account.id, "appid": account.external_id,
                       "inbound_id": inbound.id}
            if event.type != EVENT_OTHER or event.openid:
                publish(session, tenant_id, event.type, payload)
            record_inbound(session, tenant_id, account.id, event, inbound.id, reply)
            if reply is not None:
                publish(session, tenant_id, EVENT_PASSIVE_REPLIED,
                        {"account_id": account.id, "openid": event.openid, "inbound_id": inbound.id,
                         "reply": reply.to_json()})
        inbound.processed_at = utcnow()
        session.add(inbound)


@actor(max_retries=5, min_backoff=1_000, time_limit=300_000)
def process_callbacks(tenant_id: int, *, inbound_ids: list[int]) -> None:
    """Process stored callbacks ``inbound_ids`` oldest first, each in its own transaction (what the callback inbox
    enqueues for a batch); one that fails is handed to ``process_callback`` with its own retries."""
    for inbound_id in sorted(inbound_ids):
        try:
            process_callback(tenant_id, inbound_id=inbound_id)
        except Exception as exc:
            log.warning("official account callback %s failed (%s); retried on its own", inbound_id, exc)
            process_callback.send(tenant_id, inbound_id=inbound_id)
