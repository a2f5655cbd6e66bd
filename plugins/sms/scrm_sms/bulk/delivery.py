"""The SMS channel's side of a send: the per-recipient text of a bulk-send row, and the quota of single sends.

Called by ``SmsPlugin.deliver`` around the provider call:

- a **bulk-send row** (payload ``sms_bulk``) gets its text rendered for its recipient (nickname, personalised short
  link) within the segments its class reserved; a row of a cancelled send is declined (``sms_cancelled``: the ledger
  row ends skipped and its segments are released by the send's settlement). Its quota was reserved at confirmation.
- a **single send** (a notification of another feature through ``send_message``) holds its segments before the
  provider call (one conditional UPDATE; no quota: the row fails with ``INSUFFICIENT_BALANCE``, nothing sent) and
  after the answer consumes them (accepted) or releases them (refused). A hold whose provider call raised stays held
  until ``reconcile_holds`` settles it from the ledger row's final status. Marketing purposes (``marketing``,
  ``mass_send`` and the channel's ``sms``) draw on the marketing quota, every other purpose on the notification quota.
"""

from __future__ import annotations

import dataclasses
import time

from sqlalchemy import select, update
from sqlmodel import Session

from scrm.sdk import Customer, DeliveryStatus, MessageDelivery, SendResult, current_bus

from .. import content as rules
from ..quota import service as quota
from ..quota.models import SmsQuotaHold
from .models import CANCELLED, SmsBulkSend

MARKETING_PURPOSES = ("sms", "marketing", "mass_send")
CANCELLED_CODE = "sms_cancelled"
_H = SmsQuotaHold.__table__.c


def _session() -> Session:
    return Session(current_bus().engine, expire_on_commit=False)


def category_of(outgoing) -> str:
    payload = outgoing.message.payload
    if payload.get("category") in quota.CATEGORIES:
        return payload["category"]
    return quota.MARKETING if (outgoing.purpose or "") in MARKETING_PURPOSES else quota.NOTIFICATION


#: the bulk sends' rows a worker process read in the last ``BULK_TTL`` seconds (one read per send per 2 s, not per
#: message: a cancel reaches the queued messages within that time)
BULK_TTL = 2.0
_bulks: dict[int, tuple[float, SmsBulkSend | None]] = {}


def _bulk(session: Session, bulk_id: int, payload: dict) -> SmsBulkSend | None:
    now = time.monotonic()
    cached = _bulks.get(bulk_id)
    if (cached is not None and cached[0] > now and cached[1] is not None
            and (cached[1].body, cached[1].signature) == (payload.get("content"), payload.get("signature"))):
        return cached[1]
    bulk = session.get(SmsBulkSend, bulk_id)
    if bulk is not None:
        session.expunge(bulk)
    if len(_bulks) > 1000:
        _bulks.clear()
    _bulks[bulk_id] = (now + BULK_TTL, bulk)
    return bulk


def prepare_bulk(outgoing):
    """The outgoing with its recipient's text (``content``) for a bulk-send row, or a ``SendResult`` to answer."""
    payload = outgoing.message.payload
    with _session() as session:
        bulk = _bulk(session, int(payload["sms_bulk"]), payload)
        if bulk is None or bulk.tenant_id != outgoing.tenant_id:
            return SendResult.failed("sms_bulk_missing", "the bulk send is gone")
        if bulk.status == CANCELLED:
            return SendResult.declined(CANCELLED_CODE, "the bulk send was cancelled")
        nickname, listed = _recipient_facts(session, bulk, outgoing)
        if listed:
            from .. import labels

            return SendResult.declined(labels.UNSUBSCRIBED, "the number replied TD or was unsubscribed")
        link = ""
        info = (bulk.audience or {}).get("link") or {}
        if "${link}" in bulk.body and info.get("link_id"):
            from scrm.sdk import shortlinks

            personal = shortlinks.recipient_stats(session, bulk.tenant_id, info["link_id"], outgoing.recipient)
            if personal is not None:
                link = shortlinks.short_url(personal.code, info.get("base"))
    from .service import Composer

    composer = Composer(bulk.signature, bulk.body, bulk.category)
    text = composer.fit(nickname, link, int(payload.get("segments") or 1))
    # the unsubscribe list was read above, in the same query: the channel's deliver need not read it again
    message = dataclasses.replace(outgoing.message, payload={**payload, "content": text, UNSUBSCRIBE_CHECKED: True})
    return dataclasses.replace(outgoing, message=message)


#: the payload key of a prepared bulk-send row whose number was checked against the unsubscribe list
UNSUBSCRIBE_CHECKED = "unsubscribe_checked"


def _recipient_facts(session: Session, bulk: SmsBulkSend, outgoing) -> tuple[str, bool]:
    """(nickname, on the unsubscribe list) of a bulk-send row's recipient in one query: the nickname when the body
    has the variable, the list for marketing sends (read now: a TD reply counts at once)."""
    from sqlalchemy import exists, literal

    from ..optout.models import SmsUnsubscribe
    from ..optout.service import normalise_mobile

    wants_name = "${customer_nickname}" in bulk.body and bool(outgoing.customer_id)
    number = normalise_mobile(outgoing.recipient) if bulk.category == quota.MARKETING else None
    if not wants_name and number is None:
        return "", False
    name = (select(Customer.name).where(Customer.id == outgoing.customer_id,
                                        Customer.tenant_id == outgoing.tenant_id).scalar_subquery()
            if wants_name else literal(""))
    listed = (exists().where(SmsUnsubscribe.tenant_id == outgoing.tenant_id, SmsUnsubscribe.mobile == number)
              if number is not None else literal(False))
    found_name, found_listed = session.execute(select(name, listed)).one()
    return found_name or "", bool(found_listed)


def hold(outgoing) -> SendResult | None:
    """Hold a single send's segments before its provider call; a ``SendResult`` (INSUFFICIENT_BALANCE) when the
    quota cannot pay for it. A retried attempt re-holds only what an earlier attempt released."""
    category = category_of(outgoing)
    text = outgoing.message.payload.get("content") or ""
    segments = max(rules.segments(text), 1)
    with _session() as session:
        existing = session.execute(select(SmsQuotaHold).where(
            SmsQuotaHold.delivery_id == outgoing.delivery_id)).scalars().first()
        try:
            if existing is None:
                quota.reserve(session, outgoing.tenant_id, category, segments)
                session.add(SmsQuotaHold(tenant_id=outgoing.tenant_id, delivery_id=outgoing.delivery_id,
                                         category=category, segments=segments))
            elif existing.state == "released":
                moved = session.execute(update(SmsQuotaHold.__table__).where(
                    _H.id == existing.id, _H.state == "released").values(state="held"))
                if moved.rowcount == 1:
                    quota.reserve(session, outgoing.tenant_id, existing.category, existing.segments)
            session.commit()
        except quota.InsufficientBalance as exc:
            session.rollback()
            return SendResult.failed(quota.INSUFFICIENT_BALANCE, str(exc))
    return None


def finish_hold(outgoing, result: SendResult | None) -> None:
    """Consume (accepted) or release (refused) the hold of a single send; None (the call raised): left held."""
    if result is None:
        return
    with _session() as session:
        _settle_hold(session, outgoing.delivery_id, consumed=result.ok)
        session.commit()


def _settle_hold(session: Session, delivery_id: int, *, consumed: bool) -> bool:
    row = session.execute(select(SmsQuotaHold).where(SmsQuotaHold.delivery_id == delivery_id)).scalars().first()
    if row is None:
        return False
    moved = session.execute(update(SmsQuotaHold.__table__).where(_H.id == row.id, _H.state == "held").values(
        state="consumed" if consumed else "released"))
    if moved.rowcount != 1:
        return False
    if consumed:
        quota.consume(session, row.tenant_id, row.category, row.segments)
    else:
        quota.release(session, row.tenant_id, row.category, row.segments)
    return True


def reconcile_holds(session: Session, tenant_id: int, limit: int = 500) -> int:
    """Settle the tenant's holds whose provider call raised, from their ledger row once it is final (accepted:
    consumed; failed or skipped without a vendor id: released); returns how many."""
    done = 0
    rows = session.execute(select(SmsQuotaHold.delivery_id, MessageDelivery.status, MessageDelivery.provider_id)
                           .join(MessageDelivery, MessageDelivery.id == SmsQuotaHold.delivery_id)
                           .where(SmsQuotaHold.tenant_id == tenant_id, SmsQuotaHold.state == "held",
                                  MessageDelivery.status.not_in([DeliveryStatus.QUEUED, DeliveryStatus.SENDING]))
                           .limit(limit)).all()
    for delivery_id, status, provider_id in rows:
        accepted = DeliveryStatus(status) in (DeliveryStatus.SENT, DeliveryStatus.DELIVERED, DeliveryStatus.READ) \
            or bool(provider_id)
        done += _settle_hold(session, delivery_id, consumed=accepted)
    session.commit()
    return done


def around_deliver(outgoing, send):
    """The whole SMS side of one send: ``send(outgoing) -> SendResult`` is the provider call."""
    if outgoing.message.payload.get("sms_bulk") is not None:
        prepared = prepare_bulk(outgoing)
        if isinstance(prepared, SendResult):
            return prepared
        return send(prepared)
    refused = hold(outgoing)
    if refused is not None:
        return refused
    result = None
    try:
        result = send(outgoing)
        return result
    finally:
        finish_hold(outgoing, result if isinstance(result, SendResult) else None)


