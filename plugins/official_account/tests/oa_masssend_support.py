"""Helpers of the mass-send tests: fans written in bulk (with tags, gender, region, follow time), ledger rows of mass
messages sent earlier this month, and the mass-send form as the page posts it."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from scrm_official_account.fans.models import Fan, OATag
from sqlalchemy import insert

from scrm.sdk import DeliveryStatus, MessageDelivery, month_span, utcnow


def add_fans(db, world, count: int, *, prefix: str = "oFan", tags: list[int] | None = None, sex: int = 0,
             province: str = "", city: str = "", country: str = "中国", subscribed: bool = True,
             followed_days_ago: int = 30, account=None, start: int = 0) -> list[str]:
    """``count`` fans of the world's account (openids ``<prefix>00001`` ...), committed; returns their openids."""
    account = account or world.account
    now = utcnow()
    openids = [f"{prefix}{start + i:05d}" for i in range(1, count + 1)]
    rows: list[dict[str, Any]] = [{
        "tenant_id": world.tenant.id, "account_id": account.id, "openid": openid, "subscribed": subscribed,
        "subscribe_time": now - timedelta(days=followed_days_ago), "subscribe_scene": "ADD_SCENE_SEARCH",
        "qr_scene_str": "", "nickname": f"粉丝{openid[-5:]}", "remark": "", "avatar": "", "sex": sex,
        "language": "zh_CN", "country": country if province else "", "province": province, "city": city,
        "mobile": "", "tagid_list": list(tags or []), "first_visit_at": now, "updated_at": now}
        for openid in openids]
    for start_at in range(0, len(rows), 2000):
        db.execute(insert(Fan.__table__), rows[start_at:start_at + 2000])
    db.commit()
    return openids


def add_tag(db, world, wechat_id: int, name: str, account=None) -> OATag:
    tag = OATag(tenant_id=world.tenant.id, account_id=(account or world.account).id, wechat_id=wechat_id, name=name)
    db.add(tag)
    db.commit()
    return tag


def sent_before(db, world, openid: str, count: int, *, account=None, tenant=None) -> None:
    """``count`` mass messages of this month already on the ledger for ``openid`` (sent by another feature, a
    minute after the month began in the tenant's zone)."""
    from zoneinfo import ZoneInfo

    account = account or world.account
    tenant = tenant or world.tenant
    start = month_span(tz=ZoneInfo(tenant.timezone or "Asia/Shanghai")).start
    for i in range(count):
        db.add(MessageDelivery(tenant_id=tenant.id, channel="official_account", account_id=account.id,
                               recipient=openid, kind="mass", task_ref=f"elsewhere:{openid}:{i}",
                               idempotency_key=f"elsewhere:{openid}:{i}", purpose="mass_send",
                               status=DeliveryStatus.SENT, message={"kind": "text", "payload": {"content": "x"}},
                               created_at=start + timedelta(minutes=1 + i)))
    db.commit()


def form(account, **values) -> dict[str, Any]:
    data: dict[str, Any] = {"account_id": str(account.id), "audience_mode": "all", "msg_type": "text",
                            "text": "会员日全场九折，今晚八点开抢", "send_mode": "immediate"}
    data.update({k: v for k, v in values.items() if v is not None})
    return data


__all__ = ["add_fans", "add_tag", "form", "sent_before"]
