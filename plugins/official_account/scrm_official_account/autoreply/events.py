"""Keyword rules that forward to customer service (marketing rules D.5): when a fan's text message matches a rule
with ``forward_to_service`` (keyword replies on), the domain event ``official_account.forward_to_service`` is
published for the customer-service plugin, which subscribes to it through its ``domain_event`` hook (no import
between the plugins; nothing happens when no plugin listens).

Payload: ``account_id``, ``appid``, ``openid``, ``msg_id``, ``content``, ``create_time``, ``rule_id``, ``rule_name``,
``source_event_id`` (the text event's id). The text event is delivered at least once: a subscriber dedupes by
``msg_id`` (WeChat's id of the fan's message, unique per account)."""

from __future__ import annotations

from scrm.sdk import publish

from ..events import EVENT_TEXT
from . import service

EVENT_TYPES = frozenset({EVENT_TEXT})


def on_domain_event(event, session) -> None:
    payload = event.payload or {}
    account_id = payload.get("account_id")
    if not account_id:
        return
    decision = service.decide_message(session, event.tenant_id, int(account_id), "text",
                                      str(payload.get("content") or ""))
    if decision.rule is None or not decision.rule.forward:
        return
    publish(session, event.tenant_id, service.FORWARD_EVENT, {
        "account_id": int(account_id), "appid": payload.get("appid"), "openid": payload.get("openid"),
        "msg_id": payload.get("msg_id"), "content": payload.get("content") or "",
        "create_time": payload.get("create_time"), "rule_id": decision.rule.rule_id,
        "rule_name": decision.rule.name, "source_event_id": event.event_id})
