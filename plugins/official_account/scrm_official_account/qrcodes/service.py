"""Parameter QR codes: validation of the scene and lifetime (WeChat's limits), creation through ``qrcode/create``,
scan attribution from follow and scan events, and per-code statistics (scans, new follows, by day) in SQL.

Limits: a temporary code lives 1 to 2,592,000 s (30 days); a permanent code's ``scene_id`` is 1 to 100,000, a
``scene_str`` (temporary or permanent) 1 to 64 characters. The image is drawn locally from the code's URL (with the
brand logo when asked) by the platform's QR helper; ``showqrcode`` is never needed.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session

from scrm.sdk import ChannelAccount, local, utcnow

from ..fans import api
from .models import QrCode, QrScan

MAX_EXPIRE_SECONDS = 2_592_000
MAX_PERMANENT_SCENE_ID = 100_000
MAX_SCENE_STR = 64
MAX_NAME = 60


class QrCodeError(ValueError):
    """``code`` names the rule broken (the view translates it)."""


def validate(name: str, temporary: bool, scene_id: int | None, scene_str: str | None,
             expire_seconds: int | None) -> dict[str, Any]:
    name = (name or "").strip()
    if not name:
        raise QrCodeError("name_required")
    if len(name) > MAX_NAME:
        raise QrCodeError("name_too_long")
    if (scene_id is None) == (not scene_str):
        raise QrCodeError("scene_required")
    if scene_str is not None and scene_str != "":
        if len(scene_str) > MAX_SCENE_STR:
            raise QrCodeError("scene_str_too_long")
    elif scene_id is not None:
        if scene_id < 1 or (not temporary and scene_id > MAX_PERMANENT_SCENE_ID) or scene_id > 2**31 - 1:
            raise QrCodeError("scene_id_out_of_range")
    if temporary:
        if expire_seconds is None or not 1 <= expire_seconds <= MAX_EXPIRE_SECONDS:
            raise QrCodeError("expire_out_of_range")
    return {"name": name, "temporary": temporary, "scene_id": scene_id if not scene_str else None,
            "scene_str": scene_str or None, "expire_seconds": expire_seconds if temporary else None}


def request_body(values: dict[str, Any]) -> dict[str, Any]:
    """The ``qrcode/create`` body of validated ``values``."""
    string = values["scene_str"] is not None
    action = ("QR_STR_SCENE" if string else "QR_SCENE") if values["temporary"] else \
        ("QR_LIMIT_STR_SCENE" if string else "QR_LIMIT_SCENE")
    scene = {"scene_str": values["scene_str"]} if string else {"scene_id": values["scene_id"]}
    body: dict[str, Any] = {"action_name": action, "action_info": {"scene": scene}}
    if values["temporary"]:
        body["expire_seconds"] = values["expire_seconds"]
    return body


def scene_taken(session: Session, account: ChannelAccount, values: dict[str, Any]) -> bool:
    query = select(QrCode.id).where(QrCode.account_id == account.id)
    query = query.where(QrCode.scene_str == values["scene_str"]) if values["scene_str"] else \
        query.where(QrCode.scene_id == values["scene_id"])
    now = utcnow()
    for row in session.execute(query.add_columns(QrCode.expires_at)).all():
        if row.expires_at is None or row.expires_at > now:
            return True
    return False


def create(session: Session, account: ChannelAccount, client: Any, *, created_by: str = "", purpose: str = "general",
           department_id: int | None = None, with_logo: bool = True, **fields: Any) -> QrCode:
    values = validate(fields.get("name", ""), bool(fields.get("temporary")), fields.get("scene_id"),
                      fields.get("scene_str"), fields.get("expire_seconds"))
    if scene_taken(session, account, values):
        raise QrCodeError("scene_taken")
    answer = api.create_qrcode(client, request_body(values))
    now = utcnow()
    code = QrCode(tenant_id=account.tenant_id, account_id=account.id, ticket=str(answer.get("ticket") or "")[:200],
                  url=str(answer.get("url") or "")[:300], with_logo=with_logo, purpose=purpose,
                  department_id=department_id, created_by=created_by[:200], created_at=now,
                  expires_at=now + timedelta(seconds=values["expire_seconds"]) if values["temporary"] else None,
                  **values)
    session.add(code)
    session.flush()
    return code


def find_by_scene(session: Session, account: ChannelAccount, scene: str) -> QrCode | None:
    if not scene:
        return None
    query = select(QrCode).where(QrCode.account_id == account.id)
    clause = QrCode.scene_str == scene
    if scene.isdigit() and len(scene) < 10:
        clause = clause | (QrCode.scene_id == int(scene))
    return session.execute(query.where(clause).order_by(QrCode.id.desc()).limit(1)).scalars().first()


def record_scan(session: Session, account: ChannelAccount, openid: str, scene: str, at: datetime, *,
                new_follow: bool) -> QrCode | None:
    """Count one scan of the code whose scene is ``scene`` (a redelivered event counts once)."""
    code = find_by_scene(session, account, scene)
    if code is None:
        return None
    key = f"{openid}:{int(at.timestamp())}"[:120]
    try:
        with session.begin_nested():
            session.add(QrScan(tenant_id=account.tenant_id, account_id=account.id, qrcode_id=code.id, openid=openid,
                               new_follow=new_follow, dedupe_key=key, scanned_at=at))
    except IntegrityError:
        pass
    return code


def stats(session: Session, code: QrCode) -> dict[str, Any]:
    """Scans, distinct scanners and new follows of ``code``, and the same by day (tenant time zone)."""
    base = select(func.count(), func.count(func.distinct(QrScan.openid)),
                  func.count().filter(QrScan.new_follow.is_(True))).where(
        QrScan.tenant_id == code.tenant_id, QrScan.qrcode_id == code.id)
    scans, scanners, follows = session.execute(base).one()
    days: dict[str, list[int]] = {}
    rows = session.execute(select(QrScan.scanned_at, QrScan.new_follow).where(
        QrScan.tenant_id == code.tenant_id, QrScan.qrcode_id == code.id,
        QrScan.scanned_at >= utcnow() - timedelta(days=30)))
    for scanned_at, new_follow in rows:
        day = local(scanned_at).date().isoformat()
        entry = days.setdefault(day, [0, 0])
        entry[0] += 1
        entry[1] += 1 if new_follow else 0
    return {"scans": scans, "scanners": scanners, "new_follows": follows,
            "by_day": sorted((d, v[0], v[1]) for d, v in days.items())}


def list_codes(session: Session, tenant_id: int, account_id: int | None = None) -> list[tuple[QrCode, int, int]]:
    """The tenant's codes with their scans and new follows (one grouped query)."""
    query = select(QrCode, func.count(QrScan.id), func.count(QrScan.id).filter(QrScan.new_follow.is_(True))) \
        .outerjoin(QrScan, QrScan.qrcode_id == QrCode.id).where(QrCode.tenant_id == tenant_id)
    if account_id:
        query = query.where(QrCode.account_id == account_id)
    return [tuple(r) for r in session.execute(query.group_by(QrCode.id).order_by(QrCode.id.desc()).limit(200))]
