"""The demo's materials and auto replies (``demo_materials`` / ``demo_autoreply``) against the sandbox: seeded once
(a second run adds nothing), and the seeded rules answer fans."""

from __future__ import annotations

from oa_fixtures import *  # noqa: F403
from oa_materials_support import *  # noqa: F403
from oa_materials_support import fresh
from scrm_official_account import demo_autoreply, demo_materials
from scrm_official_account.autoreply import service
from scrm_official_account.demo import DemoContext
from scrm_official_account.materials.models import Material
from sqlmodel import select


def test_the_demo_seeds_materials_and_replies_once(db, platform, oa_world):
    ctx = DemoContext(sandbox_url=oa_world.base, platform=platform, accounts={"brand": oa_world.account})
    for _ in range(2):
        demo_materials.seed(oa_world.tenant, db, None, ctx)
        demo_autoreply.seed(oa_world.tenant, db, None, ctx)
        db.commit()
    fresh(db)
    kinds = sorted(m.kind for m in db.exec(select(Material).where(Material.tenant_id == oa_world.tenant.id)))
    assert kinds == ["image", "image", "news", "video"]
    assert service.count_rules(db, oa_world.tenant.id, oa_world.account.id) == 5
    tenant_id, account_id = oa_world.tenant.id, oa_world.account.id
    news = service.decide_message(db, tenant_id, account_id, "text", "有什么新品")
    assert news.reply["type"] == "news"
    resolved = service.resolve(db, tenant_id, account_id, news.reply)
    assert resolved["articles"][0]["title"].startswith("冬季新品上市")
    assert service.decide_message(db, tenant_id, account_id, "text", "转人工").rule.forward
    assert service.decide_message(db, tenant_id, account_id, "text", "你好").source == "default"
    assert service.decide_subscribe(db, tenant_id, account_id).reply["text"].startswith("欢迎关注")
