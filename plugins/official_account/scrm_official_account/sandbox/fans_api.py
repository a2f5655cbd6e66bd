"""Sandbox endpoints of followers, OA tags and parameter QR codes (state: :mod:`.fans_state`, one
:class:`~.fans_state.FanDirectory` per account in ``state.area("fans")``).

Documented error codes answered here: 40003 invalid openid (``user/get`` cursor, ``user/info``, tagging), 40032
invalid openid list size (``batchget`` over 100, ``batchtagging`` over 50 or empty), 45056 too many tags (100),
45057 tag with more than 100,000 fans cannot be deleted, 45058 reserved tag (0, 1, 2), 45059 a fan has 20 tags,
45157 duplicate tag name, 45158 tag name over 30 bytes, 45159 invalid tag id, 40097 invalid QR code arguments
(expire_seconds outside 1..2,592,000, scene_id outside 1..100,000 for permanent codes, scene_str not 1..64 chars).
"""

from __future__ import annotations

from typing import Any

from .fans_state import FanDirectory, FanSandboxError
from .routing import api, require
from .state import SandboxError, SandboxState


def directory(state: SandboxState, appid: str) -> FanDirectory:
    """The account's follower directory (created empty on first use). The fans the control API and pushed follow
    events made (``state.accounts[appid].fans``: ``POST /sandbox/fans`` with ``info`` such as ``unionid``,
    ``nickname``, ``subscribe_scene``) are followers here too, with their current follow state."""
    area = state.area("fans")
    if not isinstance(area.get(appid), FanDirectory):  # absent, or a saved state's text (not kept across restarts)
        area[appid] = FanDirectory(appid)
    fans = area[appid]
    account = state.accounts.get(appid)
    for openid, shared in (account.fans.items() if account is not None else ()):
        known = fans.fans.get(openid)
        if known is None:
            info = dict(shared.info or {})
            fans.add_fan(openid, unionid=str(info.pop("unionid", "") or ""), subscribed=shared.subscribed,
                         **{k: v for k, v in info.items() if k in _FAN_KEYS})
        elif (known["subscribe"] == 1) != bool(shared.subscribed):
            fans.set_subscribed(openid, bool(shared.subscribed))
    return fans


_FAN_KEYS = frozenset({"subscribe_time", "scene", "qr_scene", "qr_scene_str", "remark", "nickname", "sex", "city",
                       "province", "country"})


def _run(call):
    try:
        return call()
    except FanSandboxError as exc:
        raise SandboxError(exc.errcode, exc.errmsg) from None


@api("/cgi-bin/user/get", "GET")
def user_get(state: SandboxState, account, payload: dict[str, Any]) -> dict[str, Any]:
    return _run(lambda: directory(state, account.appid).user_list(str(payload.get("next_openid") or "")))


@api("/cgi-bin/user/info", "GET")
def user_info(state: SandboxState, account, payload: dict[str, Any]) -> dict[str, Any]:
    require(payload, "openid")
    return _run(lambda: directory(state, account.appid).info(str(payload["openid"])))


@api("/cgi-bin/user/info/batchget")
def user_batchget(state: SandboxState, account, payload: dict[str, Any]) -> dict[str, Any]:
    users = payload.get("user_list")
    if not isinstance(users, list) or not users or len(users) > 100:
        raise SandboxError(40032, "invalid openid list size")
    fans = directory(state, account.appid)
    return {"user_info_list": [_run(lambda u=u: fans.info(str((u or {}).get("openid") or ""))) for u in users]}


@api("/cgi-bin/tags/get", "GET")
def tags_get(state: SandboxState, account, payload: dict[str, Any]) -> dict[str, Any]:
    return {"tags": directory(state, account.appid).tag_list()}


@api("/cgi-bin/tags/create")
def tags_create(state: SandboxState, account, payload: dict[str, Any]) -> dict[str, Any]:
    tag = payload.get("tag") or {}
    return {"tag": _run(lambda: directory(state, account.appid).create_tag(str(tag.get("name") or "")))}


@api("/cgi-bin/tags/update")
def tags_update(state: SandboxState, account, payload: dict[str, Any]) -> dict[str, Any]:
    tag = payload.get("tag") or {}
    _run(lambda: directory(state, account.appid).update_tag(tag.get("id"), str(tag.get("name") or "")))
    return {}


@api("/cgi-bin/tags/delete")
def tags_delete(state: SandboxState, account, payload: dict[str, Any]) -> dict[str, Any]:
    tag = payload.get("tag") or {}
    _run(lambda: directory(state, account.appid).delete_tag(tag.get("id")))
    return {}


@api("/cgi-bin/tags/members/batchtagging")
def tags_batchtagging(state: SandboxState, account, payload: dict[str, Any]) -> dict[str, Any]:
    _run(lambda: directory(state, account.appid).tagging(payload.get("tagid"), payload.get("openid_list"), False))
    return {}


@api("/cgi-bin/tags/members/batchuntagging")
def tags_batchuntagging(state: SandboxState, account, payload: dict[str, Any]) -> dict[str, Any]:
    _run(lambda: directory(state, account.appid).tagging(payload.get("tagid"), payload.get("openid_list"), True))
    return {}


@api("/cgi-bin/qrcode/create")
def qrcode_create(state: SandboxState, account, payload: dict[str, Any]) -> dict[str, Any]:
    return _run(lambda: directory(state, account.appid).create_qrcode(payload))
