"""Sending a ledger row in the calling job: for replies that cannot wait for the send queue.

Some sends are answers the provider accepts only for a moment: WeCom's welcome message must use its welcome code
within 20 seconds of the friend's add. The feature then writes its row with ``send_message(..., deliver_inline=True)``
(same exclusion, caps, idempotency and ledger row as every send, but no send job is enqueued at the commit), commits,
and calls ``deliver_now`` in the same job. ``deliver_now`` takes the same steps as the send job: the account's rate
slot, the claim (queued -> sending: one caller wins, so a retried job never sends twice), ``ChannelPlugin.deliver``
outside any transaction, and the forward-only record of the answer.

Nothing is lost when the job dies between its commit and ``deliver_now``: the row is queued and was never handed to
the broker, so the outbound relay enqueues it for the ordinary send job after its grace period (the channel's
``deliver`` then decides whether the message can still go out, e.g. WeCom refuses an expired welcome code without a
call). A rate slot further away than ``max_wait``, or a retryable failure, also hands the row to the send job.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable

from sqlmodel import Session

from ..db import session_scope
from ..jobs.bus import current_bus
from ..models import DeliveryStatus
from . import ledger
from .jobs import (
    MAX_THROTTLE_WAIT,
    _load,
    _record,
    call_provider,
    deliverable,
    send_delivery,
    throttle_of,
)
from .message import SendResult

log = logging.getLogger(__name__)


def deliver_now(tenant_id: int, delivery_id: int, *, max_wait: float = MAX_THROTTLE_WAIT,
                on_sent: Callable[[Session, int], None] | None = None) -> SendResult | None:
    """Send the tenant's queued ledger row ``delivery_id`` now, in the calling job (see the module documentation).

    Call it after the transaction that wrote the row (``send_message(..., deliver_inline=True)``) has committed, with
    no transaction open. Waits at most ``max_wait`` seconds for the account's rate slot. ``on_sent(session, row_id)``
    runs in the transaction that moves the row to sent (the move holds the row's lock until it commits): work that
    must commit together with the sent status, such as a timeline entry another job could otherwise write too.
    Returns the channel's
    ``SendResult`` as recorded on the row, or None when this call did not send: the row was not queued any more
    (another job sent it, or it was skipped), it belongs to another tenant, its channel is disabled (the row ends
    ``skipped``), its account is gone (``failed``), or it was handed to the send job (rate slot too far away)."""
    bus = current_bus()
    engine = bus.engine
    loaded = _load(engine, delivery_id)
    if loaded is None:
        return None
    row, account, plugin = loaded
    if row.tenant_id != tenant_id or row.status != DeliveryStatus.QUEUED:
        return None
    if not deliverable(bus, row, account, plugin):
        return None
    rate = plugin.account_rate_limit(account)
    if rate:
        wait = throttle_of(bus.platform).reserve(f"account:{account.id}", rate, max_wait)
        if wait is None:
            send_delivery.send(tenant_id, delivery_id=delivery_id)
            return None
        if wait > 0:
            time.sleep(wait)
    with session_scope(engine) as session:
        if not ledger.claim(session, delivery_id):
            return None
    row.attempts += 1
    result = call_provider(bus.platform, plugin, account, row, rate)
    if result.ok and on_sent is not None:
        with session_scope(engine) as session:
            status = DeliveryStatus.DELIVERED if result.delivered else DeliveryStatus.SENT
            if ledger.record_sent(session, row, status, result.provider_id):
                on_sent(session, row.id)
        return result
    _record(engine, row, result, final=False)
    if not result.ok and result.retryable:  # released to queued: the send job tries again with its backoff
        send_delivery.send_with_options(tenant_id, {"delivery_id": delivery_id}, delay=1_000)
    return result
