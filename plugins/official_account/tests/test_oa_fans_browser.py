"""用户管理 in headless Chromium on a 375 px phone, in Chinese: the followers tab, the visitors tab with a former
follower and a visitor, a search, a fan's detail with its follow source; no horizontal scrolling, no failed
resource (CSP: no inline script)."""

from __future__ import annotations

import pytest
from oa_fixtures import *  # noqa: F403
from scrm_official_account.fans.models import Fan

from scrm.sdk import utcnow
from scrm.sdk.testing import ADMIN_PASSWORD

pytestmark = pytest.mark.browser


def no_horizontal_scroll(page) -> bool:
    return page.evaluate("document.documentElement.scrollWidth <= window.innerWidth + 1")


def test_the_fan_lists_and_detail_on_a_phone_in_chinese(chromium, live_server, db, tenant, enable_plugins,
                                                        make_oa_account, make_user):
    enable_plugins(tenant, "official_account")
    account = make_oa_account(tenant)
    now = utcnow()
    rows = [("oFanA", "王芳", True, None, "ADD_SCENE_QR_CODE"), ("oFanB", "李静", False, now, "ADD_SCENE_SEARCH"),
            ("oFanC", "", False, None, "")]
    for openid, nickname, subscribed, left, scene in rows:
        db.add(Fan(tenant_id=tenant.id, account_id=account.id, openid=openid, nickname=nickname, subscribed=subscribed,
                   subscribe_time=now if scene else None, unsubscribe_time=left, subscribe_scene=scene,
                   qr_scene_str="store-nj" if scene == "ADD_SCENE_QR_CODE" else "", first_visit_at=now))
    db.commit()
    make_user("ops@acme.test", tenant, role="operator")
    context = chromium.new_context(base_url=live_server, viewport={"width": 375, "height": 740}, locale="zh-CN")
    page = context.new_page()
    errors: list[str] = []
    page.on("response", lambda r: errors.append(f"{r.status} {r.url}") if r.status >= 400 else None)
    try:
        page.goto("/login")
        page.fill("input[name=email]", "ops@acme.test")
        page.fill("input[name=password]", ADMIN_PASSWORD)
        with page.expect_navigation():
            page.click("button[type=submit]")
        page.goto("/lang/zh_CN")
        page.goto("/t/acme/official_account/fans/")
        assert "公众号粉丝" in page.inner_text("[data-testid=fan-tabs]")
        listed = page.locator("[data-testid=fan-list] tbody tr[data-fan-id]")
        assert listed.count() == 1 and "王芳" in listed.first.inner_text()
        assert no_horizontal_scroll(page)
        page.click("text=全部访客")
        page.wait_for_selector("[data-testid=fan-list] tbody tr[data-fan-id] >> nth=2")
        text = page.inner_text("[data-testid=fan-list]")
        assert "王芳" in text and "李静" in text and "oFanC" in text
        assert "已关注" in text and "取消关注" in text and "访客" in text
        assert no_horizontal_scroll(page)
        page.fill("input[name=q]", "李")
        page.click("[data-testid=fan-filter] button[type=submit]")
        page.wait_for_load_state()
        assert page.locator("[data-testid=fan-list] tbody tr[data-fan-id]").count() == 1
        page.click("[data-testid=fan-list] >> text=详情")
        page.wait_for_selector("[data-testid=follow-source]")
        assert "搜索公众号" in page.inner_text("[data-testid=follow-source]")
        assert no_horizontal_scroll(page)
        assert errors == []
    finally:
        context.close()
