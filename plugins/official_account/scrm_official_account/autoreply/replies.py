"""The auto replies on the passive-reply dispatcher (:mod:`scrm_official_account.replies`): keyword and default
replies for a fan's messages, the subscribe reply for a follow. Read-only and fast: one indexed read of the
account's reply revision, the compiled matcher of this process, and a material read for non-text replies."""

from __future__ import annotations

from typing import Any

from ..events import (
    EVENT_IMAGE,
    EVENT_LINK,
    EVENT_LOCATION,
    EVENT_SUBSCRIBED,
    EVENT_TEXT,
    EVENT_VIDEO,
    EVENT_VOICE,
)
from ..replies import Reply, ReplyContext, reply_handler
from . import service

KEYWORD_ORDER = 50
DEFAULT_ORDER = 90
"""Keyword rules at 50; the default and subscribe replies at 90, after any feature with a more specific answer
(menu clicks 10, scene codes 20: the README's suggested orders) and before the generic handlers (100)."""


def as_reply(ctx: ReplyContext, decision: service.Decision) -> Reply | None:
    if decision.reply is None:
        return None
    message = service.resolve(ctx.session, ctx.tenant_id, ctx.account.id, decision.reply)
    if message is None:
        return None
    source = f"auto_reply:{decision.source}" + (f":{decision.rule.rule_id}" if decision.rule else "")
    return reply_of(message, source)


def reply_of(message: dict[str, Any], source: str) -> Reply:
    kind = message["type"]
    if kind == service.TEXT:
        return Reply.text(message["content"], source)
    if kind == "news":
        return Reply.news(message["articles"], source)
    if kind == "video":
        return Reply.video(message["media_id"], message.get("title") or "", message.get("description") or "", source)
    if kind == "voice":
        return Reply.voice(message["media_id"], source)
    return Reply.image(message["media_id"], source)


@reply_handler(EVENT_TEXT, order=KEYWORD_ORDER)
def keyword_reply(ctx: ReplyContext) -> Reply | None:
    """Spec 4.3 rule 7: the newest matching keyword rule's reply, when keyword replies are on."""
    content = str(ctx.event.payload.get("content") or "")
    return as_reply(ctx, service.decide_keyword(ctx.session, ctx.tenant_id, ctx.account.id, content))


@reply_handler(EVENT_TEXT, EVENT_IMAGE, EVENT_VOICE, EVENT_VIDEO, EVENT_LOCATION, EVENT_LINK, order=DEFAULT_ORDER)
def default_reply(ctx: ReplyContext) -> Reply | None:
    """Spec 4.3 rules 7 and 9: a message no keyword rule (nor another feature) answered gets the default reply when
    it is on; non-text messages too."""
    return as_reply(ctx, service.decide_default(ctx.session, ctx.tenant_id, ctx.account.id))


@reply_handler(EVENT_SUBSCRIBED, order=DEFAULT_ORDER)
def subscribe_reply(ctx: ReplyContext) -> Reply | None:
    """Spec 4.3 rule 8: the subscribe reply when it is on (after a scene code's own reply, order 20)."""
    return as_reply(ctx, service.decide_subscribe(ctx.session, ctx.tenant_id, ctx.account.id))
