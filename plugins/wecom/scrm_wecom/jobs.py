"""The plugin's jobs (queue ``wecom``): processing stored callbacks into domain events. Callbacks stored but never
processed (the broker was down) are re-run by the platform's inbox recovery (``scrm.core.inbox_recovery``)."""

from __future__ import annotations

import logging

from sqlmodel import select

from scrm.sdk import (
    ChannelAccount,
    InboundCallback,
    actor,
    job_session,
    utcnow,
)
from scrm.sdk.wechat import ParseXmlError, parse_xml

from .accounts import PLUGIN
from .churn import alerts as _churn_alerts  # noqa: F401  (declares the deleted-user digest)
from .events import CallbackContext, dispatch
from .messaging import dispatch as _messaging_dispatch  # noqa: F401  (declares the app-message sender)
from .promotion import jobs as _promotion_jobs  # noqa: F401  (declares the promotion run)
from .sop import jobs as _sop_jobs  # noqa: F401  (declares the SOP run)
from .sync import jobs as _sync_jobs  # noqa: F401  (declares the sync jobs)
from .welcome import handlers as _welcome_handlers  # noqa: F401  (declares the live-code and welcome jobs)

log = logging.getLogger(__name__)


@actor(max_retries=5, min_backoff=1_000, time_limit=60_000)
def process_callback(tenant_id: int, *, inbound_id: int) -> None:
    """Turn stored callback ``inbound_id`` of ``tenant_id`` into domain events, once.

    The row is locked for the transaction (PostgreSQL), so concurrent deliveries of this job publish once; a row
    already processed, of another tenant or of another plugin is left alone. A body that no longer parses is marked
    processed with the error (retrying cannot help); a handler error rolls back and the job is retried.
    """
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
            message = parse_xml(inbound.body)
        except ParseXmlError as exc:
            inbound.error = str(exc)[:500]
        else:
            dispatch(CallbackContext(session, tenant_id, account, inbound.id), message)
        inbound.processed_at = utcnow()
        session.add(inbound)


@actor(max_retries=5, min_backoff=1_000, time_limit=300_000)
def process_callbacks(tenant_id: int, *, inbound_ids: list[int]) -> None:
    """Process stored callbacks ``inbound_ids`` of ``tenant_id`` oldest first, each in its own transaction (what
    the callback inbox enqueues for a batch). One that fails is handed to ``process_callback`` with its own retries
    and the others go on; callbacks already processed (a redelivery of this job) are skipped."""
    for inbound_id in sorted(inbound_ids):
        try:
            process_callback(tenant_id, inbound_id=inbound_id)
        except Exception as exc:
            log.warning("wecom callback %s failed (%s); retried on its own", inbound_id, exc)
            process_callback.send(tenant_id, inbound_id=inbound_id)
