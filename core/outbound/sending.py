"""One send: ``send_message`` writes the ledger row in the caller's transaction; the send job goes out after the
commit (the row is its own outbox entry)."""

from __future__ import annotations

from typing import Any

from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, select

from ..events import enqueue_after_commit
from ..models import ChannelAccount, DeliveryStatus, MessageDelivery, Tenant
from ..timeutil import utcnow, zone
from . import caps
from .exclusion import exclusion_reason
from .message import OutboundMessage, UnknownChannel, UnsupportedMessageKind

#: the session-info key of ledger rows waiting for the commit to be enqueued (``scrm.core.events`` outbox kinds)
PENDING_KEY = "scrm_outbound_pending"

#: skip codes written on ledger rows (``error_code``); the reason text goes to ``error``
EXCLUDED = "excluded"
CAPPED = "frequency_cap"


def _platform():
    from ..jobs.bus import current_bus

    return current_bus().platform


def channel_of(platform: Any, account: ChannelAccount):
    """The active channel plugin that owns ``account``; ``UnknownChannel`` otherwise."""
    from ..plugins.base import ChannelPlugin

    plugin = platform.registry.plugin(account.plugin)
    if not isinstance(plugin, ChannelPlugin):
        raise UnknownChannel(f"'{account.plugin}' is not an active channel plugin")
    return plugin


def check_capability(plugin: Any, kind: str) -> None:
    """Raise ``UnsupportedMessageKind`` unless the channel declares ``kind`` in its capabilities."""
    if str(kind) not in tuple(str(k) for k in plugin.capabilities):
        raise UnsupportedMessageKind(plugin.name, str(kind), tuple(plugin.capabilities))


def load_account(session: Session, tenant_id: int, account: ChannelAccount | int) -> ChannelAccount:
    account_id = account if isinstance(account, int) else account.id
    row = session.get(ChannelAccount, account_id)
    if row is None or row.tenant_id != tenant_id:
        raise UnknownChannel(f"no channel account {account_id} in this tenant")
    return row


def send_message(session: Session, tenant_id: int, *, account: ChannelAccount | int, recipient: str,
                 message: OutboundMessage, purpose: str, customer_id: int | None = None,
                 idempotency_key: str | None = None, task_ref: str | None = None,
                 kind: str = "message", deliver_inline: bool = False) -> MessageDelivery:
    """Send ``message`` to one recipient through a channel account: the one outbound path.

    Runs in the caller's transaction (``session``) and sends nothing itself. In order:

    1. refuses, before writing anything, an account of another tenant or of no active channel (``UnknownChannel``)
       and a message kind the channel does not list in ``capabilities`` (``UnsupportedMessageKind``);
    2. returns the existing row when ``idempotency_key`` was used before (a retried caller sends once);
    3. asks the ``customer_exclusion_reason`` decision for ``purpose`` (blacklist, unsubscribes ...) and applies the
       tenant's daily frequency cap for (``purpose``, channel) (``scrm.core.outbound.caps``); a refused message gets a
       ``skipped`` row with code ``excluded`` or ``frequency_cap`` and the reason, and no provider is called;
    4. writes the ``queued`` ledger row; when the caller commits, the send job is handed to the broker. If the
       broker is down then, nothing is lost: the outbound relay (the scheduler tick) enqueues queued rows the broker
       never took.

    ``recipient`` is the address on the channel (mobile, openid, external_userid ...); ``customer_id`` the customer
    it belongs to, when known (exclusion and caps need it; without it only the cap, by recipient, applies).
    ``idempotency_key`` defaults to a new unique key; pass a stable one (``"welcome:<state>"``) when the caller may
    run twice. ``task_ref`` names the sending task (``"mass_task:12"``); ``kind`` is the ledger's coarse kind.
    ``deliver_inline`` is for a reply the provider accepts only for a moment (a WeCom welcome code lives 20 s): no
    send job is enqueued at the commit; the caller commits and sends the row in its own job with
    ``scrm.core.outbound.inline.deliver_now`` (the relay still picks the row up if the caller dies before that).
    Returns the row (flushed, with its id and status)."""
    platform = _platform()
    account_row = load_account(session, tenant_id, account)
    plugin = channel_of(platform, account_row)
    check_capability(plugin, message.kind)
    key = idempotency_key or f"{purpose}:{account_row.id}:{recipient}:{utcnow().timestamp():.6f}:{id(message):x}"
    existing = session.exec(select(MessageDelivery).where(
        MessageDelivery.tenant_id == tenant_id, MessageDelivery.idempotency_key == key[:120])).first()
    if existing is not None:
        return existing
    row = MessageDelivery(tenant_id=tenant_id, channel=account_row.plugin, account_id=account_row.id,
                          customer_id=customer_id, recipient=str(recipient)[:128], kind=kind, task_ref=task_ref,
                          idempotency_key=key[:120], purpose=purpose, message=message.to_json())
    tenant = session.get(Tenant, tenant_id)
    skip = _refusal(platform, session, tenant, row)
    if skip is not None:
        row.status, row.error_code, row.error = DeliveryStatus.SKIPPED, skip[0], skip[1][:500]
    try:
        with session.begin_nested():
            session.add(row)
            session.flush()
    except IntegrityError:  # the same key written concurrently: the first row stands
        return session.exec(select(MessageDelivery).where(
            MessageDelivery.tenant_id == tenant_id, MessageDelivery.idempotency_key == key[:120])).one()
    if row.status == DeliveryStatus.QUEUED and not deliver_inline:
        enqueue_after_commit(session, PENDING_KEY, row.id)
    return row


def _refusal(platform: Any, session: Session, tenant: Tenant, row: MessageDelivery) -> tuple[str, str] | None:
    if row.customer_id is not None:
        reason = exclusion_reason(platform.hooks(session, tenant), session, tenant, row.customer_id, row.purpose)
        if reason:
            return EXCLUDED, reason
    cap = caps.daily_cap(session, tenant.id, row.purpose, row.channel)
    if cap is None:
        return None
    caps.lock_customer(session, tenant.id, row.customer_id, row.recipient)
    span = caps.today(zone(tenant.timezone))
    count = caps.sent_today(session, tenant.id, row.purpose, row.channel, span, customer_id=row.customer_id,
                            recipient=row.recipient)
    if count >= cap:
        return CAPPED, f"{count} of {cap} '{row.purpose}' messages on {row.channel} today"
    return None
