"""Sandbox endpoints of custom menus (protocols.md 3.1): ``menu/create``, ``menu/get``, ``menu/delete``,
``menu/addconditional``, ``menu/delconditional``. State: ``state.area("menus")[appid]`` =
``{"default": {"button": [...]} | None, "conditional": {menuid: {"button", "matchrule"}}}``.

Documented error codes answered here: 40015 invalid button type, 40016 invalid button size (1 to 3 top-level
buttons), 40018 invalid button name size (top-level 16 bytes, sub-button 60 bytes), 40019 invalid button key size
(128 bytes), 40022 invalid sub button level (a sub-button with sub-buttons), 40023 invalid sub button size (1 to 5),
40054 invalid sub button url (not http(s) or over 1024 bytes), 46003 menu not exist (``menu/get``), 47001 data format
error (a field missing), 65301 no conditional menu of that menuid, 65303 no default menu (personalised menus need
one), 65304 empty matchrule, 45159 invalid tag id (a matchrule tag the account does not have).
"""

from __future__ import annotations

import copy
import re
from typing import Any

from .routing import api, require
from .state import SandboxError, SandboxState

TYPES = frozenset({"click", "view", "scancode_push", "scancode_waitmsg", "pic_sysphoto", "pic_photo_or_album",
                   "pic_weixin", "location_select", "media_id", "view_limited", "miniprogram", "article_id",
                   "article_view_limited"})
URL = re.compile(r"^https?://\S+$", re.IGNORECASE)


def menus_of(state: SandboxState, appid: str) -> dict[str, Any]:
    area = state.area("menus")
    if appid not in area:
        area[appid] = {"default": None, "conditional": {}, "seq": 400000000}
    return area[appid]


def _check_item(item: dict[str, Any], top: bool) -> None:
    name = str(item.get("name") or "")
    if not name or len(name.encode("utf-8")) > (16 if top else 60):
        raise SandboxError(40018, "invalid button name size")
    kind = item.get("type")
    if kind not in TYPES:
        raise SandboxError(40015, "invalid button type")
    if kind == "click":
        key = str(item.get("key") or "")
        if not key or len(key.encode("utf-8")) > 128:
            raise SandboxError(40019, "invalid button key size")
    if kind in ("view", "miniprogram"):
        url = str(item.get("url") or "")
        if not url:
            raise SandboxError(47001, "data format error: url missing")
        if not URL.match(url) or len(url.encode("utf-8")) > 1024:
            raise SandboxError(40054, "invalid sub button url domain")
    if kind == "miniprogram" and not (item.get("appid") and item.get("pagepath")):
        raise SandboxError(47001, "data format error: appid and pagepath needed")


def check_buttons(payload: dict[str, Any]) -> list[dict[str, Any]]:
    buttons = payload.get("button")
    if not isinstance(buttons, list) or not 1 <= len(buttons) <= 3:
        raise SandboxError(40016, "invalid button size")
    for button in buttons:
        if not isinstance(button, dict):
            raise SandboxError(47001, "data format error")
        subs = button.get("sub_button")
        if subs:
            name = str(button.get("name") or "")
            if not name or len(name.encode("utf-8")) > 16:
                raise SandboxError(40018, "invalid button name size")
            if not isinstance(subs, list) or len(subs) > 5:
                raise SandboxError(40023, "invalid sub button size")
            for sub in subs:
                if not isinstance(sub, dict):
                    raise SandboxError(47001, "data format error")
                if sub.get("sub_button"):
                    raise SandboxError(40022, "invalid sub button level")
                _check_item(sub, top=False)
        else:
            _check_item(button, top=True)
    return copy.deepcopy(buttons)


@api("/cgi-bin/menu/create")
def create(state: SandboxState, account, payload: dict[str, Any]) -> dict[str, Any]:
    menus = menus_of(state, account.appid)
    menus["default"] = {"button": check_buttons(payload)}
    return {}


@api("/cgi-bin/menu/get", "GET")
def get(state: SandboxState, account, payload: dict[str, Any]) -> dict[str, Any]:
    menus = menus_of(state, account.appid)
    if menus["default"] is None:
        raise SandboxError(46003, "menu no exist")
    answer: dict[str, Any] = {"menu": copy.deepcopy(menus["default"])}
    if menus["conditional"]:
        answer["conditionalmenu"] = [{**copy.deepcopy(menu), "menuid": menuid}
                                     for menuid, menu in menus["conditional"].items()]
    return answer


@api("/cgi-bin/menu/delete", "GET")
def delete(state: SandboxState, account, payload: dict[str, Any]) -> dict[str, Any]:
    menus = menus_of(state, account.appid)
    menus["default"] = None
    menus["conditional"] = {}
    return {}


def _account_tags(state: SandboxState, appid: str) -> set[str] | None:
    fans = state.area("fans").get(appid)
    tags = getattr(fans, "tags", None)
    if tags is None:
        return None
    return {str(tag_id) for tag_id in (tags.keys() if isinstance(tags, dict) else tags)}


@api("/cgi-bin/menu/addconditional")
def add_conditional(state: SandboxState, account, payload: dict[str, Any]) -> dict[str, Any]:
    menus = menus_of(state, account.appid)
    if menus["default"] is None:
        raise SandboxError(65303, "there is no selfmenu, please create selfmenu first")
    buttons = check_buttons(payload)
    rule = payload.get("matchrule")
    if not isinstance(rule, dict) or not any(str(v or "") for v in rule.values()):
        raise SandboxError(65304, "match rule empty")
    tag_id = str(rule.get("tag_id") or "")
    known = _account_tags(state, account.appid)
    if tag_id and known is not None and tag_id not in known:
        raise SandboxError(45159, "invalid tag id")
    if str(rule.get("client_platform_type") or "") not in ("", "1", "2", "3"):
        raise SandboxError(47001, "data format error: client_platform_type")
    menus["seq"] += 1
    menuid = str(menus["seq"])
    menus["conditional"][menuid] = {"button": buttons, "matchrule": copy.deepcopy(rule)}
    return {"menuid": menuid}


@api("/cgi-bin/menu/delconditional")
def del_conditional(state: SandboxState, account, payload: dict[str, Any]) -> dict[str, Any]:
    require(payload, "menuid")
    menus = menus_of(state, account.appid)
    if menus["conditional"].pop(str(payload["menuid"]), None) is None:
        raise SandboxError(65301, "no such conditional menu")
    return {}
