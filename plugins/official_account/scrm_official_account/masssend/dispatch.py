"""Dispatching a mass send: the ledger rows of its fans, the monthly limit, one WeChat call, the finished event.

How a WeChat mass send maps onto the platform's one outbound path (``scrm.sdk.send_message``):

* one ledger row per fan (``message_delivery``: channel ``official_account``, purpose ``mass_send``, kind ``mass``,
  ``task_ref`` ``oa_mass:<id>``, idempotency key ``oa_mass:<id>:<openid>``), written by ``send_message`` with
  ``deliver_inline=True``: the kit applies the exclusion hook (blacklist, unsubscribes) and the tenant's daily
  frequency cap, and enqueues no per-row send job;
* the monthly limit (spec 4.2 rule 5: at most 4 mass messages per fan per natural month of the tenant's time zone)
  is counted on the ledger: rows of purpose ``mass_send`` on this account to this openid this month, from any
  feature, queued to read (failed and skipped rows do not count). A fan at the limit gets a ``failed`` row with
  code ``monthly_limit``; the others go out. Planning runs in chunks; each chunk's transaction takes the account's
  planning lock first (a PostgreSQL advisory lock; SQLite writes are serial), so two mass sends planned at the same
  time cannot both give a fan its 4th slot;
* the rows handed to WeChat stay ``queued`` while the job plans, stamped as taken (``HOLD``: the outbound relay never
  gives them per-row send jobs), and move to ``sending`` together right before ONE provider call, ``message/mass/send`` with the openid list (2 to 10,000) and
  ``clientmsgid`` ``scrm_mass_<tenant>_<id>`` (a retried call answers 45065 with the first msg_id: never two sends),
  moves them to ``sent`` with WeChat's msg_id as the provider id;
* ``MASSSENDJOBFINISH`` (:func:`apply_finished`) records TotalCount / FilterCount / SentCount / ErrorCount on the
  mass send; when WeChat reports no error the rows move to ``delivered`` (WeChat names no fan it failed for).
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import func, select, text, update
from sqlmodel import Session

from scrm.sdk import (
    ChannelAccount,
    DeliveryStatus,
    MessageDelivery,
    OutboundMessage,
    actor,
    current_bus,
    job_session,
    month_span,
    send_message,
    utcnow,
)
from scrm.sdk.wechat import WeChatAPIError

from ..accounts import find_account, is_verified_service
from ..materials.models import Material
from . import audience as audiences
from .models import FAILED, SENDING, SENT, SUBMITTED, TEXT, WAITING, MassSend
from .service import MAX_RECIPIENTS, MIN_RECIPIENTS, audience_of, tenant_zone

log = logging.getLogger(__name__)

PURPOSE = "mass_send"
KIND = "mass"
CHANNEL = "official_account"
#: spec 4.2 rule 5 (WeChat's rule for service accounts): mass messages per fan per natural month
MONTHLY_LIMIT = 4
MONTHLY_LIMIT_CODE = "monthly_limit"
CHUNK = 500
#: a send left ``sending`` longer than this by a dead worker may be taken again (its WeChat call is idempotent); longer
#: than the job's time limit, so a slow planning run is never taken over while it still runs
STALE_AFTER = timedelta(minutes=35)
#: the ledger rows of a mass send stay ``queued`` while the job plans (stamped as taken, this far ahead, so the outbound
#: relay never hands them to per-row send jobs) and move to ``sending`` right before the one WeChat call
HOLD = timedelta(days=1)
COUNTED = (DeliveryStatus.QUEUED, DeliveryStatus.SENDING, DeliveryStatus.SENT, DeliveryStatus.DELIVERED,
           DeliveryStatus.READ)
#: WeChat's mass message type of each of ours
WECHAT_TYPES = {"news": "mpnews", "text": "text", "image": "image", "voice": "voice", "video": "mpvideo"}


def task_ref(send: MassSend) -> str:
    return f"oa_mass:{send.id}"


def client_msg_id(send: MassSend) -> str:
    return f"scrm_mass_{send.tenant_id}_{send.id}"


def outbound_message(send: MassSend, media_id: str | None) -> OutboundMessage:
    """The ledger's copy of the message (kind as the channel declares it, marked ``mass`` so the channel's
    ``deliver`` never sends such a row on its own)."""
    if send.msg_type == TEXT:
        return OutboundMessage("text", {"content": send.text, "mass_send_id": send.id})
    return OutboundMessage(send.msg_type, {"media_id": media_id, "mass_send_id": send.id})


def wechat_body(send: MassSend, openids: list[str], media_id: str | None) -> dict[str, Any]:
    msgtype = WECHAT_TYPES[send.msg_type]
    body: dict[str, Any] = {"touser": openids, "msgtype": msgtype, "clientmsgid": client_msg_id(send)}
    if send.msg_type == TEXT:
        body["text"] = {"content": send.text}
    else:
        body[msgtype] = {"media_id": media_id}
        if send.msg_type == "news":
            body["send_ignore_reprint"] = 0
    return body


def lock_account_planning(session: Session, account_id: int, mass_send_id: int) -> None:
    """Serialise mass-send planning of one account until the transaction ends: a PostgreSQL advisory lock of the
    account; on SQLite a first write (the mass send's own row), which takes the database's writer lock before the
    monthly counts are read."""
    if session.get_bind().dialect.name == "postgresql":
        session.execute(text("SELECT pg_advisory_xact_lock(:a, :b)"), {"a": 0x0A4A5500, "b": account_id})
    else:
        table = MassSend.__table__.c
        session.execute(update(MassSend.__table__).where(table.id == mass_send_id).values(
            started_at=table.started_at))


def monthly_counts(session: Session, tenant_id: int, account_id: int, openids: list[str], span,
                   exclude_task: str) -> dict[str, int]:
    """Mass messages of this month per openid on the account, from the ledger (this send's own rows left out)."""
    table = MessageDelivery.__table__.c
    rows = session.execute(select(table.recipient, func.count()).where(
        table.tenant_id == tenant_id, table.channel == CHANNEL, table.account_id == account_id,
        table.purpose == PURPOSE, table.status.in_(COUNTED), table.created_at >= span.start,
        table.created_at < span.end, table.recipient.in_(openids),
        (table.task_ref.is_(None)) | (table.task_ref != exclude_task)).group_by(table.recipient))
    return {recipient: count for recipient, count in rows}


def _claim(session: Session, tenant_id: int, mass_send_id: int, now: datetime,
           due: datetime | None = None) -> MassSend | None:
    """waiting (due by ``due``, the time its schedule was for, else now) -> sending, or a stale sending taken
    again; None when another run has it, it is done, or its time moved later."""
    table = MassSend.__table__.c
    due = due or now
    moved = session.execute(update(MassSend.__table__).where(
        table.id == mass_send_id, table.tenant_id == tenant_id,
        ((table.status == WAITING) & ((table.scheduled_at.is_(None)) | (table.scheduled_at <= due)))
        | ((table.status == SENDING) & (table.started_at < now - STALE_AFTER))).values(
        status=SENDING, started_at=now))
    session.commit()
    if moved.rowcount != 1:
        return None
    return session.get(MassSend, mass_send_id)


def _fail(session: Session, send: MassSend, code: str, message: str = "") -> None:
    send.status = FAILED
    send.error_code, send.error = code[:40], (message or None) and message[:300]
    send.finished_at = utcnow()
    session.add(send)
    table = MessageDelivery.__table__.c
    session.execute(update(MessageDelivery.__table__).where(
        table.tenant_id == send.tenant_id, table.task_ref == task_ref(send),
        table.status.in_([DeliveryStatus.QUEUED, DeliveryStatus.SENDING])).values(
        status=DeliveryStatus.FAILED, error_code=code[:40], error=(message or code)[:500]))
    session.commit()


def plan(session: Session, send: MassSend, account: ChannelAccount, now: datetime | None = None) -> list[str]:
    """Write the ledger rows of ``send`` (idempotent: a resumed run writes nothing twice) and return the openids to
    hand to WeChat (rows ``sending``). Commits once per chunk."""
    tz = tenant_zone(session, send.tenant_id)
    span = month_span(now or utcnow(), tz=tz)
    fans = audiences.recipients(session, send.tenant_id, audience_of(account.id, send), tz, MAX_RECIPIENTS + 1)
    if len(fans) > MAX_RECIPIENTS:
        raise _Refused("AUDIENCE_TOO_LARGE", f"more than {MAX_RECIPIENTS} fans match now")
    media_id = None
    if send.msg_type != TEXT:
        material = session.get(Material, send.material_id) if send.material_id else None
        if material is None or material.tenant_id != send.tenant_id or not material.media_id:
            raise _Refused("CONTENT_REQUIRED", "the material is gone")
        media_id = material.media_id
    message = outbound_message(send, media_id)
    ref = task_ref(send)
    targeted = refused = 0
    to_send: list[str] = []
    for start in range(0, len(fans), CHUNK):
        chunk = fans[start:start + CHUNK]
        lock_account_planning(session, account.id, send.id)
        counts = monthly_counts(session, send.tenant_id, account.id, [openid for _, openid in chunk], span, ref)
        chunk_sending: list[int] = []
        for customer_id, openid in chunk:
            row = send_message(session, send.tenant_id, account=account, recipient=openid, message=message,
                               purpose=PURPOSE, customer_id=customer_id, idempotency_key=f"{ref}:{openid}",
                               task_ref=ref, kind=KIND, deliver_inline=True)
            targeted += 1
            if row.status == DeliveryStatus.QUEUED and counts.get(openid, 0) >= MONTHLY_LIMIT:
                row.status, row.error_code = DeliveryStatus.FAILED, MONTHLY_LIMIT_CODE
                row.error = f"{counts[openid]} of {MONTHLY_LIMIT} mass messages this month"
                session.add(row)
            if row.status == DeliveryStatus.QUEUED:
                chunk_sending.append(row.id)
            if row.status in (DeliveryStatus.QUEUED, DeliveryStatus.SENDING):
                to_send.append(openid)
            else:
                refused += 1
        session.flush()
        if chunk_sending:  # held by this job: the outbound relay leaves stamped rows alone (see HOLD)
            table = MessageDelivery.__table__.c
            session.execute(update(MessageDelivery.__table__).where(
                table.id.in_(chunk_sending), table.status == DeliveryStatus.QUEUED).values(
                enqueued_at=utcnow() + HOLD))
        session.commit()
    send.targeted, send.refused, send.submitted = targeted, refused, len(to_send)
    session.add(send)
    session.commit()
    return to_send


class _Refused(Exception):
    def __init__(self, code: str, message: str) -> None:
        self.code, self.message = code, message
        super().__init__(f"{code}: {message}")


class RetryLater(Exception):
    """WeChat could not be reached or was busy: the job is retried (the call is idempotent by clientmsgid)."""


def run(session: Session, platform: Any, tenant_id: int, mass_send_id: int, now: datetime | None = None,
        due: datetime | None = None) -> str:
    """Dispatch one due mass send; returns its status afterwards (or "" when there was nothing to do)."""
    from ..client import OAClient, OAUnavailable

    now = now or utcnow()
    send = _claim(session, tenant_id, mass_send_id, now, due)
    if send is None:
        return ""
    account = find_account(session, tenant_id, send.account_id)
    if account is None or not account.active:
        _fail(session, send, "no_account", "the official account is missing or disabled")
        return FAILED
    if not is_verified_service(account):
        _fail(session, send, "NOT_VERIFIED_SERVICE_ACCOUNT", "the account is no verified service account")
        return FAILED
    try:
        openids = plan(session, send, account, now)
    except _Refused as exc:
        session.rollback()
        _fail(session, send, exc.code, exc.message)
        return FAILED
    if len(openids) < MIN_RECIPIENTS:
        _fail(session, send, "AUDIENCE_TOO_SMALL",
              f"{len(openids)} fan(s) left after the monthly limit and exclusions; WeChat needs {MIN_RECIPIENTS}")
        return FAILED
    media_id = None
    if send.msg_type != TEXT:
        material = session.get(Material, send.material_id)
        media_id = material.media_id if material is not None else None
    table = MessageDelivery.__table__.c
    session.execute(update(MessageDelivery.__table__).where(
        table.tenant_id == tenant_id, table.task_ref == task_ref(send), table.status == DeliveryStatus.QUEUED).values(
        status=DeliveryStatus.SENDING, sending_at=utcnow(), attempts=table.attempts + 1))
    session.commit()
    try:
        with OAClient.for_account(account, platform) as client:
            answer = client.post("/cgi-bin/message/mass/send", wechat_body(send, openids, media_id))
    except WeChatAPIError as exc:
        if exc.errcode == 45065 and isinstance(getattr(exc, "response", None), dict) \
                and exc.response.get("msg_id"):
            answer = exc.response  # sent before with this clientmsgid (a retried run): the first send stands
        elif exc.errcode in (45066, -1, 45009, 45011):
            _back_to_waiting(session, send, f"{exc.errcode} {exc.errmsg or ''}")
            raise RetryLater(f"mass send {send.id}: WeChat {exc.errcode}") from exc
        else:
            _fail(session, send, str(exc.errcode), exc.errmsg or "")
            return FAILED
    except OAUnavailable as exc:
        _back_to_waiting(session, send, str(exc))
        raise RetryLater(f"mass send {send.id}: WeChat unreachable") from exc
    _submitted(session, send, str(answer.get("msg_id") or ""), str(answer.get("msg_data_id") or ""))
    return SUBMITTED


def _back_to_waiting(session: Session, send: MassSend, error: str) -> None:
    send.status, send.error = WAITING, error[:300]
    send.scheduled_at = None if send.scheduled_at is None else min(send.scheduled_at, utcnow())
    session.add(send)
    session.commit()


def _submitted(session: Session, send: MassSend, msg_id: str, msg_data_id: str) -> None:
    now = utcnow()
    send.status, send.msg_id, send.msg_data_id = SUBMITTED, msg_id[:40] or None, msg_data_id[:40] or None
    send.submitted_at, send.error, send.error_code = now, None, None
    session.add(send)
    table = MessageDelivery.__table__.c
    session.execute(update(MessageDelivery.__table__).where(
        table.tenant_id == send.tenant_id, table.task_ref == task_ref(send),
        table.status == DeliveryStatus.SENDING).values(status=DeliveryStatus.SENT, sent_at=now,
                                                      provider_id=msg_id[:128] or None))
    session.commit()


@actor(max_retries=3, min_backoff=30_000, max_backoff=300_000, time_limit=1_800_000)
def dispatch_mass_send(tenant_id: int, *, mass_send_id: int, due: str | None = None) -> None:
    """Send mass send ``mass_send_id`` (scheduled durably by ``service.create`` for ``due``, an ISO time)."""
    when = None
    if due:
        try:
            when = datetime.fromisoformat(due)
        except ValueError:
            when = None
    with job_session() as session:
        run(session, current_bus().platform, tenant_id, mass_send_id, due=when)


# -- the finished event -------------------------------------------------------------------------------------------

def _int(value: Any) -> int | None:
    try:
        return int(str(value).strip())
    except (TypeError, ValueError):
        return None


def apply_finished(session: Session, tenant_id: int, account_id: int, fields: dict[str, Any]) -> MassSend | None:
    """Record a MASSSENDJOBFINISH event (``MsgID``, ``Status``, ``TotalCount``, ``FilterCount``, ``SentCount``,
    ``ErrorCount``) on the account's mass send of that msg_id; None when no mass send of this account has it (a
    send made in the WeChat backend). A repeated event changes nothing more."""
    msg_id = str(fields.get("MsgID") or fields.get("MsgId") or "").strip()
    if not msg_id:
        return None
    send = session.execute(select(MassSend).where(MassSend.tenant_id == tenant_id, MassSend.account_id == account_id,
                                                  MassSend.msg_id == msg_id).with_for_update()).scalars().first()
    if send is None:
        return None
    status = str(fields.get("Status") or "").strip()
    send.wechat_status = status[:40]
    send.total_count, send.filter_count = _int(fields.get("TotalCount")), _int(fields.get("FilterCount"))
    send.sent_count, send.error_count = _int(fields.get("SentCount")), _int(fields.get("ErrorCount"))
    ok = status == "send success"
    send.status = SENT if ok else FAILED
    if not ok:
        send.error_code, send.error = (status or "send fail")[:40], status[:300] or None
    send.finished_at = send.finished_at or utcnow()
    session.add(send)
    if ok and not send.error_count:
        table = MessageDelivery.__table__.c
        session.execute(update(MessageDelivery.__table__).where(
            table.tenant_id == tenant_id, table.task_ref == task_ref(send),
            table.status == DeliveryStatus.SENT).values(status=DeliveryStatus.DELIVERED, delivered_at=utcnow()))
    session.flush()
    return send


def failures(session: Session, send: MassSend, limit: int = 200) -> list[MessageDelivery]:
    """The fans the send failed for (refused before WeChat, or the call failed), with codes."""
    return list(session.execute(select(MessageDelivery).where(
        MessageDelivery.tenant_id == send.tenant_id, MessageDelivery.task_ref == task_ref(send),
        MessageDelivery.status.in_([DeliveryStatus.FAILED, DeliveryStatus.SKIPPED])).order_by(
        MessageDelivery.id).limit(limit)).scalars())
