"""The unsubscribe list in headless Chromium: it fits a 375px phone screen, reads Chinese, adds a number with CSRF on
and removes it after the confirmation."""

from __future__ import annotations

import pytest
from scrm_sms.optout import service

from scrm.sdk.testing import ADMIN_PASSWORD

pytestmark = pytest.mark.browser


def test_the_unsubscribe_list_on_a_phone(chromium, live_server, db, tenant, enable_plugins, make_user):
    enable_plugins(tenant, "sms")
    for i in range(25):
        service.unsubscribe(db, tenant.id, f"139000{i:05d}", source="uplink", reply="TD")
    db.commit()
    user = make_user("ops@acme.test", tenant, role="operator")
    context = chromium.new_context(base_url=live_server, viewport={"width": 375, "height": 740}, locale="zh-CN")
    page = context.new_page()
    try:
        page.goto("/login")
        page.fill("input[name=email]", user.email)
        page.fill("input[name=password]", ADMIN_PASSWORD)
        with page.expect_navigation():
            page.click("button[type=submit]")
        page.goto("/lang/zh_Hans_CN")
        for path in ("/t/acme/sms/unsubscribes/", "/t/acme/sms/unsubscribes/?page=2&source=uplink"):
            assert page.goto(path).status == 200
            width = page.evaluate("document.documentElement.scrollWidth")
            assert width <= 375, f"{path} is {width}px wide on a 375px screen"
        page.goto("/t/acme/sms/unsubscribes/")
        body = page.inner_text("body")
        assert "短信退订" in body and "139****0024" in body and "25 个号码" in body
        page.fill("[data-testid=optout-add] input[name=mobile]", "13812345678")
        page.click("[data-testid=optout-add] button[type=submit]")
        assert "138****5678" in page.inner_text("body")
        db.expire_all()
        assert service.is_unsubscribed(db, tenant.id, "13812345678")
        page.goto("/t/acme/sms/unsubscribes/?q=13812345678")
        page.click("[data-testid=remove]")
        page.click("[data-testid=confirm-remove]")
        db.rollback()
        assert not service.is_unsubscribed(db, tenant.id, "13812345678")
    finally:
        context.close()
