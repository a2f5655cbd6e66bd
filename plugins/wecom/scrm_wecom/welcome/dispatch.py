"""Sending the welcome of a new friend: one ``send_welcome`` job on the ``wecom_welcome`` queue per welcome code.

Fast path: the callback inbox enqueues ``send_welcomes`` for the friend adds carrying a ``WelcomeCode`` of each batch
it stores (``callbacks.callback_batched``), without waiting for ``process_callback`` and the domain-event chain; the job reads
what it needs itself (account, employee, customer when known, the name from WeCom when the content needs it). The
``wecom.friend_added`` handler stays the backup: it enqueues the job again only while the ledger has no row for the
code (the broker lost the first message, or it has not run yet).

Ledgered through the platform's outbound path: the job writes the row with ``scrm.sdk.send_message`` (purpose
``welcome``, recipient the customer's external_userid, the customer when known, idempotency key
``welcome:<welcome_code>``) with ``deliver_inline=True``, commits, and sends it at once with ``scrm.sdk.deliver_now``
(the code cannot wait for the send queue); the call itself is ``WeComPlugin.deliver`` -> ``deliver_welcome``. So the
exclusion hook is asked for purpose ``welcome`` (a customer a plugin excludes from welcomes gets a skipped row with the
reason and no call; the members blacklist does not exclude welcomes, see the README), the tenant's daily caps apply
only if the tenant set one for ``welcome`` (there is no default: a welcome answers the friend's own add and is not a
mass message, nor does it count towards the mass-send cap), the account's rate slot is taken, and the row moves only
forward.

Contract: at most one ``send_welcome_msg`` per welcome code, whatever the redeliveries and from whichever path (the
ledger row ``welcome:<welcome_code>`` is committed before the call and claimed by one caller only; a second job
finding it does nothing), and one welcome per friendship: a code of an employee and customer who already got a welcome since their
last deletion (a half add followed by the full add) is recorded as skipped (``welcomed``) without a call. A code
certainly older than its 20 seconds is recorded as skipped (``expired``) without a call; 41051 (the customer
already started chatting, another app used the code, or it expired) is recorded as skipped; any other error is
recorded with its code and message and never sent again.
"""

from __future__ import annotations

import logging
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlmodel import Session, select

from scrm.sdk import (
    ChannelAccount,
    Customer,
    CustomerIdentity,
    DeliveryStatus,
    Employee,
    IdentityKind,
    MessageDelivery,
    OutboundMessage,
    Outgoing,
    SendResult,
    actor,
    advance_delivery,
    current_bus,
    deliver_now,
    job_session,
    send_message,
    utcnow,
)
from scrm.sdk.wechat import WeChatAPIError

from .. import timeline
from ..churn.models import FriendLoss
from ..client import WeComClient
from ..events import CHANGE_EXTERNAL_CONTACT
from ..sync.models import Follow, FollowStatus
from .content import Recipient, needs_customer_name, to_api
from .routing import NewFriend, choose_welcome

log = logging.getLogger(__name__)

ALREADY_CHATTING = 41051
CHANNEL = "wecom"
WELCOME_QUEUE = "wecom_welcome"
#: a welcome code lives 20 seconds from the add (WeCom's rule)
CODE_LIFE = timedelta(seconds=20)
#: when a code is certainly dead: its life, plus the whole second the callback's CreateTime rounds down and a second
#: of clock difference between WeCom and us
CERTAINLY_EXPIRED = CODE_LIFE + timedelta(seconds=2)
#: ledger outcomes of welcomes never sent (``error_code``), besides WeCom's own codes
ALREADY_WELCOMED = "welcomed"
CODE_EXPIRED = "expired"
NO_CONTENT = "no_content"
COUNTED = (DeliveryStatus.QUEUED, DeliveryStatus.SENDING, DeliveryStatus.SENT, DeliveryStatus.DELIVERED,
           DeliveryStatus.READ)
#: the outbound path's purpose and message kind of a welcome (``WeComPlugin.capabilities``)
PURPOSE = "welcome"
WELCOME_KIND = "welcome"


def welcome_job_kwargs(account_id: int, payload: dict[str, Any], occurred_at: datetime | None) -> dict[str, Any]:
    """The keyword arguments of ``send_welcome`` for a ``wecom.friend_added`` payload."""
    created = payload.get("create_time")
    if isinstance(created, int) and created > 0:  # the callback's CreateTime: when the friend added the employee
        added_at = datetime.fromtimestamp(created, UTC).isoformat()
    else:
        added_at = (occurred_at or utcnow()).isoformat()
    return {"account_id": account_id, "userid": str(payload.get("userid") or ""),
            "external_userid": str(payload.get("external_userid") or ""),
            "welcome_code": str(payload.get("welcome_code") or ""), "state": str(payload.get("state") or ""),
            "added_at": added_at,
            "customer_id": payload.get("customer_id")}


FRIEND_ADD_CHANGES = frozenset({"add_external_contact", "add_half_external_contact"})


def ledger_key(welcome_code: str) -> str:
    return f"welcome:{welcome_code}"


def welcome_recorded(session: Session, tenant_id: int, welcome_code: str) -> bool:
    """Whether a welcome with ``welcome_code`` is already in the tenant's delivery ledger (sent, skipped, failed or
    being sent): nothing more may be sent with it."""
    return session.exec(select(MessageDelivery.id).where(
        MessageDelivery.tenant_id == tenant_id,
        MessageDelivery.idempotency_key == ledger_key(welcome_code)).limit(1)).first() is not None


def sender_task_ref(ref: str, userid: str) -> str:
    """The ledger's ``task_ref`` of a welcome: the choice's origin and the sending employee, ``<ref>@<userid>`` (the
    plugin's convention for an employee's part of a task), cut to 80 characters on the origin's side."""
    return f"{ref[:max(0, 79 - len(userid))]}@{userid}"[-80:]


def _sender(task_ref: str | None) -> str:
    return (task_ref or "").rpartition("@")[2]


def _friendship_ended_since(session: Session, tenant_id: int, account_id: int, userid: str, external_userid: str,
                            since: datetime) -> bool:
    """Whether the relation of ``userid`` and ``external_userid`` ended (either side deleted, or a transfer) at or
    after ``since``: the follow relation still ended, or a loss recorded for it."""
    since = since.replace(microsecond=0)  # callback times have whole seconds
    ended = session.exec(select(Follow.id).where(
        Follow.tenant_id == tenant_id, Follow.account_id == account_id, Follow.userid == userid,
        Follow.external_userid == external_userid, Follow.status != FollowStatus.ACTIVE.value,
        ((Follow.deleted_at >= since) | (Follow.churned_at >= since))).limit(1)).first()
    if ended is not None:
        return True
    return session.exec(select(FriendLoss.id).where(
        FriendLoss.tenant_id == tenant_id, FriendLoss.account_id == account_id, FriendLoss.userid == userid,
        FriendLoss.external_userid == external_userid, FriendLoss.lost_at >= since).limit(1)).first() is not None


def welcomed_in_friendship(session: Session, tenant_id: int, account_id: int, userid: str,
                           external_userid: str, welcome_code: str = "") -> MessageDelivery | None:
    """The welcome the current friendship of ``userid`` and ``external_userid`` already got (being sent, sent or
    delivered), or None. A friendship runs from an add to the next deletion by either side: the full add after a
    half add is the same friendship, an add after a deletion a new one. Failed and skipped welcomes do not count,
    so the full add's code is a second chance when the half add's welcome did not go out. The welcome of
    ``welcome_code`` itself does not count (a job racing with another for the same code)."""
    rows = session.exec(select(MessageDelivery).where(
        MessageDelivery.tenant_id == tenant_id, MessageDelivery.channel == CHANNEL,
        MessageDelivery.kind == "welcome", MessageDelivery.account_id == account_id,
        MessageDelivery.recipient == external_userid, MessageDelivery.status.in_(COUNTED),
        MessageDelivery.idempotency_key != ledger_key(welcome_code))
        .order_by(MessageDelivery.id.desc())).all()
    last = next((row for row in rows if _sender(row.task_ref) == userid), None)
    if last is None or _friendship_ended_since(session, tenant_id, account_id, userid, external_userid,
                                               last.created_at):
        return None
    return last


def _age(added_at: datetime, now: datetime) -> timedelta:
    if added_at.tzinfo is None:
        added_at = added_at.replace(tzinfo=UTC)
    return now - added_at


def callback_welcome_kwargs(account_id: int, message: dict[str, Any]) -> dict[str, Any] | None:
    """The ``send_welcome`` arguments of a decrypted friend-add callback carrying a ``WelcomeCode``; None for any
    other callback."""
    if message.get("MsgType") != "event" or message.get("Event") != CHANGE_EXTERNAL_CONTACT \
            or message.get("ChangeType") not in FRIEND_ADD_CHANGES:
        return None
    code = str(message.get("WelcomeCode") or "").strip()
    if not code:
        return None
    created = str(message.get("CreateTime") or "").strip()
    payload = {"userid": message.get("UserID"), "external_userid": message.get("ExternalUserID"),
               "welcome_code": code, "state": message.get("State"),
               "create_time": int(created) if created.isdigit() else None}
    return welcome_job_kwargs(account_id, payload, None)


def _customer(session: Session, tenant_id: int, corp_id: str, external_userid: str,
              customer_id: int | None) -> Customer | None:
    if customer_id:
        customer = session.get(Customer, customer_id)
        return customer if customer is not None and customer.tenant_id == tenant_id else None
    row = session.exec(select(CustomerIdentity).where(
        CustomerIdentity.tenant_id == tenant_id, CustomerIdentity.kind == IdentityKind.external_userid(corp_id),
        CustomerIdentity.value == external_userid)).first()
    return session.get(Customer, row.customer_id) if row is not None else None


def _fetch_customer_name(client: Any, external_userid: str) -> str:
    """The customer's WeChat name from WeCom (used when the platform does not know it yet)."""
    try:
        detail = client.get_external_contact(external_userid)
    except Exception as exc:  # the name is a nicety: the welcome still goes out without it
        log.warning("could not read external contact %s: %s", external_userid, exc)
        return ""
    return str(((detail or {}).get("external_contact") or {}).get("name") or "")


def _parse_time(value: str | None) -> datetime:
    try:
        return datetime.fromisoformat(value) if value else utcnow()
    except ValueError:
        return utcnow()


# Retries are safe and quick: a failure before the call (e.g. a busy database) sends nothing, and once the ledger
# row is committed a retry finds it and does nothing. They stay well inside the welcome code's 20 seconds.
# The welcome code dies 20 seconds after the event: the job has a queue of its own (``wecom_welcome``, not behind a
# burst of callbacks and friend syncs on ``wecom``) and goes first in a worker (priority -10, the default is 0).
@actor(max_retries=3, min_backoff=100, max_backoff=1_000, time_limit=15_000, queue=WELCOME_QUEUE, priority=-10)
def send_welcome(tenant_id: int, *, account_id: int, userid: str, external_userid: str, welcome_code: str,
                 state: str = "", added_at: str | None = None, customer_id: int | None = None) -> None:
    """Choose the new friend's welcome (``routing.choose_welcome``) and send it once with ``welcome_code``."""
    if not welcome_code or not userid or not external_userid:
        return
    with job_session() as session:
        if welcome_recorded(session, tenant_id, welcome_code):
            return  # the other path's job came first
        account = session.get(ChannelAccount, account_id)
        if account is None or account.tenant_id != tenant_id or account.plugin != CHANNEL:
            return
        friend = NewFriend(tenant_id, account_id, userid, external_userid, state, welcome_code, _parse_time(added_at))
        choice = choose_welcome(session, friend)
        if choice is None:
            return
        customer = _customer(session, tenant_id, account.external_id, external_userid, customer_id)
        earlier = welcomed_in_friendship(session, tenant_id, account_id, userid, external_userid, welcome_code)
        employee = session.exec(select(Employee).where(Employee.tenant_id == tenant_id,
                                                       Employee.userid == userid)).first()
        payload = {"welcome_code": welcome_code, "content": choice.content or {},
                   "added_at": friend.added_at.isoformat(),
                   "employee_name": employee.name if employee else "",
                   "employee_position": (employee.position or "") if employee else "",
                   "customer_name": customer.name if customer is not None else ""}
        row = send_message(session, tenant_id, account=account, recipient=external_userid,
                           message=OutboundMessage(WELCOME_KIND, payload), purpose=PURPOSE,
                           customer_id=customer.id if customer is not None else None,
                           idempotency_key=ledger_key(welcome_code), task_ref=sender_task_ref(choice.ref, userid),
                           kind="welcome", deliver_inline=True)
        if row.status != DeliveryStatus.QUEUED:
            return  # excluded or capped (skipped with the reason), or already settled by another job
        age = _age(friend.added_at, utcnow())
        skip = _skip_reason(choice.content, earlier, age)
        if skip is not None:
            advance_delivery(session, row.id, DeliveryStatus.SKIPPED, error_code=skip[0], error=skip[1],
                             tenant_id=tenant_id)
            return
        row_id, corp_id = row.id, account.external_id
    # committed: the row is the single-send guard; it is claimed and sent outside any transaction, at once (the code
    # lives 20 s), waiting for the account's rate slot no longer than the code has left
    left = (CODE_LIFE - age).total_seconds() - 1
    deliver_now(tenant_id, row_id, max_wait=max(left, 0.5),
                on_sent=lambda session, delivery_id: _welcomed(session, delivery_id, corp_id, userid))


def _skip_reason(content: dict[str, Any] | None, earlier: MessageDelivery | None,
                 age: timedelta) -> tuple[str, str] | None:
    """Why a welcome is not sent although no one excluded the customer: no content, a friendship already welcomed, a
    certainly expired code."""
    if not content:
        return NO_CONTENT, "the welcome resolver chose no content"
    if earlier is not None:
        return ALREADY_WELCOMED, f"this friendship was already welcomed (delivery {earlier.id})"
    if age > CERTAINLY_EXPIRED:
        return CODE_EXPIRED, (f"the welcome code had expired: {int(age.total_seconds())} s after the add "
                              f"(WeCom keeps it {int(CODE_LIFE.total_seconds())} s); not sent")
    return None


def _welcomed(session: Session, delivery_id: int, corp_id: str, userid: str) -> None:
    """In the transaction that moved the welcome to sent (its row locked): the customer's timeline entry.

    The fast path may send before the friend event made the customer; the event's linking
    (``sync.events.welcomed_before_known``) takes the same row lock, so exactly one of the two writes the entry: the
    event when it finds the row already sent, this when the row is sent here (finding the customer the event linked,
    or looking it up)."""
    row = session.get(MessageDelivery, delivery_id, populate_existing=True)
    if row is None:
        return
    if row.customer_id is None:
        found = _customer(session, row.tenant_id, corp_id, row.recipient, None)
        row.customer_id = found.id if found is not None else None
        session.add(row)
    timeline.write(session, row.tenant_id, row.customer_id, timeline.WELCOME_SENT, userid=userid)


def deliver_welcome(client: WeComClient, outgoing: Outgoing) -> SendResult:
    """The provider call of one welcome (``WeComPlugin.deliver`` for kind ``welcome``): one ``send_welcome_msg`` with
    the code of the payload. A code certainly expired is declined without a call; 41051 is declined (skipped); any
    other error fails the row with WeCom's code and is never retried (the code is single-use and short-lived)."""
    payload = outgoing.message.payload
    added_at = _parse_time(payload.get("added_at"))
    age = _age(added_at, utcnow())
    if age > CERTAINLY_EXPIRED:
        return SendResult.declined(CODE_EXPIRED, f"the welcome code had expired: {int(age.total_seconds())} s after "
                                                 f"the add (WeCom keeps it {int(CODE_LIFE.total_seconds())} s)")
    recipient = Recipient(employee_name=str(payload.get("employee_name") or ""),
                          employee_position=str(payload.get("employee_position") or ""),
                          customer_name=str(payload.get("customer_name") or ""))
    status, code, error = _send(client, str(payload.get("welcome_code") or ""), dict(payload.get("content") or {}),
                                recipient, outgoing.recipient, added_at, outgoing.tenant_id)
    if status == DeliveryStatus.SENT:
        return SendResult.sent(None)  # send_welcome_msg answers no message id
    if status == DeliveryStatus.SKIPPED:
        return SendResult.declined(code or "skipped", error or "")
    return SendResult.failed(code or "failed", error or "")


def _used_or_expired(errmsg: str, age: timedelta) -> str:
    """The ledger message of a 41051: WeCom answers it for a used code and for an expired one alike, so the age of
    the code at the call tells which it was."""
    if age >= CODE_LIFE:
        why = (f"the welcome code had expired: called {int(age.total_seconds())} s after the add "
               f"(WeCom keeps it {int(CODE_LIFE.total_seconds())} s)")
    else:
        why = "the customer already started chatting, or another app used the welcome code"
    return f"{why} ({errmsg})" if errmsg else why


def _materials(client: WeComClient, tenant_id: int, content: dict[str, Any]) -> list[dict[str, Any]]:
    """The WeCom attachments of the content's materials (media uploaded once per account, cached by the material
    centre in its own transaction). A material deleted since the welcome was saved is left out: the code is
    single-use, so the rest still goes out."""
    ids = [int(m) for m in content.get("material_ids") or [] if str(m).isdigit()]
    if not ids:
        return []
    from ..materials.attachments import AttachmentError, attachment  # the material centre (same plugin)

    out: list[dict[str, Any]] = []
    with job_session() as session:
        for material_id in ids:
            try:
                out.append(attachment(session, tenant_id, material_id, client))
            except AttachmentError as exc:
                log.warning("welcome material left out: %s", exc)
    return out


def _send(client: WeComClient, welcome_code: str, content: dict[str, Any], recipient: Recipient,
          external_userid: str, added_at: datetime, tenant_id: int
          ) -> tuple[DeliveryStatus, str | None, str | None]:
    """Call ``send_welcome_msg`` once (the materials made attachments first); returns the ledger status, error code
    and message."""
    with client:
        if needs_customer_name(content) and not recipient.customer_name:
            recipient = replace(recipient, customer_name=_fetch_customer_name(client, external_userid))
        try:
            text, attachments = to_api(content, recipient, _materials(client, tenant_id, content))
            if not text and not attachments:
                return DeliveryStatus.SKIPPED, NO_CONTENT, "every material of the welcome was deleted"
            client.send_welcome_msg(welcome_code, text=text, attachments=attachments)
        except WeChatAPIError as exc:
            if exc.errcode == ALREADY_CHATTING:
                return (DeliveryStatus.SKIPPED, str(exc.errcode),
                        _used_or_expired(exc.errmsg or "", _age(added_at, utcnow()))[:500])
            return DeliveryStatus.FAILED, str(exc.errcode), exc.errmsg or str(exc)
        except Exception as exc:  # unreachable WeCom, missing secret: recorded, not retried (the code expires)
            return DeliveryStatus.FAILED, "unavailable", str(exc) or type(exc).__name__
    return DeliveryStatus.SENT, None, None


# Welcomes one ``send_welcomes`` job sends itself; the rest of a larger batch is handed on in jobs of this size.
WELCOMES_PER_JOB = 4


@actor(max_retries=3, min_backoff=100, max_backoff=1_000, time_limit=120_000, queue=WELCOME_QUEUE, priority=-10)
def send_welcomes(tenant_id: int, *, items: list[dict[str, Any]]) -> None:
    """The welcomes of the friend adds stored together by the callback inbox (``send_welcome`` keyword arguments
    each), in arrival order.

    Each welcome costs one or two round trips to WeCom, so a batch is not sent one after the other by one thread: the
    job keeps the first ``WELCOMES_PER_JOB`` and hands the rest on as further ``send_welcomes`` jobs (one broker
    round trip), which every free worker thread takes up at once; when the broker refuses them, this job sends them
    all itself. One that fails is handed to ``send_welcome`` with its own retries and the others go on; a welcome
    already in the ledger (a redelivery of this job or of a part handed on) is not sent again."""
    mine, rest = items[:WELCOMES_PER_JOB], items[WELCOMES_PER_JOB:]
    if rest:
        parts = [rest[start:start + WELCOMES_PER_JOB] for start in range(0, len(rest), WELCOMES_PER_JOB)]
        try:
            current_bus().send_many([send_welcomes.job(tenant_id, items=part) for part in parts])
        except Exception as exc:
            log.warning("could not hand on %s welcomes (%s); sending them here", len(rest), exc)
            mine = items
    for kwargs in mine:
        try:
            send_welcome(tenant_id, **kwargs)
        except Exception as exc:
            log.warning("welcome %s failed (%s); retried on its own", kwargs.get("welcome_code"), exc)
            send_welcome.send(tenant_id, **kwargs)
