"""Demo materials of the brand's flagship account: two poster images, a short store video and a news material
(冬季新品上市) with its cover, uploaded to the sandbox as permanent materials. Idempotent (kept by name)."""

from __future__ import annotations

import io
import logging
from typing import Any

from sqlmodel import Session, select

from .materials import service
from .materials.models import IMAGE, NEWS, VIDEO, Material

log = logging.getLogger(__name__)

IMAGES = (("winter-poster.png", (178, 34, 52)), ("member-day.png", (212, 160, 23)))
NEWS_ARTICLES = (
    {"title": "冬季新品上市：丝绒唇釉三色限定", "author": "品牌小编", "digest": "三款冬季限定色号上市，会员专享九折，门店同步有售。",
     "content": "<p>冬季限定<b>丝绒唇釉</b>正式上市。</p><ul><li>01 枫叶红</li><li>02 暖杏</li><li>03 莓果</li></ul>"
                "<p>会员日（每月 8 日）全场九折。</p>",
     "content_source_url": "https://brand.example.com/news/winter-lip"},
    {"title": "会员日 | 每月 8 日全场九折", "author": "品牌小编", "digest": "会员日福利一览",
     "content": "<p>每月 8 日会员日，线上线下同享九折，积分双倍。</p>",
     "content_source_url": "https://brand.example.com/member-day"},
)


def _png(color: tuple[int, int, int]) -> bytes:
    from PIL import Image

    out = io.BytesIO()
    Image.new("RGB", (900, 500), color).save(out, "PNG")
    return out.getvalue()


def _mp4() -> bytes:
    return (b"\x00\x00\x00\x20ftypisom\x00\x00\x02\x00isomiso2avc1mp41").ljust(64 * 1024, b"\0")


def _existing(session: Session, account: Any, kind: str, name: str) -> Material | None:
    return session.exec(select(Material).where(Material.tenant_id == account.tenant_id,
                                               Material.account_id == account.id, Material.kind == kind,
                                               Material.name == name)).first()


def seed(tenant: Any, session: Session, demo: Any, ctx: Any) -> None:
    from .client import OAClient

    account = ctx.accounts.get("brand")
    if account is None:
        return
    made: dict[str, Material] = {}
    with OAClient.for_account(account, ctx.platform) as client:
        for name, color in IMAGES:
            made[name] = _existing(session, account, IMAGE, name) or service.upload_media(
                session, client, tenant.id, account.id, IMAGE, _png(color), name, created_by="demo")
        title = "门店探访：上海旗舰店"
        made["video"] = _existing(session, account, VIDEO, title) or service.upload_media(
            session, client, tenant.id, account.id, VIDEO, _mp4(), "store-tour.mp4", title=title,
            description="带你逛逛新开的上海旗舰店", created_by="demo")
        news = _existing(session, account, NEWS, NEWS_ARTICLES[0]["title"])
        if news is None:
            covers = [made["winter-poster.png"].id, made["member-day.png"].id]
            articles = [service.ArticleInput(**a, cover_id=c) for a, c in zip(NEWS_ARTICLES, covers, strict=True)]
            news = service.create_news(session, client, tenant.id, account.id, articles, created_by="demo")
        made["news"] = news
    session.flush()
    ctx.shared["materials"] = {key: m.id for key, m in made.items()}
