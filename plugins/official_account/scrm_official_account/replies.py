"""The passive-reply dispatcher: features answer an inbound message or event, the first answer wins.

A feature registers handlers in its ``scrm_official_account/<feature>/replies.py`` (found through the plugin's
``features``; or anywhere with :func:`reply_handler`, imported before the first callback)::

    from scrm_official_account.events import EVENT_TEXT
    from scrm_official_account.replies import Reply, ReplyContext, reply_handler

    @reply_handler(EVENT_TEXT, order=50)          # lower order runs first; the first non-None reply wins
    def keyword_reply(ctx: ReplyContext) -> Reply | None:
        rule = match(ctx.session, ctx.account.id, ctx.event.payload["content"])
        return Reply.text(rule.content) if rule else None

A handler runs inside the callback request, in a worker thread with its own read-only database session
(``ctx.session``), and must only compute: no writes, no API calls (record what happened from the domain event the
processing job publishes). The callback waits for the handlers at most :data:`REPLY_BUDGET` seconds in total
(WeChat gives up after 5 s):

* a reply computed in time is answered **passively** (encrypted in safe and compatible mode) and recorded with the
  inbound message (the processing job publishes ``EVENT_PASSIVE_REPLIED``);
* otherwise the callback answers ``success`` and, when the late handler does return a reply, it is sent as a
  **customer-service message** through the channel kit (``scrm.sdk.send_message``, purpose ``auto_reply``).

A handler that raises is logged and skipped (the next one is asked).

Handlers run on every inbound message: read what changes rarely from a cache (the auto-reply rules keep a compiled
matcher per account, checked against a revision in the platform cache) instead of asking the database each time.
A handler whose answer is usually in such a cache also registers an **in-memory form**
(``reply_handler(..., in_memory=fn)``): ``fn(ctx)`` gets a context without a session, does no I/O at all, and
returns the reply, None (no reply from this handler), or :data:`NEEDS_DATABASE` (the cache is cold or the reply
reads a material). The callback asks the in-memory forms on its own thread first, in order; only when a handler
without one (or one that answered ``NEEDS_DATABASE``) is reached before a reply does it hand the remaining
handlers to a reply thread under the budget. A keyword rule's text reply thus costs no thread hop and no round
trip.
"""

from __future__ import annotations

import importlib
import importlib.util
import logging
import threading
import time
from collections.abc import Callable, Iterable, Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any

from scrm.sdk.wechat import build_xml

from .events import InboundEvent

log = logging.getLogger(__name__)

REPLY_BUDGET = 3.0
"""Seconds the callback waits for the reply handlers before answering ``success`` (WeChat's limit is 5 s; the rest
is left for verification, storage and the network)."""


@dataclass(frozen=True)
class Reply:
    """A reply to a fan: ``kind`` is a WeChat reply MsgType (text, image, voice, video, news, music,
    transfer_customer_service) and ``data`` its fields in snake_case."""

    kind: str
    data: Mapping[str, Any] = field(default_factory=dict)
    #: who made it ("auto_reply:keyword:12", "menu:click:KEY" ...): kept with the message in 消息管理
    source: str = ""

    @classmethod
    def text(cls, content: str, source: str = "") -> Reply:
        return cls("text", {"content": content}, source)

    @classmethod
    def image(cls, media_id: str, source: str = "") -> Reply:
        return cls("image", {"media_id": media_id}, source)

    @classmethod
    def voice(cls, media_id: str, source: str = "") -> Reply:
        return cls("voice", {"media_id": media_id}, source)

    @classmethod
    def video(cls, media_id: str, title: str = "", description: str = "", source: str = "") -> Reply:
        return cls("video", {"media_id": media_id, "title": title, "description": description}, source)

    @classmethod
    def news(cls, articles: Iterable[Mapping[str, str]], source: str = "") -> Reply:
        """``articles``: up to 8 (WeChat shows 1) of ``{"title", "description", "picurl", "url"}``."""
        return cls("news", {"articles": [dict(a) for a in list(articles)[:8]]}, source)

    @classmethod
    def transfer_to_customer_service(cls, source: str = "") -> Reply:
        """Hand the message to the official account's own customer-service tool (protocols.md §7.5)."""
        return cls("transfer_customer_service", {}, source)

    # -- wire forms --------------------------------------------------------------------------------------------------

    def body(self) -> dict[str, Any]:
        """The reply's own XML elements (after ToUserName, FromUserName, CreateTime, MsgType)."""
        d = self.data
        if self.kind == "text":
            return {"Content": str(d.get("content") or "")}
        if self.kind in ("image", "voice"):
            return {self.kind.capitalize(): {"MediaId": str(d.get("media_id") or "")}}
        if self.kind == "video":
            return {"Video": {"MediaId": str(d.get("media_id") or ""), "Title": str(d.get("title") or ""),
                              "Description": str(d.get("description") or "")}}
        if self.kind == "news":
            articles = list(d.get("articles") or [])
            return {"ArticleCount": len(articles),
                    "Articles": {"item": [{"Title": a.get("title", ""), "Description": a.get("description", ""),
                                           "PicUrl": a.get("picurl", ""), "Url": a.get("url", "")}
                                          for a in articles]}}
        return {}

    def to_xml(self, openid: str, original_id: str, create_time: int | None = None) -> str:
        """The plaintext passive reply (ToUserName the fan, FromUserName the account's original id)."""
        data: dict[str, Any] = {"ToUserName": openid, "FromUserName": original_id,
                                "CreateTime": int(create_time if create_time is not None else time.time()),
                                "MsgType": self.kind, **self.body()}
        return build_xml(data)

    def outbound(self) -> tuple[str, dict[str, Any]]:
        """``(kind, payload)`` of the same reply as a customer-service message (``OutboundMessage``)."""
        if self.kind == "news":
            return "news", {"articles": list(self.data.get("articles") or [])}
        return self.kind, dict(self.data)

    def to_json(self) -> dict[str, Any]:
        return {"kind": self.kind, "data": dict(self.data), "source": self.source}

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> Reply:
        return cls(str(data.get("kind") or "text"), dict(data.get("data") or {}), str(data.get("source") or ""))


@dataclass
class ReplyContext:
    """What a handler gets: the tenant, the account (a detached snapshot), the typed event and a read-only session."""

    tenant_id: int
    account: Any
    event: InboundEvent
    session: Any


Handler = Callable[[ReplyContext], "Reply | None"]


NEEDS_DATABASE: Any = type("NeedsDatabase", (), {"__repr__": lambda self: "NEEDS_DATABASE"})()
"""What an in-memory form returns when it cannot answer without the database (see the module docstring)."""


@dataclass(order=True)
class _Registered:
    order: int
    seq: int
    handler: Handler = field(compare=False)
    in_memory: Handler | None = field(default=None, compare=False)


_HANDLERS: dict[str, list[_Registered]] = {}
_seq = 0
_loaded = False
_load_lock = threading.Lock()


def reply_handler(*event_types: str, order: int = 100, in_memory: Handler | None = None
                  ) -> Callable[[Handler], Handler]:
    """Register ``handler`` for the given event types (``scrm_official_account.events.EVENT_*``); ``in_memory``
    is its optional form that answers without I/O or says :data:`NEEDS_DATABASE` (see the module docstring)."""

    def register(handler: Handler) -> Handler:
        global _seq
        for event_type in event_types:
            handlers = _HANDLERS.setdefault(event_type, [])
            if all(r.handler is not handler for r in handlers):
                _seq += 1
                handlers.append(_Registered(order, _seq, handler, in_memory))
                handlers.sort()
        return handler

    return register


def unregister(handler: Handler) -> None:
    for handlers in _HANDLERS.values():
        handlers[:] = [r for r in handlers if r.handler is not handler]


def load_feature_handlers(features: Iterable[str] | None = None) -> None:
    """Import ``scrm_official_account.<feature>.replies`` for every feature area (once per process)."""
    global _loaded
    if _loaded:
        return
    with _load_lock:
        if _loaded:
            return
        if features is None:
            from .plugin import OfficialAccountPlugin

            features = OfficialAccountPlugin.features
        for feature in features:
            name = f"scrm_official_account.{feature}.replies"
            try:
                found = importlib.util.find_spec(name) is not None
            except ModuleNotFoundError:
                found = False
            if found:
                importlib.import_module(name)
        _loaded = True


def handlers_for(event_type: str) -> list[Handler]:
    load_feature_handlers()
    return [r.handler for r in _HANDLERS.get(event_type, ())]


def reply_from_memory(ctx: ReplyContext) -> tuple[Reply | None, int | None]:
    """Ask the in-memory forms of ``ctx.event.type``'s handlers in order, on the calling thread (``ctx.session``
    is not used). Returns ``(reply, None)`` when that decided (a reply, or None when every handler answered None),
    else ``(None, index)``: the handlers from ``index`` on are still to be asked through :func:`compute_reply`."""
    load_feature_handlers()
    for index, registered in enumerate(tuple(_HANDLERS.get(ctx.event.type, ()))):
        if registered.in_memory is None:
            return None, index
        try:
            reply = registered.in_memory(ctx)
        except Exception:
            log.exception("official account reply handler %s failed",
                          getattr(registered.handler, "__name__", registered.handler))
            continue
        if reply is NEEDS_DATABASE:
            return None, index
        if reply is not None:
            return reply, None
    return None, None


def compute_reply(ctx: ReplyContext, start: int = 0) -> Reply | None:
    """Ask the handlers of ``ctx.event.type`` in order (from the ``start``-th); the first reply wins (a handler that
    raises is skipped)."""
    for handler in handlers_for(ctx.event.type)[start:]:
        try:
            reply = handler(ctx)
        except Exception:
            log.exception("official account reply handler %s failed", getattr(handler, "__name__", handler))
            continue
        if reply is not None:
            return reply
    return None


_executor: tuple[int, ThreadPoolExecutor] | None = None
_executor_lock = threading.Lock()


def executor() -> ThreadPoolExecutor:
    """The process's pool of reply threads (a forked gunicorn worker makes its own)."""
    import os

    global _executor
    current = _executor
    if current is not None and current[0] == os.getpid():
        return current[1]
    with _executor_lock:
        if _executor is None or _executor[0] != os.getpid():
            _executor = (os.getpid(), ThreadPoolExecutor(max_workers=32, thread_name_prefix="oa-reply"))
        return _executor[1]
