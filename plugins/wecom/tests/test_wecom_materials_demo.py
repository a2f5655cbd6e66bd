"""``scrm demo`` seeds the material centre once: the brand's materials and scripts in their groups, sidebar sends
that customers opened (views with browse times), shown on the material pages."""

from __future__ import annotations

import pytest
from scrm_wecom.materials.models import Material, MaterialSend, MaterialView, Script
from sqlmodel import Session, func, select
from wecom_demo_fixtures import *  # noqa: F403

from scrm.sdk import ChannelAccount

pytestmark = pytest.mark.slow


def test_the_demo_has_materials_scripts_and_opened_sends_seeded_once(demo_cli, demo_app, demo_url):
    for _ in range(2):
        result = demo_cli("demo", "--url", demo_url)
        assert result.exit_code == 0, result.output
    password = result.output.strip().splitlines()[-1].rsplit(" / ", 1)[1]
    app = demo_app(sandboxes=True)
    with Session(app.extensions["scrm"].engine) as session:
        [account] = session.exec(select(ChannelAccount).where(ChannelAccount.plugin == "wecom")).all()
        titles = session.exec(select(Material.title).where(Material.tenant_id == account.tenant_id)).all()
        # the group welcome template's link material (新人入群礼) is seeded by the Moments demo
        assert sorted(titles) == sorted(["新人入群礼", "双12会员日海报", "双12会场", "冬日暖茶指南", "会员权益手册", "会员中心",
                                         "上海门店周末品茶会"])
        assert session.exec(select(func.count()).select_from(Script)).one() == 5
        sends = session.exec(select(func.count()).select_from(MaterialSend)).one()
        views = session.exec(select(MaterialView)).all()
        assert sends == 12 and len(views) == 9 and all(v.duration > 0 and v.customer_id for v in views)
    client = app.test_client()
    app.config["WTF_CSRF_ENABLED"] = False
    assert client.post("/login", data={"email": "admin@demo.local", "password": password}).status_code == 302
    page = client.get("/t/demo/wecom/materials/").get_data(as_text=True)
    assert "双12会员日海报" in page and "冬日暖茶指南" in page
    assert "双12邀约" in client.get("/t/demo/wecom/materials/scripts/").get_data(as_text=True)
