"""Moments images and videos: WeCom's ``media/upload_attachment`` (``attachment_type=1``, Moments), the only media
``add_moment_task`` accepts (temporary media of ``media/upload`` are refused), uploaded from the material centre's
files when the task is handed to WeCom."""

from __future__ import annotations

from typing import Any

import httpx

from scrm.sdk.wechat import WeChatAPIError

from ..accounts import SecretKind
from ..client import WeComUnavailable

PATH = "/cgi-bin/media/upload_attachment"
MOMENTS = 1  # attachment_type: 1 Moments, 2 product album
TOKEN_ERRORS = (40014, 42001, 41001)


def _post(client: Any, media_type: str, name: str, data: bytes, mime: str, token: str) -> dict[str, Any]:
    try:
        response = client.http.request("POST", client.base_url + PATH,
                                       params={"access_token": token, "media_type": media_type,
                                               "attachment_type": MOMENTS},
                                       files={"media": (name or "media", data, mime)}, timeout=60.0)
    except httpx.HTTPError as exc:
        raise WeComUnavailable(f"media/upload_attachment: {type(exc).__name__}") from exc
    try:
        body = response.json()
    except ValueError as exc:
        raise WeComUnavailable(f"media/upload_attachment: HTTP {response.status_code}, not JSON") from exc
    if int(body.get("errcode") or 0):
        raise WeChatAPIError(int(body["errcode"]), str(body.get("errmsg") or ""), response=body)
    return body


def upload_attachment(client: Any, media_type: str, name: str, data: bytes, mime: str) -> str:
    """Upload one Moments image or video; its ``media_id`` (one token refresh on a token error)."""
    token = client.access_token(SecretKind.CONTACT)
    try:
        return str(_post(client, media_type, name, data, mime, token)["media_id"])
    except WeChatAPIError as exc:
        if exc.errcode not in TOKEN_ERRORS:
            raise
    token = client.renew_token(SecretKind.CONTACT, stale=token)
    return str(_post(client, media_type, name, data, mime, token)["media_id"])
