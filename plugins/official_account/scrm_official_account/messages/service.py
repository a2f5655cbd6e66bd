"""消息管理 rules (spec §3.7, §4.5, acceptance 19–20):

* a conversation is listed, and can be replied to, only while the fan's last **message** is at most
  :data:`WINDOW` (48 hours) old (a fan at 47 h is listed and answered, at 49 h neither); WeChat's own window
  (45015) is the same, so a reply refused here would be refused there;
* replies are text, an image or video material of the account, or an **enabled** quick-reply script; every reply is
  a customer-service message through the channel kit (``scrm.sdk.send_message``), recorded in the history with its
  ledger row (its status comes from the ledger);
* quick-reply scripts: name (≤ 30) and content (≤ 600) required; disabled ones are not offered.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import func, or_
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from scrm.sdk import N_, MessageDelivery, OutboundMessage, send_message, utcnow

from ..events import (
    EVENT_IMAGE,
    EVENT_LINK,
    EVENT_LOCATION,
    EVENT_TEXT,
    EVENT_VIDEO,
    EVENT_VOICE,
    InboundEvent,
)
from .models import ChatMessage, Conversation, QuickReply

WINDOW = timedelta(hours=48)
"""How long after a fan's last message the conversation is listed and can be answered (spec §4.5)."""
PREVIEW = 120
NAME_MAX = 30
CONTENT_MAX = 600
TEXT_MAX = 600
"""A reply's text (WeChat takes 2048 bytes for a customer-service text; 600 characters stay within it)."""
PURPOSE = "oa_message"

MSG_TYPES = {EVENT_TEXT: "text", EVENT_IMAGE: "image", EVENT_VOICE: "voice", EVENT_VIDEO: "video",
             EVENT_LOCATION: "location", EVENT_LINK: "link"}


class ReplyRefused(Exception):
    """A reply that cannot be sent; ``message`` is a message id with ``params``."""

    def __init__(self, code: str, message: str, **params: Any) -> None:
        self.code = code
        self.message = message
        self.params = params
        super().__init__(code)


def _aware(value: datetime) -> datetime:
    from datetime import UTC

    return value.replace(tzinfo=UTC) if value.utcoffset() is None else value


def preview_of(event: InboundEvent) -> str:
    p = event.payload
    if event.type == EVENT_TEXT:
        return str(p.get("content") or "")[:PREVIEW]
    if event.type == EVENT_LINK:
        return str(p.get("title") or p.get("url") or "")[:PREVIEW]
    if event.type == EVENT_LOCATION:
        return str(p.get("label") or "")[:PREVIEW]
    return ""


def _content_of(kind: str, data: dict[str, Any]) -> str:
    if kind == "text":
        return str(data.get("content") or "")
    if kind == "news":
        articles = data.get("articles") or []
        return str(articles[0].get("title") or "") if articles else ""
    return str(data.get("title") or data.get("name") or "")


def record_inbound(session: Session, tenant_id: int, account_id: int, event: InboundEvent, inbound_id: int,
                   reply: Any = None) -> ChatMessage | None:
    """Keep a fan's message (and the passive reply answered with it) in the history and open the 48-hour window.
    Events that are not messages (follows, menu clicks ...) are not chat messages. Idempotent per callback."""
    msg_type = MSG_TYPES.get(event.type)
    if msg_type is None or not event.openid:
        return None
    created = datetime.fromtimestamp(event.create_time, tz=utcnow().tzinfo) if event.create_time else utcnow()
    now = utcnow()
    created = min(created, now)
    data = {k: v for k, v in event.payload.items() if k not in ("openid", "create_time", "content")}
    row = ChatMessage(tenant_id=tenant_id, account_id=account_id, openid=event.openid, direction="in",
                      msg_type=msg_type, content=str(event.payload.get("content") or ""), data=data, source="fan",
                      inbound_id=inbound_id, created_at=created)
    try:
        with session.begin_nested():
            session.add(row)
            session.flush()
    except IntegrityError:
        return None  # already recorded (a re-run of the processing job)
    conversation = session.exec(select(Conversation).where(
        Conversation.tenant_id == tenant_id, Conversation.account_id == account_id,
        Conversation.openid == event.openid).with_for_update()).first()
    if conversation is None:
        conversation = Conversation(tenant_id=tenant_id, account_id=account_id, openid=event.openid,
                                    last_inbound_at=created, last_message_at=created)
    if _aware(conversation.last_inbound_at) <= created:
        conversation.last_inbound_at = created
        conversation.last_preview = preview_of(event) or f"[{msg_type}]"
    conversation.last_message_at = max(_aware(conversation.last_message_at), created)
    session.add(conversation)
    if reply is not None:
        kind, payload = reply.outbound()
        session.add(ChatMessage(tenant_id=tenant_id, account_id=account_id, openid=event.openid, direction="out",
                                msg_type=kind, content=_content_of(kind, payload), data=payload,
                                source=f"passive:{reply.source}"[:80], inbound_id=inbound_id, created_at=created))
    session.flush()
    return row


# -- the 48-hour window --------------------------------------------------------------------------------------------


def window_start(now: datetime | None = None) -> datetime:
    return (now or utcnow()) - WINDOW


def conversation_of(session: Session, tenant_id: int, account_id: int, openid: str) -> Conversation | None:
    return session.exec(select(Conversation).where(
        Conversation.tenant_id == tenant_id, Conversation.account_id == account_id,
        Conversation.openid == openid)).first()


def window_open(conversation: Conversation | None, now: datetime | None = None) -> bool:
    return conversation is not None and _aware(conversation.last_inbound_at) >= window_start(now)


def closes_at(conversation: Conversation) -> datetime:
    return _aware(conversation.last_inbound_at) + WINDOW


@dataclass
class ConversationRow:
    conversation: Conversation
    nickname: str
    avatar: str


def _fans(session: Session, tenant_id: int, account_id: int, openids: list[str]) -> dict[str, Any]:
    """The fans' profiles (the fans area's table) when it is installed."""
    from ..plugin import feature_module

    models = feature_module("fans", "models")
    if models is None or not openids:
        return {}
    fan = models.Fan
    rows = session.exec(select(fan).where(fan.tenant_id == tenant_id, fan.account_id == account_id,
                                          col(fan.openid).in_(openids)))
    return {row.openid: row for row in rows}


def conversations(session: Session, tenant_id: int, account_id: int, *, search: str = "", now: datetime | None = None,
                  limit: int = 50, offset: int = 0) -> tuple[list[ConversationRow], int]:
    """Fans who wrote within the window, the latest first; ``search`` matches the nickname (fans area) or openid."""
    query = select(Conversation).where(Conversation.tenant_id == tenant_id, Conversation.account_id == account_id,
                                       Conversation.last_inbound_at >= window_start(now))
    search = search.strip()
    if search:
        from ..plugin import feature_module

        models = feature_module("fans", "models")
        conditions = [col(Conversation.openid).contains(search)]
        if models is not None:
            fan = models.Fan
            conditions.append(col(Conversation.openid).in_(
                select(fan.openid).where(fan.tenant_id == tenant_id, fan.account_id == account_id,
                                         col(fan.nickname).contains(search))))
        query = query.where(or_(*conditions))
    total = session.exec(select(func.count()).select_from(query.subquery())).one()
    rows = list(session.exec(query.order_by(col(Conversation.last_inbound_at).desc(), col(Conversation.id).desc())
                             .offset(offset).limit(limit)))
    fans = _fans(session, tenant_id, account_id, [r.openid for r in rows])
    return [ConversationRow(r, getattr(fans.get(r.openid), "nickname", "") or "",
                            getattr(fans.get(r.openid), "avatar", "") or "") for r in rows], int(total)


def history(session: Session, tenant_id: int, account_id: int, openid: str, *, search: str = "",
            limit: int = 200) -> list[tuple[ChatMessage, MessageDelivery | None]]:
    """The fan's messages with this account, oldest first (the last ``limit``); ``search`` filters by text."""
    query = select(ChatMessage).where(ChatMessage.tenant_id == tenant_id, ChatMessage.account_id == account_id,
                                      ChatMessage.openid == openid)
    if search.strip():
        query = query.where(col(ChatMessage.content).contains(search.strip()))
    rows = list(session.exec(query.order_by(col(ChatMessage.id).desc()).limit(limit)))[::-1]
    ids = [r.delivery_id for r in rows if r.delivery_id]
    deliveries = {d.id: d for d in session.exec(select(MessageDelivery).where(
        MessageDelivery.tenant_id == tenant_id, col(MessageDelivery.id).in_(ids)))} if ids else {}
    return [(r, deliveries.get(r.delivery_id)) for r in rows]


# -- replies -----------------------------------------------------------------------------------------------------


def send_reply(session: Session, tenant_id: int, account_id: int, openid: str, reply: Any, *,
               user_id: int | None = None, source: str | None = None, idempotency_key: str | None = None,
               purpose: str = PURPOSE, now: datetime | None = None, check_window: bool = True) -> ChatMessage:
    """Send ``reply`` (a :class:`scrm_official_account.replies.Reply`) to the fan as a customer-service message
    through the channel kit and record it; :class:`ReplyRefused` when the window is closed. ``check_window=False``
    is for an automatic answer to the message just received (its conversation may not be recorded yet)."""
    conversation = conversation_of(session, tenant_id, account_id, openid)
    if check_window and not window_open(conversation, now):
        raise ReplyRefused("outside_window", N_("More than 48 hours have passed since this fan's last message: "
                                                 "WeChat only accepts replies within 48 hours."))
    kind, payload = reply.outbound()
    delivery = send_message(session, tenant_id, account=account_id, recipient=openid,
                            message=OutboundMessage(kind, payload), purpose=purpose,
                            idempotency_key=idempotency_key, task_ref=f"oa_conversation:{account_id}:{openid}"[:120])
    row = ChatMessage(tenant_id=tenant_id, account_id=account_id, openid=openid, direction="out", msg_type=kind,
                      content=_content_of(kind, payload), data=payload,
                      source=(source or ("staff" if user_id else purpose))[:80], sent_by_user_id=user_id,
                      delivery_id=delivery.id)
    session.add(row)
    if conversation is not None:
        conversation.last_message_at = utcnow()
        session.add(conversation)
    session.flush()
    return row


# -- quick-reply scripts -------------------------------------------------------------------------------------------


class ScriptError(ValueError):
    def __init__(self, errors: dict[str, str]) -> None:
        self.errors = errors
        super().__init__(", ".join(errors))


def validate_script(name: str, content: str) -> dict[str, str]:
    errors: dict[str, str] = {}
    if not name.strip():
        errors["name"] = N_("Enter a name.")
    elif len(name.strip()) > NAME_MAX:
        errors["name"] = N_("The name is at most 30 characters.")
    if not content.strip():
        errors["content"] = N_("Enter the script's content.")
    elif len(content.strip()) > CONTENT_MAX:
        errors["content"] = N_("The content is at most 600 characters.")
    return errors


def save_script(session: Session, tenant_id: int, *, name: str, content: str, enabled: bool,
                script: QuickReply | None = None) -> QuickReply:
    errors = validate_script(name, content)
    if errors:
        raise ScriptError(errors)
    if script is None:
        script = QuickReply(tenant_id=tenant_id, name=name.strip(), content=content.strip(), enabled=enabled)
    else:
        script.name, script.content, script.enabled, script.updated_at = name.strip(), content.strip(), enabled, \
            utcnow()
    session.add(script)
    session.flush()
    return script


def scripts(session: Session, tenant_id: int, *, enabled_only: bool = False, search: str = "",
            created_from: datetime | None = None, created_to: datetime | None = None) -> list[QuickReply]:
    query = select(QuickReply).where(QuickReply.tenant_id == tenant_id)
    if enabled_only:
        query = query.where(QuickReply.enabled == True)  # noqa: E712
    if search.strip():
        query = query.where(col(QuickReply.name).contains(search.strip()))
    if created_from is not None:
        query = query.where(QuickReply.created_at >= created_from)
    if created_to is not None:
        query = query.where(QuickReply.created_at < created_to)
    return list(session.exec(query.order_by(col(QuickReply.created_at).desc(), col(QuickReply.id).desc())))


def find_script(session: Session, tenant_id: int, script_id: int) -> QuickReply | None:
    return session.exec(select(QuickReply).where(QuickReply.tenant_id == tenant_id,
                                                 QuickReply.id == script_id)).first()
