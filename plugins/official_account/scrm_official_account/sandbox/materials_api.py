"""Sandbox endpoints of permanent materials and news drafts, with WeChat's limits and error codes.

* ``POST /cgi-bin/material/add_material?type=image|voice|video|thumb`` multipart ``media`` (+ ``description`` JSON
  for a video): 40004 invalid media type, 41005 media data missing, 40005 invalid file type (by extension),
  40006 / 45001 file size out of limit (image 10 MB, voice 2 MB, video 10 MB, thumb 64 KB), 41004 a video without its
  description title; answers ``{"media_id", "url"}`` (``url`` for images and thumbs);
* ``POST /cgi-bin/material/get_material`` ``{"media_id"}`` and ``/cgi-bin/material/del_material``: 40007 invalid
  media_id;
* ``POST /cgi-bin/draft/add`` ``{"articles": [...]}`` (1 to 8; title, content and a permanent ``thumb_media_id``
  required, 40007 otherwise; 45003 title over 64 characters, 45004 digest over 120, 45002 content of 20,000 or more,
  45005 read-original link over 255 characters, 45008 more than 8 articles), ``/cgi-bin/draft/update``
  ``{"media_id", "index", "articles": {...}}`` (40007 unknown media, 40007 index out of range),
  ``/cgi-bin/draft/get``, ``/cgi-bin/draft/delete``.

State: ``state.area("materials")[appid] = {"media": {media_id: {...}}, "drafts": {media_id: [articles]}}``.
"""

from __future__ import annotations

import json
import secrets
from typing import Any

from flask import request

from .routing import api, require
from .state import Account, SandboxError, SandboxState

LIMITS = {"image": 10 * 1024 * 1024, "voice": 2 * 1024 * 1024, "video": 10 * 1024 * 1024, "thumb": 64 * 1024}
EXTENSIONS = {"image": (".bmp", ".png", ".jpeg", ".jpg", ".gif"), "voice": (".mp3", ".wma", ".wav", ".amr"),
              "video": (".mp4",), "thumb": (".jpg", ".jpeg")}
ARTICLES_MAX = 8


def _store(state: SandboxState, account: Account) -> dict[str, Any]:
    return state.area("materials").setdefault(account.appid, {"media": {}, "drafts": {}})


def _media_id() -> str:
    return "SBXM_" + secrets.token_urlsafe(24)


@api("/cgi-bin/material/add_material")
def add_material(state: SandboxState, account: Account, payload: dict[str, Any]) -> dict[str, Any]:
    kind = request.args.get("type", "")
    if kind not in LIMITS:
        raise SandboxError(40004, "invalid media type")
    upload = request.files.get("media")
    if upload is None:
        raise SandboxError(41005, "media data missing")
    data = upload.read()
    if not data:
        raise SandboxError(41005, "media data missing")
    name = (upload.filename or "").lower()
    if not name.endswith(EXTENSIONS[kind]):
        raise SandboxError(40005, "invalid file type")
    if len(data) > LIMITS[kind]:
        raise SandboxError(45001, "media size out of limit")
    entry: dict[str, Any] = {"type": kind, "name": upload.filename, "size": len(data)}
    if kind == "video":
        try:
            description = json.loads(request.form.get("description") or "{}")
        except ValueError:
            raise SandboxError(47001, "data format error") from None
        if not isinstance(description, dict) or not description.get("title"):
            raise SandboxError(41004, "media description title missing")
        entry["title"], entry["introduction"] = description.get("title"), description.get("introduction", "")
    media_id = _media_id()
    answer: dict[str, Any] = {"media_id": media_id}
    if kind in ("image", "thumb"):
        answer["url"] = entry["url"] = f"http://mmbiz.qpic.cn/sandbox/{media_id}/0"
    _store(state, account)["media"][media_id] = entry
    return answer


@api("/cgi-bin/material/get_material")
def get_material(state: SandboxState, account: Account, payload: dict[str, Any]) -> dict[str, Any]:
    require(payload, "media_id")
    store = _store(state, account)
    media_id = str(payload["media_id"])
    if media_id in store["drafts"]:
        return {"news_item": store["drafts"][media_id]}
    entry = store["media"].get(media_id)
    if entry is None:
        raise SandboxError(40007, "invalid media_id")
    return {k: v for k, v in entry.items() if k in ("title", "introduction", "url", "name", "type")}


@api("/cgi-bin/material/del_material")
def del_material(state: SandboxState, account: Account, payload: dict[str, Any]) -> dict[str, Any]:
    require(payload, "media_id")
    if _store(state, account)["media"].pop(str(payload["media_id"]), None) is None:
        raise SandboxError(40007, "invalid media_id")
    return {}


def _check_article(store: dict[str, Any], article: Any) -> dict[str, Any]:
    if not isinstance(article, dict):
        raise SandboxError(47001, "data format error")
    require(article, "title", "content", "thumb_media_id")
    if str(article["thumb_media_id"]) not in store["media"]:
        raise SandboxError(40007, "invalid media_id")
    if len(str(article["title"])) > 64:
        raise SandboxError(45003, "title size out of limit")
    if len(str(article.get("digest") or "")) > 120:
        raise SandboxError(45004, "description size out of limit")
    if len(str(article["content"])) >= 20_000:
        raise SandboxError(45002, "content size out of limit")
    if len(str(article.get("content_source_url") or "")) > 255:
        raise SandboxError(45005, "url size out of limit")
    return dict(article)


@api("/cgi-bin/draft/add")
def add_draft(state: SandboxState, account: Account, payload: dict[str, Any]) -> dict[str, Any]:
    require(payload, "articles")
    articles = payload["articles"]
    if not isinstance(articles, list) or len(articles) > ARTICLES_MAX:
        raise SandboxError(45008, "article size out of limit")
    store = _store(state, account)
    checked = [_check_article(store, a) for a in articles]
    media_id = _media_id()
    store["drafts"][media_id] = checked
    return {"media_id": media_id}


@api("/cgi-bin/draft/update")
def update_draft(state: SandboxState, account: Account, payload: dict[str, Any]) -> dict[str, Any]:
    require(payload, "media_id", "articles")
    store = _store(state, account)
    draft = store["drafts"].get(str(payload["media_id"]))
    index = payload.get("index")
    if draft is None or not isinstance(index, int) or not 0 <= index < len(draft):
        raise SandboxError(40007, "invalid media_id")
    draft[index] = _check_article(store, payload["articles"])
    return {}


@api("/cgi-bin/draft/get")
def get_draft(state: SandboxState, account: Account, payload: dict[str, Any]) -> dict[str, Any]:
    require(payload, "media_id")
    draft = _store(state, account)["drafts"].get(str(payload["media_id"]))
    if draft is None:
        raise SandboxError(40007, "invalid media_id")
    return {"news_item": draft}


@api("/cgi-bin/draft/delete")
def delete_draft(state: SandboxState, account: Account, payload: dict[str, Any]) -> dict[str, Any]:
    require(payload, "media_id")
    if _store(state, account)["drafts"].pop(str(payload["media_id"]), None) is None:
        raise SandboxError(40007, "invalid media_id")
    return {}
