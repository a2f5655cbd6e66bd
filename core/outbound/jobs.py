"""The send job and the outbound relay.

``send_delivery`` runs once per ledger row: it waits for the account's rate, claims the row (queued -> sending, a
conditional UPDATE: one worker wins), calls ``ChannelPlugin.deliver`` outside any transaction and records the
answer. A redelivered job finds the row no longer queued and does nothing, so a message is never sent twice.

What a crash leaves behind:
- a row ``queued`` whose job the broker never got (broker down at commit, process killed before the hand-over):
  ``relay_deliveries`` (every scheduler tick) enqueues it again;
- a row ``sending`` (the worker died during the provider call): the provider may or may not have the message, so
  it is NOT sent again. ``resolve_unknown`` (every tick, for rows sending longer than ``UNKNOWN_AFTER``) asks the
  channel's ``query_outcome``; when the channel cannot tell, the row ends ``failed`` with code ``unknown_outcome``.
"""

from __future__ import annotations

import logging
import time
from datetime import datetime, timedelta

from sqlalchemy import or_, update
from sqlmodel import Session, select

from ..db import session_scope
from ..events import register_outbox
from ..jobs.actors import actor
from ..jobs.bus import current_bus
from ..models import ChannelAccount, DeliveryStatus, MessageDelivery
from ..timeutil import utcnow
from . import ledger
from .caps import among
from .message import OutboundMessage, Outgoing, SendResult
from .sending import PENDING_KEY
from .throttle import make_throttle

log = logging.getLogger(__name__)

SEND_ACTOR = "scrm.core.send_delivery"
SEND_BATCH_ACTOR = "scrm.core.send_deliveries"
#: provider calls per row: a retryable failure of the last one marks the row failed with the provider's code
MAX_ATTEMPTS = 5
#: the longest a send job sleeps for its rate slot; a slot further away re-enqueues the job for later
MAX_THROTTLE_WAIT = 2.0
#: a row ``sending`` for longer than this was left by a dead worker (well past the send job's time limit)
UNKNOWN_AFTER = timedelta(minutes=5)
UNKNOWN_OUTCOME = "unknown_outcome"
#: the skip code of a row whose channel the tenant disabled (the same as the job bus's skips of disabled plugins)
CHANNEL_DISABLED = "plugin_disabled"

_throttles: dict[int, object] = {}


def throttle_of(platform):
    """The platform's throttle (Redis when its cache is Redis), made once per platform."""
    key = id(platform)
    if key not in _throttles:
        _throttles[key] = make_throttle(platform.cache)
    return _throttles[key]


def enqueue_deliveries(engine, delivery_ids: list[int], tenant_ids: dict[int, int] | None = None, *,
                       stamped: bool = False, account_ids: dict[int, int | None] | None = None,
                       batch: int = 1) -> int:
    """Hand the send jobs of ledger rows to the broker in one round trip and stamp them enqueued; returns how many
    the broker took (0 when it refused: the rows stay un-stamped and the relay tries again).

    ``stamped``: the rows were written with ``enqueued_at`` already set (the bulk form saves an UPDATE per chunk);
    a refusal then clears the stamp so the relay takes them at once. Should the process die between the commit
    and the hand-over, the stamped rows are still queued when the stamp goes stale, and the relay enqueues them
    then."""
    from ..jobs.bus import _current

    if _current is None or not delivery_ids:
        return 0
    if tenant_ids is None or account_ids is None:
        with Session(engine) as session:
            found = session.exec(select(MessageDelivery.id, MessageDelivery.tenant_id, MessageDelivery.account_id)
                                 .where(MessageDelivery.id.in_(delivery_ids))).all()
        tenant_ids = {row_id: tenant for row_id, tenant, _ in found}
        account_ids = {row_id: account for row_id, _, account in found}
    ids = [i for i in delivery_ids if i in tenant_ids]
    if batch > 1:  # one job per ``batch`` rows of the same tenant and account (``send_deliveries``)
        groups: dict[tuple[int, int | None], list[int]] = {}
        for i in ids:
            groups.setdefault((tenant_ids[i], account_ids.get(i)), []).append(i)
        jobs = [send_deliveries.job(tenant, delivery_ids=part[n:n + batch], account_id=account)
                for (tenant, account), part in groups.items() for n in range(0, len(part), batch)]
    else:
        jobs = [send_delivery.job(tenant_ids[i], delivery_id=i, account_id=account_ids.get(i)) for i in ids]
    try:
        _current.send_many(jobs)
    except Exception as exc:
        log.warning("broker did not take %d send jobs (%s): the outbound relay will retry", len(jobs), exc)
        if stamped:
            _stamp(engine, ids, None)
        return 0
    if not stamped:
        _stamp(engine, ids, utcnow())
    return len(ids)


def _stamp(engine, ids: list[int], at: datetime | None) -> None:
    with engine.begin() as conn:
        conn.execute(update(MessageDelivery.__table__).where(
            among(MessageDelivery.__table__.c.id, ids, engine.dialect.name)).values(enqueued_at=at))


register_outbox(PENDING_KEY, lambda engine, ids: enqueue_deliveries(engine, ids))


def relay_deliveries(engine, now: datetime | None = None, grace: timedelta = timedelta(seconds=30),
                     stale: timedelta = timedelta(minutes=15), limit: int = 5000) -> int:
    """Enqueue again queued rows of the outbound path whose job the broker never took (older than ``grace``), or
    took longer than ``stale`` ago without the row moving. Returns how many were handed over."""
    now = now or utcnow()
    with Session(engine) as session:
        rows = session.exec(select(MessageDelivery.id, MessageDelivery.tenant_id, MessageDelivery.account_id).where(
            MessageDelivery.status == DeliveryStatus.QUEUED, MessageDelivery.purpose.is_not(None),
            MessageDelivery.created_at <= now - grace,
            or_(MessageDelivery.enqueued_at.is_(None), MessageDelivery.enqueued_at <= now - stale),
        ).order_by(MessageDelivery.id).limit(limit)).all()
    return enqueue_deliveries(engine, [r[0] for r in rows], {r[0]: r[1] for r in rows},
                              account_ids={r[0]: r[2] for r in rows}) if rows else 0


def prune_early_reports(engine, now: datetime | None = None) -> int:
    """Delete delivery reports kept longer than ``ledger.EARLY_REPORT_KEPT`` for a provider id no send recorded
    (every scheduler tick); returns how many."""
    with session_scope(engine) as session:
        return ledger.prune_early_reports(session, (now or utcnow()) - ledger.EARLY_REPORT_KEPT)


def resolve_unknown(engine, platform, now: datetime | None = None, after: timedelta = UNKNOWN_AFTER,
                    limit: int = 500) -> int:
    """Settle rows left ``sending`` by a dead worker: the channel's ``query_outcome`` answer, else failed with
    ``unknown_outcome``. Never sends. Returns how many rows were settled."""
    now = now or utcnow()
    with Session(engine) as session:
        ids = list(session.exec(select(MessageDelivery.id).where(
            MessageDelivery.status == DeliveryStatus.SENDING, MessageDelivery.purpose.is_not(None),
            MessageDelivery.sending_at <= now - after).order_by(MessageDelivery.id).limit(limit)))
    settled = 0
    for delivery_id in ids:
        loaded = _load(engine, delivery_id)
        if loaded is None:
            continue
        row, account, plugin = loaded
        result = None
        if plugin is not None and account is not None:
            try:
                result = plugin.query_outcome(account, _outgoing(row))
            except Exception:
                log.exception("query_outcome of %s failed for delivery %s", row.channel, delivery_id)
        if result is None:
            result = SendResult.failed(UNKNOWN_OUTCOME, "the worker stopped during the provider call; not resent")
        settled += _record(engine, row, result, final=True)
    return settled


def _usable(bus, tenant_id: int, account_id: int):
    """(account, channel plugin) when the account is the tenant's, active, and its channel enabled and able to
    send; None sends the job down the path that reads the row and records why it cannot go."""
    entry = bus.platform.accounts.find(account_id)
    if entry is None or not entry.usable or entry.account.tenant_id != tenant_id:
        return None
    plugin = bus.platform.registry.plugin(entry.account.plugin)
    if plugin is None or not hasattr(plugin, "deliver") or not bus.plugin_enabled(tenant_id, entry.account.plugin):
        return None
    return entry.account, plugin


_CLAIMED = ("id", "tenant_id", "channel", "account_id", "customer_id", "recipient", "idempotency_key", "purpose",
            "message", "attempts")


def _claim_returning(engine, tenant_id: int, delivery_id: int) -> MessageDelivery | None:
    """queued -> sending in one statement that also returns what the send needs; None when another worker (or an
    earlier run of this job) has the row, or it is not the tenant's."""
    table = MessageDelivery.__table__
    with engine.begin() as conn:
        found = conn.execute(update(table).where(
            table.c.id == delivery_id, table.c.tenant_id == tenant_id, table.c.status == DeliveryStatus.QUEUED).values(
            status=DeliveryStatus.SENDING, sending_at=utcnow(), attempts=table.c.attempts + 1).returning(
            *(table.c[name] for name in _CLAIMED))).mappings().first()
    return MessageDelivery(**found) if found is not None else None


def _load(engine, delivery_id: int):
    with Session(engine, expire_on_commit=False) as session:
        row = session.get(MessageDelivery, delivery_id)
        if row is None:
            return None
        account = session.get(ChannelAccount, row.account_id) if row.account_id else None
        session.expunge_all()
    platform = current_bus().platform
    plugin = platform.registry.plugin(row.channel)
    return row, account, plugin


def _outgoing(row: MessageDelivery, attempt: int | None = None) -> Outgoing:
    return Outgoing(delivery_id=row.id, tenant_id=row.tenant_id, idempotency_key=row.idempotency_key,
                    recipient=row.recipient, message=OutboundMessage.from_json(row.message or {}),
                    attempt=attempt or max(row.attempts, 1), customer_id=row.customer_id, purpose=row.purpose)


def deliverable(bus, row: MessageDelivery, account: ChannelAccount | None, plugin) -> bool:
    """Whether a queued row can go to its channel now; if not, the row ends: ``skipped`` when its channel plugin is
    gone or disabled for the tenant, ``failed`` when its account is missing or disabled."""
    if plugin is None or not hasattr(plugin, "deliver") or not bus.plugin_enabled(row.tenant_id, row.channel):
        with session_scope(bus.engine) as session:
            ledger.advance(session, row.id, DeliveryStatus.SKIPPED, error_code=CHANNEL_DISABLED,
                           error="plugin disabled", expect=DeliveryStatus.QUEUED)
        return False
    if account is None or not account.active:
        with session_scope(bus.engine) as session:
            ledger.advance(session, row.id, DeliveryStatus.FAILED, error_code="no_account",
                           error="the channel account is missing or disabled", expect=DeliveryStatus.QUEUED)
        return False
    return True


def call_provider(platform, plugin, account: ChannelAccount, row: MessageDelivery, rate: float | None) -> SendResult:
    """The one provider call of a claimed row, shared by the send job and ``deliver_now``: the guard of the declared
    rate right before the call (see ``throttle``), then ``ChannelPlugin.deliver``. A channel that raises, or answers
    something other than a ``SendResult``, leaves the outcome unknown: its ``query_outcome`` is asked, and without an
    answer the row is failed as ``unknown_outcome``, never sent again."""
    if rate:
        while (wait := throttle_of(platform).admit(f"account:{account.id}", rate)) > 0:
            time.sleep(wait)
    outgoing = _outgoing(row, row.attempts)
    try:
        result = plugin.deliver(account, outgoing)
        if not isinstance(result, SendResult):
            raise TypeError(f"{row.channel}.deliver returned {type(result).__name__}, not a SendResult")
    except Exception:
        log.exception("delivery %s: %s.deliver raised; the outcome is unknown", row.id, row.channel)
        try:
            result = plugin.query_outcome(account, outgoing)
        except Exception:
            result = None
        result = result or SendResult.failed(UNKNOWN_OUTCOME, "the provider call raised; not resent")
    return result


def _record(engine, row: MessageDelivery, result: SendResult, *, final: bool) -> int:
    """Write a provider answer for a claimed row; True if the row moved."""
    with session_scope(engine) as session:
        if result.ok:
            status = DeliveryStatus.DELIVERED if result.delivered else DeliveryStatus.SENT
            return int(ledger.record_sent(session, row, status, result.provider_id))
        if result.skipped:
            return int(ledger.advance(session, row.id, DeliveryStatus.SKIPPED, error_code=result.error_code,
                                      error=result.error, expect=DeliveryStatus.SENDING))
        if result.retryable and not final:
            return int(ledger.release(session, row.id, row.attempts, result.error_code, result.error))
        return int(ledger.advance(session, row.id, DeliveryStatus.FAILED, error_code=result.error_code or "failed",
                                  error=result.error, expect=DeliveryStatus.SENDING))


class RetryLater(Exception):
    """A retryable provider failure: the broker retries the job with backoff."""


@actor(name=SEND_ACTOR, plugin="core", queue="outbound", max_retries=MAX_ATTEMPTS + 2, min_backoff=1_000,
       max_backoff=60_000, time_limit=120_000)
def send_delivery(tenant_id, *, delivery_id: int, account_id: int | None = None) -> None:
    """Send one ledger row through its channel (see the module documentation). With ``account_id`` (jobs the
    platform enqueues) the account comes from the process's account directory and the claim returns the row, so a
    send costs two short transactions; without, the row and its account are read first."""
    outcome = _send_one(tenant_id, delivery_id, account_id)
    if outcome == LATER:  # the next free slot is far: come back later instead of holding a worker thread
        send_delivery.send_with_options(tenant_id, {"delivery_id": delivery_id, "account_id": account_id},
                                        delay=int(MAX_THROTTLE_WAIT * 1000))
    elif outcome.startswith(RETRY):
        raise RetryLater(f"delivery {delivery_id}: {outcome[len(RETRY):]}".strip())


#: rows per send job of the bulk forms (``enqueue_deliveries(..., batch=...)``): one broker message per batch
BATCH = 50
#: the longest a batch job runs before it hands the rest of its rows to a new job (well within its time limit)
BATCH_SECONDS = 10.0
LATER, DONE, RETRY = "later", "done", "retry:"


@actor(name=SEND_BATCH_ACTOR, plugin="core", queue="outbound", max_retries=3, min_backoff=1_000,
       max_backoff=60_000, time_limit=180_000)
def send_deliveries(tenant_id, *, delivery_ids: list[int], account_id: int | None = None) -> None:
    """Send ledger rows one after the other, each exactly as ``send_delivery`` sends one (rate slot, claim,
    provider call, record): the bulk forms hand rows to the broker in batches of ``BATCH``, so a million
    recipients are twenty thousand broker messages, not a million (each one a fetch, a decode and an ack on the
    broker). A row whose rate slot is far away hands itself and the rest of the batch to a new job, and so does a
    batch running longer than ``BATCH_SECONDS`` (a stopping worker waits for at most that); a row that failed
    retryably gets a ``send_delivery`` job of its own (with the broker's backoff); a redelivered batch finds its
    sent rows no longer queued and skips them."""
    started = time.monotonic()
    ids = list(delivery_ids)
    for index, delivery_id in enumerate(ids):
        if time.monotonic() - started > BATCH_SECONDS:
            send_deliveries.send(tenant_id, delivery_ids=ids[index:], account_id=account_id)
            return
        outcome = _send_one(tenant_id, delivery_id, account_id)
        if outcome == LATER:
            send_deliveries.send_with_options(tenant_id, {"delivery_ids": ids[index:], "account_id": account_id},
                                              delay=int(MAX_THROTTLE_WAIT * 1000))
            return
        if outcome.startswith(RETRY):
            send_delivery.send_with_options(tenant_id, {"delivery_id": delivery_id, "account_id": account_id},
                                            delay=1_000)


def _send_one(tenant_id: int, delivery_id: int, account_id: int | None) -> str:
    """One row's send: ``DONE`` (sent, refused, or nothing to do), ``LATER`` (its rate slot is far: nothing
    claimed) or ``RETRY`` + the reason (a retryable failure: the row is queued again)."""
    bus = current_bus()
    platform, engine = bus.platform, bus.engine
    fast = _usable(bus, tenant_id, account_id) if account_id is not None else None
    if fast is not None:
        account, plugin = fast
        row = None
    else:
        loaded = _load(engine, delivery_id)
        if loaded is None:
            return DONE
        row, account, plugin = loaded
        if row.tenant_id != tenant_id or row.status != DeliveryStatus.QUEUED:
            return DONE
        if not deliverable(bus, row, account, plugin):
            return DONE
    rate = plugin.account_rate_limit(account)
    if rate:
        wait = throttle_of(platform).reserve(f"account:{account.id}", rate, MAX_THROTTLE_WAIT)
        if wait is None:
            return LATER
        if wait > 0:
            time.sleep(wait)
    if row is None:
        row = _claim_returning(engine, tenant_id, delivery_id)  # its attempts counted by the claim
        if row is None:
            return DONE
    else:
        with session_scope(engine) as session:
            if not ledger.claim(session, delivery_id):
                return DONE
        row.attempts += 1
    result = call_provider(platform, plugin, account, row, rate)
    final = row.attempts >= MAX_ATTEMPTS
    _record(engine, row, result, final=final)
    if not result.ok and result.retryable and not final:
        return f"{RETRY}{result.error_code} {result.error or ''}"
    return DONE
