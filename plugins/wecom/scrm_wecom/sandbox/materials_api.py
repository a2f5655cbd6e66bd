"""Sandbox endpoints of the material centre and the employee sidebar: temporary media (``media/upload``), the JS-SDK
tickets (``get_jsapi_ticket``, ``ticket/get?type=agent_config``) and web OAuth (``connect/oauth2/authorize`` then
``auth/getuserinfo``), with WeCom's limits and error codes.

Media: image (JPG/PNG) and video (MP4) at most 10 MB, voice (AMR) 2 MB, file 20 MB, every file more than 5 bytes;
40004 invalid media type, 41005 no media file, 40006 invalid size, 40005 invalid file type. An OAuth code is single
use and valid 5 minutes (40029 otherwise). The authorize page answers 302 to ``redirect_uri`` with ``code`` and
``state`` for the member named by the sandbox-only ``userid`` parameter (the member "signed in to WeCom"), or lists
the corp's members to choose from. The sandbox-only ``visitor`` parameter (an external_userid) stands for a WeChat
user who is not a member: ``auth/getuserinfo`` then answers their ``openid``, and ``external_userid`` only when they
are a customer of one of the corp's members (WeCom's non-member answer).
"""

from __future__ import annotations

import hashlib
import time
from html import escape
from typing import Any
from urllib.parse import urlencode, urlsplit

from flask import Flask, jsonify, redirect, request

from .routing import AGENT, CONTACT, api, require
from .state import Corp, SandboxError, SandboxState, new_id

MEDIA_LIMITS = {"image": 10 * 1024 * 1024, "voice": 2 * 1024 * 1024, "video": 10 * 1024 * 1024,
                "file": 20 * 1024 * 1024}
MEDIA_VALIDITY = 3 * 86400
TICKET_TTL = 7200
OAUTH_CODE_TTL = 300.0


def _file_type_ok(media_type: str, data: bytes) -> bool:
    if media_type == "image":
        return data.startswith(b"\x89PNG\r\n\x1a\n") or data.startswith(b"\xff\xd8\xff")
    if media_type == "video":
        return data[4:8] == b"ftyp"
    if media_type == "voice":
        return data.startswith(b"#!AMR")
    return True


@api("/cgi-bin/media/upload", "POST", CONTACT | AGENT)
def media_upload(state: SandboxState, corp: Corp, body: dict[str, Any]) -> dict[str, Any]:
    media_type = body.get("type") or ""
    if media_type not in MEDIA_LIMITS:
        raise SandboxError(40004, "invalid media type")
    upload = request.files.get("media")
    if upload is None:
        raise SandboxError(41005, "media data missing")
    data = upload.read()
    if len(data) <= 5 or len(data) > MEDIA_LIMITS[media_type]:
        raise SandboxError(40006, "invalid file size")
    if not _file_type_ok(media_type, data):
        raise SandboxError(40005, "invalid file type")
    now = int(time.time())
    media_id = new_id("3sbx_", 24)
    corp.media[media_id] = {"type": media_type, "filename": upload.filename or "", "size": len(data),
                            "sha256": hashlib.sha256(data).hexdigest(), "created_at": now}
    return {"type": media_type, "media_id": media_id, "created_at": str(now)}


def check_media(corp: Corp, media_id: str, media_type: str | None = None) -> None:
    """40007 unless ``media_id`` is a temporary media of the corp, of ``media_type`` when given, and not expired."""
    media = corp.media.get(media_id or "")
    if media is None or time.time() - media["created_at"] > MEDIA_VALIDITY or \
            (media_type is not None and media["type"] != media_type):
        raise SandboxError(40007, "invalid media_id")


def _ticket(state: SandboxState, corp: Corp, kind: str) -> dict[str, Any]:
    now = time.time()
    held = state.jsapi_tickets.get((corp.corp_id, kind))
    if held is None or held["expires_at"] <= now:  # a valid ticket is returned again, as WeCom does
        held = {"ticket": new_id("sbxticket_", 24), "expires_at": now + TICKET_TTL}
        state.jsapi_tickets[(corp.corp_id, kind)] = held
    return {"ticket": held["ticket"], "expires_in": max(0, int(held["expires_at"] - now))}


@api("/cgi-bin/get_jsapi_ticket", "GET", AGENT)
def get_jsapi_ticket(state: SandboxState, corp: Corp, q: dict[str, Any]) -> dict[str, Any]:
    """The corp's jsapi_ticket (``wx.config``)."""
    return _ticket(state, corp, "jsapi")


@api("/cgi-bin/ticket/get", "GET", AGENT)
def ticket_get(state: SandboxState, corp: Corp, q: dict[str, Any]) -> dict[str, Any]:
    """The app's jsapi_ticket (``wx.agentConfig``): ``type=agent_config`` only."""
    if q.get("type") != "agent_config":
        raise SandboxError(40058, "invalid type")
    return _ticket(state, corp, "agent_config")


@api("/cgi-bin/auth/getuserinfo", "GET", AGENT)
def auth_getuserinfo(state: SandboxState, corp: Corp, q: dict[str, Any]) -> dict[str, Any]:
    """A member's ``userid`` for a web OAuth code (single use, 5 minutes)."""
    require(q, "code")
    entry = state.oauth_codes.get(q["code"])
    if entry is None or entry["corp_id"] != corp.corp_id or entry["used"] or \
            time.time() - entry["issued_at"] > OAUTH_CODE_TTL:
        raise SandboxError(40029, "invalid code")
    entry["used"] = True
    if entry.get("visitor"):
        # a non-member (a WeChat user opening the page): openid, and external_userid only for a customer of the corp
        visitor = entry["visitor"]
        found = {"openid": "o" + hashlib.sha1(f"{corp.corp_id}:{visitor}".encode()).hexdigest()[:27]}
        if corp.follows.get(visitor):
            found["external_userid"] = visitor
        return found
    return {"userid": entry["userid"], "user_ticket": new_id("ut_", 16), "expires_in": 1800}


def issue_code(state: SandboxState, corp_id: str, userid: str) -> str:
    corp = state.corp(corp_id)
    if userid not in corp.users:
        raise SandboxError(60111, "userid not found")
    code = new_id("oauth_", 16)
    state.oauth_codes[code] = {"corp_id": corp_id, "userid": userid, "issued_at": time.time(), "used": False}
    return code


def issue_visitor_code(state: SandboxState, corp_id: str, visitor: str) -> str:
    """A code for a WeChat user who is not a member (sandbox-only: ``visitor`` names them by external_userid)."""
    state.corp(corp_id)
    code = new_id("oauth_", 16)
    state.oauth_codes[code] = {"corp_id": corp_id, "userid": "", "visitor": visitor, "issued_at": time.time(),
                               "used": False}
    return code


def register_materials_control(app: Flask, state: SandboxState) -> None:
    """``GET /connect/oauth2/authorize`` (the sign-in WeCom's client performs) and ``POST /sandbox/oauth/code``."""

    @app.get("/connect/oauth2/authorize")
    def oauth_authorize():
        appid, redirect_uri = request.args.get("appid", ""), request.args.get("redirect_uri", "")
        if urlsplit(redirect_uri).scheme not in ("http", "https"):
            return "redirect_uri must be an http(s) URL", 400
        with state.lock:
            try:
                corp = state.corp(appid)
            except SandboxError as exc:
                return escape(exc.errmsg), 400
            userid, visitor = request.args.get("userid"), request.args.get("visitor")
            if visitor and not userid:
                code = issue_visitor_code(state, appid, visitor)
                separator = "&" if "?" in redirect_uri else "?"
                return redirect(redirect_uri + separator + urlencode({"code": code,
                                                                      "state": request.args.get("state", "")}))
            if not userid:
                links = "".join(
                    f'<li><a href="?{escape(urlencode({**request.args, "userid": u}))}">{escape(data.get("name") or u)}'
                    f"</a></li>" for u, data in corp.users.items())
                return f"<!doctype html><meta name=viewport content='width=device-width'><ul>{links}</ul>"
            try:
                code = issue_code(state, appid, userid)
            except SandboxError as exc:
                return escape(exc.errmsg), 400
        separator = "&" if "?" in redirect_uri else "?"
        return redirect(redirect_uri + separator + urlencode({"code": code, "state": request.args.get("state", "")}))

    @app.post("/sandbox/oauth/code")
    def oauth_code():
        data = request.get_json(silent=True) or {}
        with state.lock:
            code = issue_code(state, str(data.get("corp_id") or ""), str(data.get("userid") or ""))
        return jsonify({"ok": True, "code": code})
