"""The sandbox's followers, OA tags and parameter QR codes of one account (what ``fans_api`` serves).

Followers are explicit (added one by one: a test's or the demo's named fans, followed or not) and, for volume, a
generated block of ``generated`` followers whose openid encodes their position, so a million followers cost no
memory: their ``user/info`` is derived from the index (a unionid for four in five, a follow scene, a time).
"""

from __future__ import annotations

import hashlib
import itertools
import time
from dataclasses import dataclass, field
from typing import Any

SCENES = ("ADD_SCENE_SEARCH", "ADD_SCENE_QR_CODE", "ADD_SCENE_PROFILE_CARD", "ADD_SCENE_ACCOUNT_MIGRATION",
          "ADD_SCENE_ARTICLE", "ADD_SCENE_OTHERS")
GEN_PREFIX = "oGEN"
QR_MAX_EXPIRE = 2_592_000
QR_DEFAULT_EXPIRE = 30
QR_MAX_SCENE_ID = 100_000
QR_MAX_SCENE_STR = 64


class FanSandboxError(Exception):
    def __init__(self, errcode: int, errmsg: str) -> None:
        super().__init__(f"{errcode} {errmsg}")
        self.errcode, self.errmsg = errcode, errmsg


@dataclass
class FanDirectory:
    appid: str
    fans: dict[str, dict[str, Any]] = field(default_factory=dict)
    generated: int = 0
    generated_base_time: int = 1_700_000_000
    tags: dict[int, str] = field(default_factory=lambda: {0: "黑名单", 1: "星标组", 2: "其他"})
    tag_members: dict[int, set[str]] = field(default_factory=dict)
    next_tag_id: int = 100
    qrcodes: dict[str, dict[str, Any]] = field(default_factory=dict)
    ticket_seq: itertools.count = field(default_factory=lambda: itertools.count(1))

    # -- followers -------------------------------------------------------------------------------------------------

    @property
    def _key(self) -> str:
        return hashlib.sha1(self.appid.encode()).hexdigest()[:6]

    def generated_openid(self, index: int) -> str:
        return f"{GEN_PREFIX}{self._key}{index:012d}"

    def _generated_index(self, openid: str) -> int | None:
        prefix = f"{GEN_PREFIX}{self._key}"
        if openid.startswith(prefix) and openid[len(prefix):].isdigit():
            index = int(openid[len(prefix):])
            return index if index < self.generated else None
        return None

    def add_fan(self, openid: str, *, unionid: str = "", subscribed: bool = True, subscribe_time: int | None = None,
                scene: str = "ADD_SCENE_SEARCH", qr_scene: int = 0, qr_scene_str: str = "", remark: str = "",
                nickname: str = "", sex: int = 0, city: str = "", province: str = "", country: str = "") -> dict:
        fan = {"subscribe": 1 if subscribed else 0, "openid": openid, "language": "zh_CN",
               "subscribe_time": subscribe_time or int(time.time()), "unionid": unionid, "remark": remark,
               "groupid": 0, "tagid_list": [], "subscribe_scene": scene, "qr_scene": qr_scene,
               "qr_scene_str": qr_scene_str}
        if nickname:  # old accounts' answers still carry these
            fan.update({"nickname": nickname, "sex": sex, "city": city, "province": province, "country": country,
                        "headimgurl": ""})
        if not unionid:
            fan.pop("unionid")
        self.fans[openid] = fan
        return fan

    def set_subscribed(self, openid: str, subscribed: bool, **extra: Any) -> dict:
        fan = self.fans.get(openid) or self.add_fan(openid, subscribed=subscribed)
        fan["subscribe"] = 1 if subscribed else 0
        if subscribed:
            fan["subscribe_time"] = int(time.time())
        fan.update(extra)
        return fan

    def follower_ids(self) -> list[str]:
        return [o for o, f in self.fans.items() if f["subscribe"] == 1]

    def total(self) -> int:
        return len(self.follower_ids()) + self.generated

    def user_list(self, next_openid: str, page: int = 10_000) -> dict[str, Any]:
        explicit = self.follower_ids()
        if not next_openid:
            start = 0
        elif next_openid in explicit:
            start = explicit.index(next_openid) + 1
        else:
            index = self._generated_index(next_openid)
            if index is None:
                raise FanSandboxError(40003, "invalid openid")
            start = len(explicit) + index + 1
        stop = min(start + page, len(explicit) + self.generated)
        ids = [explicit[i] if i < len(explicit) else self.generated_openid(i - len(explicit))
               for i in range(start, stop)]
        answer: dict[str, Any] = {"total": self.total(), "count": len(ids), "next_openid": ids[-1] if ids else ""}
        if ids:
            answer["data"] = {"openid": ids}
        return answer

    def info(self, openid: str) -> dict[str, Any]:
        if openid in self.fans:
            fan = dict(self.fans[openid])
            fan["tagid_list"] = sorted(t for t, members in self.tag_members.items() if openid in members)
            if fan["subscribe"] != 1:
                return {k: fan[k] for k in ("subscribe", "openid", "unionid") if k in fan} | {"tagid_list": []}
            return fan
        index = self._generated_index(openid)
        if index is None:
            raise FanSandboxError(40003, "invalid openid")
        fan = {"subscribe": 1, "openid": openid, "language": "zh_CN",
               "subscribe_time": self.generated_base_time - index * 7, "remark": "", "groupid": 0,
               "tagid_list": sorted(t for t, members in self.tag_members.items() if openid in members),
               "subscribe_scene": SCENES[index % len(SCENES)], "qr_scene": 0, "qr_scene_str": ""}
        if index % 5:
            fan["unionid"] = f"uGEN{self._key}{index:012d}"
        return fan

    # -- tags ------------------------------------------------------------------------------------------------------

    def tag_list(self) -> list[dict[str, Any]]:
        return [{"id": t, "name": n, "count": len(self.tag_members.get(t, ()))} for t, n in sorted(self.tags.items())]

    def _check_name(self, name: str, own: int | None = None) -> None:
        if not name or len(name.encode()) > 30:
            raise FanSandboxError(45158, "tag name too long")
        if any(n == name and t != own for t, n in self.tags.items()):
            raise FanSandboxError(45157, "invalid tag name")

    def create_tag(self, name: str) -> dict[str, Any]:
        self._check_name(name)
        if len([t for t in self.tags if t not in (0, 1, 2)]) >= 100:
            raise FanSandboxError(45056, "too many tags")
        tag_id = self.next_tag_id
        self.next_tag_id += 1
        self.tags[tag_id] = name
        return {"id": tag_id, "name": name}

    def _known(self, tag_id: Any) -> int:
        try:
            tag_id = int(tag_id)
        except (TypeError, ValueError):
            raise FanSandboxError(45159, "invalid tag id") from None
        if tag_id not in self.tags:
            raise FanSandboxError(45159, "invalid tag id")
        return tag_id

    def update_tag(self, tag_id: Any, name: str) -> None:
        tag_id = self._known(tag_id)
        if tag_id in (0, 1, 2):
            raise FanSandboxError(45058, "can't modify sys tag")
        self._check_name(name, tag_id)
        self.tags[tag_id] = name

    def delete_tag(self, tag_id: Any) -> None:
        tag_id = self._known(tag_id)
        if tag_id in (0, 1, 2):
            raise FanSandboxError(45058, "can't modify sys tag")
        if len(self.tag_members.get(tag_id, ())) > 100_000:
            raise FanSandboxError(45057, "can't delete the tag that has too many fans")
        self.tags.pop(tag_id)
        self.tag_members.pop(tag_id, None)

    def tagging(self, tag_id: Any, openids: list[Any], untag: bool) -> None:
        tag_id = self._known(tag_id)
        if not isinstance(openids, list) or not openids or len(openids) > 50:
            raise FanSandboxError(40032, "invalid openid list size")
        for openid in openids:
            self.info(str(openid))  # 40003 for an unknown openid
        members = self.tag_members.setdefault(tag_id, set())
        if untag:
            members.difference_update(str(o) for o in openids)
            return
        for openid in openids:
            if openid not in members and sum(1 for m in self.tag_members.values() if openid in m) >= 20:
                raise FanSandboxError(45059, "fans have too many tags")
            members.add(str(openid))

    # -- parameter QR codes ----------------------------------------------------------------------------------------

    def create_qrcode(self, body: dict[str, Any]) -> dict[str, Any]:
        action = body.get("action_name")
        scene = ((body.get("action_info") or {}).get("scene")) or {}
        if action not in ("QR_SCENE", "QR_STR_SCENE", "QR_LIMIT_SCENE", "QR_LIMIT_STR_SCENE"):
            raise FanSandboxError(40097, "invalid args")
        temporary = action in ("QR_SCENE", "QR_STR_SCENE")
        if action.endswith("STR_SCENE"):
            value = scene.get("scene_str")
            if not isinstance(value, str) or not 1 <= len(value) <= QR_MAX_SCENE_STR:
                raise FanSandboxError(40097, "invalid args")
        else:
            value = scene.get("scene_id")
            if isinstance(value, bool) or not isinstance(value, int) or value < 1 or (
                    not temporary and value > QR_MAX_SCENE_ID) or value > 2**32 - 1:
                raise FanSandboxError(40097, "invalid args")
        expire = None
        if temporary:
            expire = body.get("expire_seconds", QR_DEFAULT_EXPIRE)
            if isinstance(expire, bool) or not isinstance(expire, int) or not 1 <= expire <= QR_MAX_EXPIRE:
                raise FanSandboxError(40097, "invalid args")
        ticket = f"gQ{self._key}{next(self.ticket_seq):08d}"
        url = f"http://weixin.qq.com/q/{ticket}"
        self.qrcodes[ticket] = {"action": action, "scene": value, "expire_seconds": expire, "url": url,
                                "created": int(time.time())}
        answer = {"ticket": ticket, "url": url}
        if expire is not None:
            answer["expire_seconds"] = expire
        return answer
