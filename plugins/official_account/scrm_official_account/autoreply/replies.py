"""The auto replies on the passive-reply dispatcher (:mod:`scrm_official_account.replies`): keyword and default
replies for a fan's messages, the subscribe reply for a follow. Read-only and fast: the compiled matcher of this
process (its revision checked at most once a second), and a material read for non-text replies. Each handler has an
in-memory form: while the matcher is current, a text reply (or no reply) is decided on the callback's own thread
without any I/O; a material reply or a cold matcher goes to the reply thread."""

from __future__ import annotations

from collections.abc import Callable
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
from ..replies import NEEDS_DATABASE, Reply, ReplyContext, reply_handler
from . import service

KEYWORD_ORDER = 50
DEFAULT_ORDER = 90
"""Keyword rules at 50; the default and subscribe replies at 90, after any feature with a more specific answer
(menu clicks 10, scene codes 20: the README's suggested orders) and before the generic handlers (100)."""


def _source(decision: service.Decision) -> str:
    return f"auto_reply:{decision.source}" + (f":{decision.rule.rule_id}" if decision.rule else "")


def as_reply(ctx: ReplyContext, decision: service.Decision) -> Reply | None:
    if decision.reply is None:
        return None
    message = service.resolve(ctx.session, ctx.tenant_id, ctx.account.id, decision.reply)
    if message is None:
        return None
    return reply_of(message, _source(decision))


def in_memory(ctx: ReplyContext, decide: Callable[[service.Compiled], service.Decision]) -> Any:
    """``decide`` on the matcher in memory: no reply, a text reply, or ``NEEDS_DATABASE`` (a cold matcher, or a
    material to read)."""
    compiled = service.compiled_in_memory(ctx.tenant_id, ctx.account.id)
    if compiled is None:
        return NEEDS_DATABASE
    decision = decide(compiled)
    if decision.reply is None:
        return None
    if decision.reply.get("type") != service.TEXT:
        return NEEDS_DATABASE
    return reply_of({"type": service.TEXT, "content": decision.reply.get("text") or ""}, _source(decision))


def keyword_in_memory(ctx: ReplyContext) -> Any:
    content = str(ctx.event.payload.get("content") or "")
    return in_memory(ctx, lambda compiled: service.keyword_decision(compiled, content))


def default_in_memory(ctx: ReplyContext) -> Any:
    return in_memory(ctx, service.default_decision)


def subscribe_in_memory(ctx: ReplyContext) -> Any:
    return in_memory(ctx, service.subscribe_decision)


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


@reply_handler(EVENT_TEXT, order=KEYWORD_ORDER, in_memory=keyword_in_memory)
def keyword_reply(ctx: ReplyContext) -> Reply | None:
    """Spec 4.3 rule 7: the newest matching keyword rule's reply, when keyword replies are on."""
    content = str(ctx.event.payload.get("content") or "")
    return as_reply(ctx, service.decide_keyword(ctx.session, ctx.tenant_id, ctx.account.id, content))


@reply_handler(EVENT_TEXT, EVENT_IMAGE, EVENT_VOICE, EVENT_VIDEO, EVENT_LOCATION, EVENT_LINK, order=DEFAULT_ORDER,
               in_memory=default_in_memory)
def default_reply(ctx: ReplyContext) -> Reply | None:
    """Spec 4.3 rules 7 and 9: a message no keyword rule (nor another feature) answered gets the default reply when
    it is on; non-text messages too."""
    return as_reply(ctx, service.decide_default(ctx.session, ctx.tenant_id, ctx.account.id))


@reply_handler(EVENT_SUBSCRIBED, order=DEFAULT_ORDER, in_memory=subscribe_in_memory)
def subscribe_reply(ctx: ReplyContext) -> Reply | None:
    """Spec 4.3 rule 8: the subscribe reply when it is on (after a scene code's own reply, order 20)."""
    return as_reply(ctx, service.decide_subscribe(ctx.session, ctx.tenant_id, ctx.account.id))
