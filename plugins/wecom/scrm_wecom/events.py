"""Turning a stored WeCom callback into typed domain events.

The registry maps ``(Event, ChangeType)`` to handlers; each handler receives a :class:`CallbackContext` and the parsed
plaintext message and publishes domain events through ``ctx.publish``. Later modules extend it with
``@on(event, change_type)`` (handlers of one key run in registration order, all in the processing transaction).

Domain events (``wecom.<type>``) carry ``account_id``, ``corp_id``, ``inbound_id``, ``change_type``, ``create_time``
(the callback's epoch seconds) and the message fields in snake case (``userid``, ``external_userid``, ``state``,
``welcome_code``, ``chat_id``, ``tag_id``, ...).
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from sqlmodel import Session

from scrm.sdk import ChannelAccount, publish

CHANGE_EXTERNAL_CONTACT = "change_external_contact"
CHANGE_EXTERNAL_CHAT = "change_external_chat"
CHANGE_EXTERNAL_TAG = "change_external_tag"
CHANGE_CONTACT = "change_contact"

DOMAIN_EVENTS: dict[tuple[str, str], str] = {
    (CHANGE_EXTERNAL_CONTACT, "add_external_contact"): "wecom.friend_added",
    (CHANGE_EXTERNAL_CONTACT, "add_half_external_contact"): "wecom.friend_half_added",
    (CHANGE_EXTERNAL_CONTACT, "edit_external_contact"): "wecom.friend_edited",
    (CHANGE_EXTERNAL_CONTACT, "del_external_contact"): "wecom.friend_deleted",
    (CHANGE_EXTERNAL_CONTACT, "del_follow_user"): "wecom.friend_deleted_by_customer",
    (CHANGE_EXTERNAL_CONTACT, "transfer_fail"): "wecom.transfer_failed",
    (CHANGE_EXTERNAL_CHAT, "create"): "wecom.group_chat_created",
    (CHANGE_EXTERNAL_CHAT, "update"): "wecom.group_chat_updated",
    (CHANGE_EXTERNAL_CHAT, "dismiss"): "wecom.group_chat_dismissed",
    (CHANGE_EXTERNAL_TAG, "create"): "wecom.corp_tag_created",
    (CHANGE_EXTERNAL_TAG, "update"): "wecom.corp_tag_updated",
    (CHANGE_EXTERNAL_TAG, "delete"): "wecom.corp_tag_deleted",
    (CHANGE_EXTERNAL_TAG, "shuffle"): "wecom.corp_tag_shuffled",
    (CHANGE_CONTACT, "create_user"): "wecom.employee_created",
    (CHANGE_CONTACT, "update_user"): "wecom.employee_updated",
    (CHANGE_CONTACT, "delete_user"): "wecom.employee_deleted",
    (CHANGE_CONTACT, "create_party"): "wecom.department_created",
    (CHANGE_CONTACT, "update_party"): "wecom.department_updated",
    (CHANGE_CONTACT, "delete_party"): "wecom.department_deleted",
}
"""The domain event each known (Event, ChangeType) publishes."""

ENVELOPE_FIELDS = frozenset({"ToUserName", "FromUserName", "CreateTime", "MsgType", "Event", "ChangeType", "AgentID"})
FIELD_NAMES = {
    "UserID": "userid", "ExternalUserID": "external_userid", "NewUserID": "new_userid", "ChatId": "chat_id",
    "MemChangeList": "member_userids", "StrategyId": "strategy_id", "ParentId": "parent_id",
    "IsLeaderInDept": "is_leader_in_dept", "MainDepartment": "main_department",
}
INT_FIELDS = frozenset({"JoinScene", "QuitScene", "MemChangeCnt", "Gender", "Status", "Order", "ParentId",
                        "MainDepartment"})
DEDUPE_FIELDS = ("ToUserName", "FromUserName", "CreateTime", "Event", "ChangeType", "UserID", "ExternalUserID",
                 "NewUserID", "ChatId", "Id", "TagType", "StrategyId", "UpdateDetail", "CurMemVer")


@dataclass
class CallbackContext:
    """What a handler gets: the session of the processing transaction, the account and the published event ids."""

    session: Session
    tenant_id: int
    account: ChannelAccount
    inbound_id: int
    published: list[str] = field(default_factory=list)

    def publish(self, type: str, payload: Mapping[str, Any]) -> str:
        """Publish a domain event of this tenant in the processing transaction."""
        event_id = publish(self.session, self.tenant_id, type, dict(payload))
        self.published.append(event_id)
        return event_id


Handler = Callable[[CallbackContext, dict[str, Any]], None]
HANDLERS: dict[tuple[str, str], list[Handler]] = {}


def on(event: str, change_type: str) -> Callable[[Handler], Handler]:
    """Register a handler for ``(Event, ChangeType)`` (e.g. ``on("change_external_contact", "add_external_contact")``)."""

    def register(handler: Handler) -> Handler:
        handlers = HANDLERS.setdefault((event, change_type), [])
        if handler not in handlers:
            handlers.append(handler)
        return handler

    return register


def _snake(name: str) -> str:
    if name in FIELD_NAMES:
        return FIELD_NAMES[name]
    return re.sub(r"(?<=[a-z0-9])(?=[A-Z])", "_", name).lower()


def _value(name: str, value: Any) -> Any:
    if name == "MemChangeList":
        items = value.get("Item", []) if isinstance(value, dict) else []
        return items if isinstance(items, list) else [items]
    if name == "Department" and isinstance(value, str):
        return [int(part) for part in value.split(",") if part.strip().lstrip("-").isdigit()]
    if name in INT_FIELDS and isinstance(value, str) and value.strip().lstrip("-").isdigit():
        return int(value)
    return value


def event_payload(ctx: CallbackContext, message: Mapping[str, Any]) -> dict[str, Any]:
    """The domain-event payload of a callback message (see the module docstring)."""
    created = str(message.get("CreateTime") or "")
    payload: dict[str, Any] = {
        "account_id": ctx.account.id, "corp_id": ctx.account.external_id, "inbound_id": ctx.inbound_id,
        "change_type": message.get("ChangeType", ""), "create_time": int(created) if created.isdigit() else None,
    }
    for name, value in message.items():
        if name in ENVELOPE_FIELDS:
            continue
        key = _snake(name)
        if name == "Id":
            key = "tag_id" if message.get("Event") == CHANGE_EXTERNAL_TAG else "id"
        payload[key] = _value(name, value)
    return payload


def _publish_domain_event(ctx: CallbackContext, message: dict[str, Any]) -> None:
    type = DOMAIN_EVENTS[(str(message.get("Event")), str(message.get("ChangeType")))]
    ctx.publish(type, event_payload(ctx, message))


for _key in DOMAIN_EVENTS:
    on(*_key)(_publish_domain_event)


def handlers_for(message: Mapping[str, Any]) -> list[Handler]:
    """The handlers of a message: none for plain messages and unknown events (they are stored, nothing more)."""
    if message.get("MsgType") != "event":
        return []
    return list(HANDLERS.get((str(message.get("Event") or ""), str(message.get("ChangeType") or "")), []))


def dispatch(ctx: CallbackContext, message: dict[str, Any]) -> list[str]:
    """Run the registered handlers of ``message``; returns the ids of the events they published."""
    for handler in handlers_for(message):
        handler(ctx, message)
    return ctx.published


def dedupe_key(message: Mapping[str, Any], plaintext: str) -> str:
    """The key that makes WeCom's retries harmless: ``msg:<MsgId>`` for messages, for events a hash of
    ToUserName, FromUserName, CreateTime, Event, ChangeType and the ids the event carries (WeChat's advice)."""
    msg_id = message.get("MsgId")
    if message.get("MsgType") != "event" and isinstance(msg_id, str) and msg_id.strip():
        return f"msg:{msg_id.strip()[:120]}"
    if message.get("MsgType") == "event":
        parts = [f"{name}={message.get(name, '')}" for name in DEDUPE_FIELDS]
        return "event:" + hashlib.sha256("\x1f".join(parts).encode("utf-8")).hexdigest()
    return "body:" + hashlib.sha256(plaintext.encode("utf-8")).hexdigest()
