"""The fan area's subscriptions to the account's typed events (:mod:`..events`): follows (with the scene of a
parameter QR code), unfollows, scans by followers, and every message or menu event as an interaction. A follow
reads ``user/info`` (for the unionid, One-ID) when the API answers; otherwise the fan is kept with what the event
says and the next sync completes it. Handlers are idempotent: a redelivered event changes nothing more."""

from __future__ import annotations

import logging
from datetime import UTC, datetime
from typing import Any

from scrm.sdk import utcnow

from .. import events as oa
from ..accounts import find_account

log = logging.getLogger(__name__)

INTERACTIONS = {**{t: "message" for t in oa.MESSAGE_TYPES}, oa.EVENT_MENU_CLICK: "click",
                oa.EVENT_MENU_VIEW: "view"}
EVENT_TYPES = frozenset({oa.EVENT_SUBSCRIBED, oa.EVENT_UNSUBSCRIBED, oa.EVENT_SCANNED, *INTERACTIONS})


def _at(payload: dict[str, Any]) -> datetime:
    try:
        return datetime.fromtimestamp(int(payload.get("create_time")), UTC)
    except (TypeError, ValueError, OverflowError, OSError):
        return utcnow()


def _user_info(account, openid: str) -> dict[str, Any] | None:
    from scrm.sdk import current_bus

    from ..client import OAClient, OAUnavailable
    from . import api

    try:
        with OAClient.for_account(account, current_bus().platform, backoff=()) as client:
            return api.user_info(client, openid)
    except (OAUnavailable, Exception) as exc:  # noqa: BLE001  (the follow is kept; the next sync completes it)
        log.warning("user/info for a new follower failed: %s", type(exc).__name__)
        return None


def on_domain_event(event, session) -> None:
    from . import service

    payload = event.payload or {}
    openid = str(payload.get("openid") or "")
    account = find_account(session, event.tenant_id, int(payload.get("account_id") or 0))
    if account is None or not openid:
        return
    at = _at(payload)
    if event.type == oa.EVENT_SUBSCRIBED:
        scene = payload.get("scene")
        info = _user_info(account, openid)
        if info is not None and int(info.get("subscribe") or 0) != 1:
            info = None
        service.on_subscribe(session, account, openid, at, f"qrscene_{scene}" if scene else "", info)
        from ..share import service as share

        share.on_follow(session, account, openid, at)
        if scene:
            share.on_scene(session, account, openid, str(scene), at)
    elif event.type == oa.EVENT_UNSUBSCRIBED:
        service.on_unsubscribe(session, account, openid, at)
    elif event.type == oa.EVENT_SCANNED:
        service.on_scan(session, account, openid, at, str(payload.get("scene") or ""))
        from ..share import service as share

        share.on_scene(session, account, openid, str(payload.get("scene") or ""), at)
    elif event.type in INTERACTIONS:
        detail = str(payload.get("key") or payload.get("url") or payload.get("content") or "")[:60]
        service.on_interaction(session, account, openid, at, INTERACTIONS[event.type], detail)
