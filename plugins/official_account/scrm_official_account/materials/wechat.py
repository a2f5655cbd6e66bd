"""The WeChat endpoints of materials, as plain functions taking an :class:`~scrm_official_account.client.OAClient`.

* image / voice / video: ``POST /cgi-bin/material/add_material?type=...`` (multipart ``media``, a video also its
  ``description`` JSON ``{"title", "introduction"}``) answers ``{"media_id", "url"}`` (``url`` for images only);
  ``POST /cgi-bin/material/del_material`` ``{"media_id"}``;
* news: WeChat retired ``material/add_news`` / ``update_news`` for new accounts in favour of the draft box, so a
  news material is a draft: ``POST /cgi-bin/draft/add`` ``{"articles": [...]}`` answers ``{"media_id"}``,
  ``POST /cgi-bin/draft/update`` ``{"media_id", "index", "articles": {...}}`` edits one article,
  ``POST /cgi-bin/draft/delete`` ``{"media_id"}``. Each article's ``thumb_media_id`` is the permanent media id of
  its cover image.

Error codes a caller shows (sandbox and WeChat alike): 40004 invalid media type, 40005 invalid file type, 40006
invalid file size, 40007 invalid media_id, 45001 media size out of limit.
"""

from __future__ import annotations

import json
from typing import Any

from scrm.sdk.wechat import WeChatAPIError

MISSING_MEDIA = 40007


def add_material(client: Any, kind: str, file_name: str, data: bytes, content_type: str,
                 description: dict[str, str] | None = None) -> dict[str, Any]:
    form = {"description": json.dumps(description, ensure_ascii=False)} if description is not None else None
    return client.upload("/cgi-bin/material/add_material", {"type": kind},
                         {"media": (file_name, data, content_type)}, form)


def delete_material(client: Any, media_id: str, *, missing_ok: bool = False) -> None:
    try:
        client.post("/cgi-bin/material/del_material", {"media_id": media_id})
    except WeChatAPIError as exc:
        if not (missing_ok and exc.errcode == MISSING_MEDIA):
            raise


def add_news(client: Any, articles: list[dict[str, Any]]) -> str:
    return str(client.post("/cgi-bin/draft/add", {"articles": articles})["media_id"])


def update_news(client: Any, media_id: str, index: int, article: dict[str, Any]) -> None:
    client.post("/cgi-bin/draft/update", {"media_id": media_id, "index": index, "articles": article})


def delete_news(client: Any, media_id: str, *, missing_ok: bool = False) -> None:
    try:
        client.post("/cgi-bin/draft/delete", {"media_id": media_id})
    except WeChatAPIError as exc:
        if not (missing_ok and exc.errcode == MISSING_MEDIA):
            raise
