"""The demo's menus, mass sends and templates (``demo_menus`` / ``demo_masssend``) against the sandbox: a published
default and personalised menu, a finished mass send with WeChat's figures, a scheduled one and the synced templates;
seeded once (a second run adds nothing)."""

from __future__ import annotations

from oa_fixtures import *  # noqa: F403
from oa_masssend_support import add_fans, add_tag
from oa_materials_support import *  # noqa: F403
from oa_materials_support import fresh
from scrm_official_account import demo_masssend, demo_materials, demo_menus
from scrm_official_account.demo import DemoContext
from scrm_official_account.masssend.models import MassSend, TemplateMessageTemplate
from scrm_official_account.menus.models import Menu, MenuClick
from sqlmodel import select


def test_the_demo_seeds_menus_mass_sends_and_templates_once(db, platform, oa_world):
    add_tag(db, oa_world, 1, "星标组")
    add_fans(db, oa_world, 6, tags=[1])
    ctx = DemoContext(sandbox_url=oa_world.base, platform=platform, accounts={"brand": oa_world.account})
    for _ in range(2):
        demo_materials.seed(oa_world.tenant, db, None, ctx)
        demo_menus.seed(oa_world.tenant, db, None, ctx)
        demo_masssend.seed(oa_world.tenant, db, None, ctx)
        db.commit()
    fresh(db)
    menus = db.exec(select(Menu).order_by(Menu.id)).all()
    assert [(m.kind, m.status) for m in menus] == [("default", "published"), ("conditional", "published")]
    assert menus[1].tag_id == 1 and menus[1].platform == "ios"
    assert [c["path"] for c in oa_world.control.calls() if c["path"] in (
        "/cgi-bin/menu/create", "/cgi-bin/menu/addconditional")] == ["/cgi-bin/menu/create",
                                                                      "/cgi-bin/menu/addconditional"]
    assert db.exec(select(MenuClick)).first() is not None
    finished, scheduled = db.exec(select(MassSend).order_by(MassSend.id)).all()
    assert (finished.status, finished.sent_count, finished.targeted) == ("sent", 6, 6)
    assert scheduled.status == "waiting" and scheduled.send_mode == "scheduled" and scheduled.msg_type == "news"
    assert len(db.exec(select(TemplateMessageTemplate)).all()) == 2
    page = oa_world.staff.get(oa_world.url("/menus/?tab=stats")).get_data(as_text=True)
    assert "积分查询" in page
