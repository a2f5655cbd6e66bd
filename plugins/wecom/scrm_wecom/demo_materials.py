"""The material centre's part of ``scrm demo``: the tea-house brand's material groups and materials (a 双12 poster,
a winter tea guide, the 双12 venue link, the member handbook PDF, the member-centre mini program, a Shanghai-region
team poster), its scripts (pre-sale, after-sale, the 双12 invitation with a poster and the venue link), and a few
sends from the sidebar that customers opened, so the lists, the detail overview and the browse records show data.
Seeded once per tenant."""

from __future__ import annotations

import io
import random
from datetime import timedelta
from typing import Any

from PIL import Image, ImageDraw
from sqlmodel import Session, select

from scrm.sdk import Department, Employee, Tenant, utcnow

from .materials import files, scripts, service, tracking
from .materials.models import ENTERPRISE, MATERIAL, SCRIPT, TEAM, ContentGroup, Material
from .sync.models import Follow

SITE = "https://m.yuelan-beauty.example.cn"
MINI_APPID = "wx5e8b0c1d2f3a4b6c"
HANDBOOK = (b"%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj\n2 0 obj<</Type/Pages/Kids[3 0 R]/Count 1>>endobj\n"
            b"3 0 obj<</Type/Page/Parent 2 0 R/MediaBox[0 0 595 842]>>endobj\ntrailer<</Root 1 0 R>>\n%%EOF\n")


def _poster(size: tuple[int, int], top: tuple[int, int, int], bottom: tuple[int, int, int]) -> bytes:
    """A vertical gradient with a light band: a stand-in for a designed poster."""
    width, height = size
    image = Image.new("RGB", size, top)
    draw = ImageDraw.Draw(image)
    for y in range(height):
        mix = y / max(1, height - 1)
        draw.line([(0, y), (width, y)], fill=tuple(int(a + (b - a) * mix) for a, b in zip(top, bottom, strict=True)))
    draw.rectangle([width // 10, height // 3, width * 9 // 10, height // 3 + height // 8], fill=(255, 244, 230))
    out = io.BytesIO()
    image.save(out, "PNG")
    return out.getvalue()


def _group(session: Session, tenant_id: int, library: str, scope: str, name: str, departments=()) -> ContentGroup:
    return service.save_group(session, tenant_id, library, scope, name, list(departments))


def _material(session: Session, tenant_id: int, scope: str, group: ContentGroup, kind: str, title: str,
              **values: Any) -> Material:
    return service.save_material(session, tenant_id, scope, service.MaterialValues(
        kind=kind, title=title, group_id=group.id, **values), "demo@scrm.example")


def seed_materials(session: Session, account: Any, demo: Any) -> None:
    """Seed the material centre of the account's tenant once (nothing when it holds materials already)."""
    tenant_id = account.tenant_id
    if session.exec(select(Material.id).where(Material.tenant_id == tenant_id)).first() is not None:
        return
    promo = _group(session, tenant_id, MATERIAL, ENTERPRISE, "双12大促")
    new = _group(session, tenant_id, MATERIAL, ENTERPRISE, "新品上市")
    region = session.exec(select(Department).where(Department.tenant_id == tenant_id,
                                                   Department.name == "上海大区")).first()
    cover = files.check_cover(_poster((600, 400), (120, 70, 40), (200, 150, 90)), "冬茶封面.png")
    made = {
        "poster": _material(session, tenant_id, ENTERPRISE, promo, "poster", "双12会员日海报", summary="全场茶礼9折，积分翻倍",
                            file=files.check_upload("poster", _poster((750, 1334), (180, 30, 40), (240, 120, 60)),
                                                    "双12会员日海报.png")),
        "link": _material(session, tenant_id, ENTERPRISE, promo, "link", "双12会场", url=f"{SITE}/act/1212",
                          summary="12月12日当天下单满299减50"),
        "article": _material(session, tenant_id, ENTERPRISE, new, "article", "冬日暖茶指南", cover=cover,
                             summary="红茶、普洱与花草茶的冬季喝法",
                             body="天气转凉，推荐三款适合冬天的茶：\n1. 正山小种：松烟香，暖胃。\n2. 五年陈普洱熟茶：醇厚顺滑。\n"
                                  "3. 桂圆红枣花草茶：不含咖啡因，晚上也能喝。\n会员到店品鉴可领取试饮装一份。",
                             url=f"{SITE}/guide/winter-tea"),
        "file": _material(session, tenant_id, ENTERPRISE, new, "file", "会员权益手册", summary="等级、积分与生日礼说明",
                          file=files.check_upload("file", HANDBOOK, "会员权益手册2026.pdf")),
        "mini": _material(session, tenant_id, ENTERPRISE, new, "miniprogram", "会员中心", appid=MINI_APPID,
                          page="pages/member/index.html", cover=cover),
    }
    if region is not None:
        team = _group(session, tenant_id, MATERIAL, TEAM, "上海门店专属", [region.id])
        made["team"] = _material(session, tenant_id, TEAM, team, "poster", "上海门店周末品茶会", summary="每周六下午两点",
                                 file=files.check_upload("poster", _poster((750, 1000), (40, 90, 60),
                                                                           (150, 190, 120)), "品茶会.png"))
    _scripts(session, tenant_id, made)
    session.commit()
    _sends(session, account, demo, made)


def _scripts(session: Session, tenant_id: int, made: dict[str, Material]) -> None:
    pre = _group(session, tenant_id, SCRIPT, ENTERPRISE, "售前咨询")
    after = _group(session, tenant_id, SCRIPT, ENTERPRISE, "售后服务")
    promo = _group(session, tenant_id, SCRIPT, ENTERPRISE, "双12大促")
    rows = [
        (pre, "新客欢迎", [scripts.Item("text", "您好，我是悦兰茶舍的茶艺顾问～有任何茶品或礼盒的问题都可以问我，到店出示会员码可享首单95折。")]),
        (pre, "冬季茶品推荐", [scripts.Item("text", "冬天推荐正山小种和五年陈普洱熟茶，暖胃又耐泡，这篇指南您可以看看："),
                           scripts.Item("article", material_id=made["article"].id)]),
        (after, "退换货说明", [scripts.Item("text", "未拆封茶品7天内可无理由退换，请提供订单号，我马上为您登记。")]),
        (after, "会员积分查询", [scripts.Item("text", "积分和等级可以在会员中心查看，积分可抵扣现金："),
                             scripts.Item("miniprogram", material_id=made["mini"].id)]),
        (promo, "双12邀约", [scripts.Item("text", "双12会员日全场茶礼9折、积分翻倍，给您留了一份专属优惠～"),
                           scripts.Item("image", material_id=made["poster"].id),
                           scripts.Item("article", material_id=made["link"].id)]),
    ]
    for group, title, items in rows:
        scripts.save_script(session, tenant_id, ENTERPRISE, scripts.ScriptValues(title, group.id, items),
                            "demo@scrm.example")


def _sends(session: Session, account: Any, demo: Any, made: dict[str, Material]) -> None:
    """Sends from the sidebar to a few friends, most of them opened, with browse times and reminders."""
    tenant = session.get(Tenant, account.tenant_id)
    follows = list(session.exec(select(Follow).where(Follow.account_id == account.id, Follow.employee_id.is_not(None))
                                .order_by(Follow.id).limit(12)))
    if not follows:
        return
    rng = random.Random(1212)
    with demo.app.test_request_context("/", base_url=demo.serve()):  # the short links point at the served demo
        for index, follow in enumerate(follows):
            employee = session.get(Employee, follow.employee_id)
            material = made["poster"] if index % 3 else made["article"]
            send, _url = tracking.record_send(session, tenant, material, employee, follow.customer_id,
                                              follow.external_userid)
            if index % 4 == 3:
                continue  # not opened (yet)
            view = tracking.record_view(session, tenant, send)
            if view is not None:
                view.opened_at = utcnow() - timedelta(hours=rng.randint(1, 60), minutes=rng.randint(0, 59))
                view.reminded_at = view.opened_at
                view.duration = rng.choice((5, 12, 37, 60, 95, 143))
                session.add(view)
        session.commit()
    demo.wait_for_jobs()


__all__ = ["seed_materials"]
