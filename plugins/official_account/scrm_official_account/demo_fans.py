"""Demo: fans of the brand's two accounts, the stores sharing the stores account, parameter QR codes with two weeks
of scans, and a share-for-gift campaign with sharers, helps and rewards.

The fans are added in the sandbox (``POST /sandbox/fans`` with their unionid, nickname, follow source) and read by a
real fan sync of each account (``user/get`` + ``user/info/batchget``), so One-ID links the fans whose unionid a demo
customer already holds. Scans and helps of the past are written directly (the services stamp "now"). Idempotent:
nothing is added when the brand already has fans.
"""

from __future__ import annotations

import random
from datetime import timedelta
from typing import Any

import httpx
from sqlalchemy import select
from sqlmodel import Session

from scrm.sdk import CustomerIdentity, Department, IdentityKind, utcnow

SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗"
GIVEN = ("芳", "静", "丽", "敏", "婷", "雪", "晨", "宇", "浩", "杰", "欣怡", "子涵", "梓萱", "思远", "一诺", "雨桐")
CITIES = (("上海", "上海"), ("浙江", "杭州"), ("江苏", "苏州"), ("江苏", "南京"))
SCENES = ("ADD_SCENE_SEARCH", "ADD_SCENE_QR_CODE", "ADD_SCENE_PROFILE_CARD", "ADD_SCENE_ARTICLE")


def _fans(rng: random.Random, prefix: str, count: int, unionids: list[str]) -> list[dict[str, Any]]:
    rows = []
    for n in range(count):
        province, city = rng.choice(CITIES)
        unionid = unionids[n] if n < len(unionids) else (f"uDemo{prefix}{n:04d}" if n % 4 else "")
        rows.append({"openid": f"oDemo{prefix}{n:04d}", "info": {
            "unionid": unionid, "nickname": rng.choice(SURNAMES) + rng.choice(GIVEN), "sex": rng.choice((0, 1, 2, 2)),
            "province": province, "city": city, "country": "中国", "scene": rng.choice(SCENES),
            "subscribe_time": int((utcnow() - timedelta(days=rng.randint(1, 180))).timestamp())}})
    return rows


def _public_url(ctx: Any) -> str:
    settings = getattr(ctx.platform, "settings", None)
    return getattr(settings, "public_url", None) or "http://127.0.0.1:5000"


def seed(tenant: Any, session: Session, demo: Any, ctx: Any) -> None:
    from .fans import jobs
    from .fans.models import Fan, FanSyncRun

    brand, stores = ctx.accounts.get("brand"), ctx.accounts.get("stores")
    if brand is None or stores is None:
        return
    if session.execute(select(Fan.id).where(Fan.tenant_id == tenant.id).limit(1)).first() is not None:
        return
    rng = random.Random(14)
    known = [v for (v,) in session.execute(select(CustomerIdentity.value).where(
        CustomerIdentity.tenant_id == tenant.id, CustomerIdentity.kind == IdentityKind.UNIONID)
        .order_by(CustomerIdentity.id).limit(12))]
    with httpx.Client(base_url=ctx.sandbox_url, timeout=30.0) as sandbox:
        for account, prefix, count, unionids in ((brand, "B", 80, known[:8]), (stores, "S", 40, known[8:])):
            for fan in _fans(rng, prefix, count, unionids):
                sandbox.post("/sandbox/fans", json={"appid": account.external_id, "openids": [fan["openid"]],
                                                    "subscribed": True, "info": fan["info"]}).raise_for_status()
    for account in (brand, stores):
        run = FanSyncRun(tenant_id=tenant.id, account_id=account.id, requested_by="demo")
        session.add(run)
        session.commit()
        jobs.run_now(session, ctx.platform, run)
    _stores(tenant, session, stores)
    _qrcodes_and_share(tenant, session, ctx, brand, stores, rng)


def _stores(tenant: Any, session: Session, stores_account: Any) -> None:
    from .stores.service import link_store

    for department in session.execute(select(Department).where(Department.tenant_id == tenant.id)).scalars():
        if department.name.endswith("店"):
            link_store(session, tenant.id, department.id, stores_account, linked_by="demo")
    session.commit()


def _qrcodes_and_share(tenant: Any, session: Session, ctx: Any, brand: Any, stores: Any, rng: random.Random) -> None:
    from .client import OAClient
    from .fans.models import Fan
    from .qrcodes import service as qrcodes
    from .qrcodes.models import QrScan
    from .share import service as share
    from .share.models import ShareParticipant

    now = utcnow()
    with OAClient.for_account(stores, ctx.platform) as client:
        store_code = qrcodes.create(session, stores, client, name="门店收银台关注码", temporary=False,
                                    scene_str="store-counter", purpose="store", created_by="demo")
    with OAClient.for_account(brand, ctx.platform) as client:
        campaign_code = qrcodes.create(session, brand, client, name="双12 会员日海报码", temporary=True,
                                       scene_id=1212, expire_seconds=2_592_000, purpose="campaign",
                                       created_by="demo")
    fans = {account.id: list(session.execute(select(Fan).where(Fan.account_id == account.id)
                                             .order_by(Fan.id)).scalars()) for account in (brand, stores)}
    for code, account in ((store_code, stores), (campaign_code, brand)):
        for day in range(14):
            for n in range(rng.randint(2, 9)):
                fan = rng.choice(fans[account.id])
                at = now - timedelta(days=day, minutes=rng.randint(0, 600))
                session.add(QrScan(tenant_id=tenant.id, account_id=account.id, qrcode_id=code.id, openid=fan.openid,
                                   new_follow=n % 3 == 0, dedupe_key=f"{fan.openid}:{int(at.timestamp())}:{n}",
                                   scanned_at=at))
                if n % 3 == 0 and fan.qrcode_id is None:
                    fan.qrcode_id, fan.subscribe_scene = code.id, "ADD_SCENE_QR_CODE"
                    fan.qr_scene, fan.qr_scene_str = code.scene_id, code.scene_str or ""
                    session.add(fan)
    session.commit()
    campaign = share.create_campaign(session, brand, name="邀好友关注 领新品奶茶", starts_at=now - timedelta(days=5),
                                     ends_at=now + timedelta(days=25), require_follow=True,
                                     tiers=[{"threshold": 3, "reward": "10 元无门槛券"},
                                            {"threshold": 6, "reward": "招牌新品奶茶一杯"}],
                                     description="分享专属海报，好友关注示例品牌服务号即为助力。", created_by="demo")
    session.commit()
    pool = fans[brand.id]
    helpers = iter(pool[10:])
    with OAClient.for_account(brand, ctx.platform) as client:
        for sharer, helps in zip(pool[:4], (7, 4, 2, 0), strict=True):
            participant = share.join(session, campaign, sharer, client, base_url=_public_url(ctx))
            for _ in range(helps):
                share.record_help(session, participant, next(helpers), now - timedelta(days=rng.randint(0, 4)))
    # a friend of the first sharer who has not followed yet: a help that waits and does not count
    from .fans.service import record_visitor

    first = session.execute(select(ShareParticipant).where(ShareParticipant.campaign_id == campaign.id)
                            .order_by(ShareParticipant.id).limit(1)).scalars().first()
    waiting = record_visitor(session, brand, "oDemoVisitor0001", now - timedelta(hours=3))
    if first is not None:
        share.record_help(session, first, waiting, now - timedelta(hours=2))
    session.commit()
