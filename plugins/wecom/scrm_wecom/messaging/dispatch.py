"""Sending one queued application message (``message/send``) and recording the outcome in the delivery ledger.

Contract: a message is sent only while its ledger row is ``queued`` and no other worker holds it (``sending_since``
is set and committed before WeCom is called; a holder silent for ``STALE`` is presumed dead). Outcomes:

* sent: status ``sent``, WeCom's ``msgid`` as the provider id, WeCom's answer stored on the message;
* the userid is in WeCom's ``invaliduser`` answer, or WeCom answers 81013 (user, party and tag all invalid), 60111
  (unknown userid) or any other error code: ``failed`` with the code and message, not retried by itself;
* WeCom busy or unreachable (-1, 45009, 45033, network errors): the row stays ``queued`` with the error and a durable
  schedule sends it again after 30 s, 60 s, 120 s, 240 s; the fifth failure makes it ``failed``.

Failed messages go back to the queue with ``outbound.retry_failed``. Queued messages the broker never took (it
refused the enqueue after the commit) are picked up by ``sweep_queued``, a recurring durable schedule per tenant
(every ``SWEEP_SECONDS``) that ``outbound`` sets up with the tenant's first message.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from sqlmodel import Session, select

from scrm.sdk import (
    ChannelAccount,
    DeliveryStatus,
    MessageDelivery,
    ScheduledJob,
    actor,
    current_bus,
    job_session,
    mark_delivery,
    schedule,
    utcnow,
)
from scrm.sdk.wechat import WeChatAPIError

from ..accounts import AccountNotConfigured
from ..client import WeComClient, WeComUnavailable
from .models import AppMessage

log = logging.getLogger(__name__)

MAX_ATTEMPTS = 5
RETRY_BASE_SECONDS = 30
STALE = timedelta(minutes=5)
TRANSIENT_CODES = frozenset({-1, 45009, 45033})
ACTOR_NAME = "scrm_wecom.messaging.dispatch.deliver_app_message"
SWEEP_ACTOR = "scrm_wecom.messaging.dispatch.sweep_queued"
SWEEP_SECONDS = 600
SWEEP_BATCH = 500
WAITING = ("pending", "enqueued", "running")  # scheduled-job states that will still run


@dataclass(frozen=True)
class Outcome:
    status: DeliveryStatus
    response: dict[str, Any]
    error_code: str | None = None
    error: str | None = None
    transient: bool = False


@actor(max_retries=0, time_limit=60_000)
def deliver_app_message(tenant_id: int, *, delivery_id: int) -> None:
    """Send the queued app message of ledger row ``delivery_id`` (see the module's contract)."""
    platform = current_bus().platform
    with job_session() as session:
        claimed = _claim(session, tenant_id, delivery_id)
        if claimed is None:
            return
        delivery, message, account = claimed
        client = WeComClient.for_account(account, platform)
        # the claim must be committed before the call, and no transaction stays open across it
        session.commit()
        with client:
            outcome = send_now(client, message, delivery.recipient)
        settle(session, delivery, message, outcome)


def _claim(session: Session, tenant_id: int, delivery_id: int):
    delivery = session.get(MessageDelivery, delivery_id)
    if delivery is None or delivery.tenant_id != tenant_id or delivery.status != DeliveryStatus.QUEUED:
        return None
    message = session.exec(select(AppMessage).where(AppMessage.delivery_id == delivery_id).with_for_update()).first()
    if message is None:
        return None
    now = utcnow()
    if message.sending_since is not None and message.sending_since > now - STALE:
        return None  # another worker is calling WeCom for it
    account = session.get(ChannelAccount, message.account_id) if message.account_id else None
    if account is None or account.tenant_id != tenant_id:
        mark_delivery(session, delivery, DeliveryStatus.FAILED, error_code="no_account",
                      error="the WeCom account no longer exists")
        return None
    message.sending_since, message.attempts = now, message.attempts + 1
    session.add(message)
    return delivery, message, account


def send_now(client: WeComClient, message: AppMessage, userid: str) -> Outcome:
    """One ``message/send`` call to ``userid``; never raises."""
    content = dict(message.content)
    try:
        if message.msgtype == "textcard":
            response = client.send_app_textcard(title=content["title"], description=content["description"],
                                                url=content["url"], button=content.get("btntxt"), users=[userid])
        else:
            response = client.send_app_text(content.get("content", ""), users=[userid])
    except WeChatAPIError as exc:
        answer = {"errcode": exc.errcode, "errmsg": exc.errmsg}
        return Outcome(DeliveryStatus.FAILED, answer, str(exc.errcode), exc.errmsg or str(exc),
                       transient=exc.errcode in TRANSIENT_CODES)
    except WeComUnavailable as exc:
        return Outcome(DeliveryStatus.FAILED, {}, "unavailable", str(exc) or "WeCom unavailable", transient=True)
    except AccountNotConfigured as exc:
        return Outcome(DeliveryStatus.FAILED, {}, "not_configured", str(exc))
    invalid = [u for u in str(response.get("invaliduser") or "").split("|") if u]
    if userid in invalid:
        return Outcome(DeliveryStatus.FAILED, response, "invaliduser",
                       f"WeCom cannot reach userid {userid} (unknown or outside the app's visible range)")
    return Outcome(DeliveryStatus.SENT, response)


def settle(session: Session, delivery: MessageDelivery, message: AppMessage, outcome: Outcome) -> None:
    """Record ``outcome`` on the ledger row and the message; schedule the retry of a transient failure."""
    message.sending_since, message.response = None, outcome.response
    session.add(message)
    if outcome.status == DeliveryStatus.SENT:
        mark_delivery(session, delivery, DeliveryStatus.SENT, provider_id=str(outcome.response.get("msgid") or ""))
        return
    if outcome.transient and message.attempts < MAX_ATTEMPTS:
        mark_delivery(session, delivery, DeliveryStatus.QUEUED, error_code=outcome.error_code, error=outcome.error)
        delay = timedelta(seconds=RETRY_BASE_SECONDS * 2 ** (message.attempts - 1))
        schedule(session, ACTOR_NAME, utcnow() + delay, tenant_id=delivery.tenant_id,
                 kwargs={"delivery_id": delivery.id}, key=f"wecom:app_message:{delivery.id}")
        return
    log.info("app message %s failed: %s %s", delivery.id, outcome.error_code, outcome.error)
    mark_delivery(session, delivery, DeliveryStatus.FAILED, error_code=outcome.error_code, error=outcome.error)


def stale_queued(session: Session, tenant_id: int, now=None) -> list[int]:
    """Ledger ids of the tenant's app messages queued for more than ``SWEEP_SECONDS`` that no worker holds and no
    retry schedule waits for."""
    now = now or utcnow()
    waiting = select(ScheduledJob.key).where(ScheduledJob.tenant_id == tenant_id,
                                             ScheduledJob.key.like("wecom:app_message:%"),
                                             ScheduledJob.status.in_(WAITING))
    keys = set(session.exec(waiting).all())
    rows = session.exec(select(MessageDelivery.id).join(AppMessage, AppMessage.delivery_id == MessageDelivery.id)
                        .where(MessageDelivery.tenant_id == tenant_id, MessageDelivery.status == DeliveryStatus.QUEUED,
                               MessageDelivery.created_at < now - timedelta(seconds=SWEEP_SECONDS),
                               AppMessage.sending_since.is_(None))
                        .order_by(MessageDelivery.id).limit(SWEEP_BATCH)).all()
    return [i for i in rows if f"wecom:app_message:{i}" not in keys]


@actor(max_retries=0, time_limit=120_000)
def sweep_queued(tenant_id: int) -> None:
    """Enqueue the tenant's app messages that stayed queued (see :func:`stale_queued`)."""
    with job_session() as session:
        ids = stale_queued(session, tenant_id)
    for delivery_id in ids:
        deliver_app_message.send(tenant_id, delivery_id=delivery_id)
