"""Demo custom menus of the brand's flagship account: a published default menu (新品 / 会员中心 / 品牌活动 with a page,
click replies and a mini program) and a published personalised menu for iPhone users tagged 星标组 when the account
has that OA tag (for iPhone users otherwise), plus a few days of menu clicks for 菜单分析. Idempotent."""

from __future__ import annotations

import logging
from datetime import timedelta
from typing import Any

from sqlmodel import Session, select

from .menus import service
from .menus.models import Menu, MenuClick

log = logging.getLogger(__name__)

SHOP = "https://shop.example.com/"


def default_tree(materials: dict[str, int]) -> list[dict[str, Any]]:
    member_day = ({"kind": "material", "material_id": materials["news"]} if materials.get("news")
                  else {"kind": "text", "text": "每月 8 日会员日，全场九折，积分双倍。"})
    return [
        {"name": "新品", "type": "view", "url": SHOP + "new"},
        {"name": "会员中心", "sub_button": [
            {"name": "积分查询", "type": "click", "reply": {"kind": "text", "text": "回复“积分”即可查看您的会员积分和可兑换礼品。"}},
            {"name": "会员商城", "type": "miniprogram", "url": SHOP, "appid": "wx286b93c14bbf93aa",
             "pagepath": "pages/index/index"},
            {"name": "附近门店", "type": "view", "url": SHOP + "stores"}]},
        {"name": "品牌活动", "sub_button": [
            {"name": "会员日福利", "type": "click", "reply": member_day},
            {"name": "分享有礼", "type": "view", "url": SHOP + "share"}]},
    ]


def seed(tenant: Any, session: Session, demo: Any, ctx: Any) -> None:
    from .client import OAClient
    from .fans.models import OATag

    account = ctx.accounts.get("brand")
    if account is None or service.default_menu(session, tenant.id, account.id) is not None:
        return
    materials = ctx.shared.get("materials") or {}
    with OAClient.for_account(account, ctx.platform) as client:
        menu = service.save_default(session, tenant.id, account, default_tree(materials), by="demo")
        service.publish_default(session, client, menu)
        star = session.exec(select(OATag).where(OATag.tenant_id == tenant.id, OATag.account_id == account.id,
                                                OATag.name == "星标组")).first()
        rule = service.save_conditional(
            session, tenant.id, account, menu=None, name="星标组苹果用户" if star else "苹果用户",
            platform="ios", tag_id=star.wechat_id if star else None,
            raw=[{"name": "专属福利", "type": "view", "url": SHOP + "vip"},
                 {"name": "会员中心", "type": "click", "reply": {"kind": "text", "text": "尊敬的星标会员，本月专属礼券已放入您的账户。"}}],
            by="demo")
        service.publish_conditional(session, client, rule)
    _clicks(session, tenant, account, menu)
    session.flush()


def _clicks(session: Session, tenant: Any, account: Any, menu: Menu) -> None:
    """A week of clicks (as CLICK / VIEW callbacks would leave them) so 菜单分析 has something to show."""
    from scrm.sdk import local_today

    if session.exec(select(MenuClick.id).where(MenuClick.account_id == account.id)).first() is not None:
        return
    points = menu.tree[1]["sub_button"][0]
    today = local_today()
    n = 0
    for days_back, (clicks, views) in enumerate(((12, 30), (9, 24), (15, 41), (7, 18), (11, 26), (6, 20), (10, 33))):
        day = today - timedelta(days=days_back)
        for i in range(clicks):
            n += 1
            session.add(MenuClick(tenant_id=tenant.id, account_id=account.id, inbound=f"demo:{n}", day=day,
                                  event="click", target=points["key"], name=points["name"], openid=f"oDemo{i:04d}"))
        for i in range(views):
            n += 1
            session.add(MenuClick(tenant_id=tenant.id, account_id=account.id, inbound=f"demo:{n}", day=day,
                                  event="view", target=SHOP + "new", name="新品", openid=f"oDemo{i:04d}"))
