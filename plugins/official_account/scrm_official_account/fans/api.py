"""The fan, OA tag and parameter QR code endpoints, as plain functions taking an ``OAClient`` (see :mod:`..client`).

Limits (WeChat's documentation; the sandbox answers the same error codes): ``user/get`` gives at most 10,000 openids
a page; ``user/info/batchget`` takes at most 100 users (40032 beyond); an account has at most 100 tags of its own
(45056), a tag name is at most 30 bytes (45158) and unique (45157), WeChat's reserved tags 0, 1, 2 cannot be
changed (45058), a tag with more than 100,000 fans cannot be deleted (45057); ``batchtagging`` takes at most 50
openids (40032), a fan carries at most 20 tags (45059).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

MAX_INFO_BATCH = 100
MAX_TAGGING_BATCH = 50
MAX_TAGS = 100
MAX_TAGS_PER_FAN = 20
MAX_TAG_NAME_BYTES = 30
RESERVED_TAG_IDS = frozenset({0, 1, 2})


class FanAPI:
    """The calls the fan sync needs, bound to one client (what :func:`..sync.execute` takes)."""

    def __init__(self, client: Any, lang: str = "zh_CN") -> None:
        self.client, self.lang = client, lang

    def user_list(self, next_openid: str = "") -> dict[str, Any]:
        params = {"next_openid": next_openid} if next_openid else {}
        return self.client.get("/cgi-bin/user/get", **params)

    def user_infos(self, openids: Sequence[str]) -> list[dict[str, Any]]:
        if len(openids) > MAX_INFO_BATCH:
            raise ValueError("user/info/batchget takes at most 100 users")
        answer = self.client.post("/cgi-bin/user/info/batchget",
                                  {"user_list": [{"openid": o, "lang": self.lang} for o in openids]})
        return list(answer.get("user_info_list") or [])


def user_info(client: Any, openid: str, lang: str = "zh_CN") -> dict[str, Any]:
    return client.get("/cgi-bin/user/info", openid=openid, lang=lang)


def list_tags(client: Any) -> list[dict[str, Any]]:
    return list(client.get("/cgi-bin/tags/get").get("tags") or [])


def create_tag(client: Any, name: str) -> dict[str, Any]:
    return client.post("/cgi-bin/tags/create", {"tag": {"name": name}})["tag"]


def update_tag(client: Any, wechat_id: int, name: str) -> None:
    client.post("/cgi-bin/tags/update", {"tag": {"id": wechat_id, "name": name}})


def delete_tag(client: Any, wechat_id: int) -> None:
    client.post("/cgi-bin/tags/delete", {"tag": {"id": wechat_id}})


def tag_fans(client: Any, wechat_id: int, openids: Sequence[str], *, untag: bool = False) -> None:
    path = "/cgi-bin/tags/members/batchuntagging" if untag else "/cgi-bin/tags/members/batchtagging"
    for start in range(0, len(openids), MAX_TAGGING_BATCH):
        client.post(path, {"openid_list": list(openids[start:start + MAX_TAGGING_BATCH]), "tagid": wechat_id})


def create_qrcode(client: Any, body: dict[str, Any]) -> dict[str, Any]:
    return client.post("/cgi-bin/qrcode/create", body)
