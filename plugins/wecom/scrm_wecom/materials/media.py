"""Temporary media (``media/upload``) of material files, per WeCom account, cached for their 3-day validity.

WeCom keeps an uploaded temporary file 3 days; a media id is reused until ``REUSE_FOR`` has passed since its upload
(a margin so a task created at the end of the window still finds the file) and while the material's file is the one
uploaded. The upload uses the customer-contact secret, the one ``add_msg_template`` and ``send_welcome_msg`` use.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import httpx
from sqlmodel import Session, select

from scrm.sdk import utcnow
from scrm.sdk.wechat import WeChatAPIError

from ..accounts import SecretKind
from ..client import WeComUnavailable
from .models import MaterialFile, MaterialMedia

VALIDITY = timedelta(days=3)
REUSE_FOR = VALIDITY - timedelta(hours=2)
TOKEN_ERRORS = (40014, 42001, 41001)
MEDIA_TYPES = ("image", "voice", "video", "file")


def _post(client: Any, media_type: str, name: str, data: bytes, mime: str, token: str) -> dict[str, Any]:
    try:
        response = client.http.request("POST", client.base_url + "/cgi-bin/media/upload",
                                       params={"access_token": token, "type": media_type},
                                       files={"media": (name or "media", data, mime)}, timeout=60.0)
    except httpx.HTTPError as exc:
        raise WeComUnavailable(f"media/upload: {type(exc).__name__}") from exc
    try:
        body = response.json()
    except ValueError as exc:
        raise WeComUnavailable(f"media/upload: HTTP {response.status_code}, not JSON") from exc
    errcode = int(body.get("errcode") or 0)
    if errcode:
        raise WeChatAPIError(errcode, str(body.get("errmsg") or ""), response=body)
    return body


def upload_media(client: Any, media_type: str, name: str, data: bytes, mime: str) -> str:
    """``POST /cgi-bin/media/upload?type=`` (multipart field ``media``): the media id; one token refresh on a token
    error, any other error raised as ``WeChatAPIError`` (``WeComUnavailable`` when WeCom cannot be reached)."""
    if media_type not in MEDIA_TYPES:
        raise ValueError(media_type)
    token = client.access_token(SecretKind.CONTACT)
    try:
        return str(_post(client, media_type, name, data, mime, token)["media_id"])
    except WeChatAPIError as exc:
        if exc.errcode not in TOKEN_ERRORS:
            raise
    token = client.renew_token(SecretKind.CONTACT, stale=token)
    return str(_post(client, media_type, name, data, mime, token)["media_id"])


def media_id(session: Session, client: Any, file: MaterialFile, media_type: str) -> str:
    """The media id of ``file`` on the client's account: the cached one while fresh, else a new upload (recorded in
    the caller's transaction)."""
    account_id = client.account_id
    row = session.exec(select(MaterialMedia).where(MaterialMedia.account_id == account_id,
                                                   MaterialMedia.material_id == file.material_id,
                                                   MaterialMedia.role == file.role)).first()
    now = utcnow()
    if row is not None and row.sha256 == file.sha256 and now - row.uploaded_at < REUSE_FOR:
        return row.media_id
    uploaded = upload_media(client, media_type, file.name, file.data, file.mime)
    if row is None:
        row = MaterialMedia(tenant_id=file.tenant_id, account_id=account_id, material_id=file.material_id,
                            role=file.role, sha256=file.sha256, media_id=uploaded, uploaded_at=now)
    row.sha256, row.media_id, row.uploaded_at = file.sha256, uploaded, now
    session.add(row)
    return uploaded
