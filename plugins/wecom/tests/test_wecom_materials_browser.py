"""The employee chat sidebar and a customer's tracked page in headless Chromium on a 375 px phone, in Chinese: the
WeCom sign-in through the sandbox, tabs, a material sent (CSRF on), the customer's page reporting its browse time,
the card's view counts, a script sent."""

from __future__ import annotations

import json
import re

import pytest
from scrm_wecom.materials import scripts
from scrm_wecom.materials.models import MaterialView
from sqlmodel import select
from wecom_materials_fixtures import *  # noqa: F403
from wecom_materials_fixtures import fresh, make_material

pytestmark = pytest.mark.browser
PHONE = {"width": 375, "height": 740}


def no_horizontal_scroll(page) -> bool:
    return page.evaluate("document.documentElement.scrollWidth <= 375")


def test_an_employee_sends_a_material_and_a_script_from_the_sidebar_on_a_phone(db, chromium, live_server, world):
    material = make_material(db, world.tenant, "poster", title="双12会员日海报", summary="全场9折")
    scripts.save_script(db, world.tenant.id, "enterprise", scripts.ScriptValues(
        title="双12邀约", items=[scripts.Item("text", "您好，双12会员日全场9折，欢迎到店～")]), "op")
    db.commit()
    context = chromium.new_context(base_url=live_server, viewport=PHONE, locale="zh-CN")
    page = context.new_page()
    page.set_default_timeout(15_000)
    try:
        page.goto(f"/p/acme/wecom/sidebar/?account={world.account.id}")
        page.click("text=Zhang San")  # the sandbox's sign-in page lists the corp's members
        page.wait_for_selector("[data-testid=sidebar]")
        assert page.locator(".sb-tabs a[aria-current]").inner_text() == "企业素材"
        card = page.locator(f"[data-material-id='{material.id}']")
        assert "今日浏览 0 · 总浏览 0" in card.inner_text()
        assert no_horizontal_scroll(page)

        card.locator("button[data-send-material]").click()  # 发送
        page.wait_for_selector("[data-status]:not([hidden])")
        assert "企业微信" in page.locator("[data-status]").inner_text()
        [message] = json.loads(page.locator("[data-testid=sidebar]").get_attribute("data-last-send"))
        assert message["msgtype"] == "news" and message["news"]["title"] == "双12会员日海报"

        customer = context.new_page()  # the customer's phone opens the link
        with customer.expect_response(lambda r: r.url.endswith("/beacon"), timeout=15_000) as beacon:
            customer.goto(re.sub(r"^https?://[^/]+", live_server, message["news"]["link"]))
            customer.wait_for_selector("[data-testid=material-page] img[data-testid=poster]")
        assert beacon.value.status == 204
        assert no_horizontal_scroll(customer)
        customer.close()
        fresh(db)
        [view] = db.exec(select(MaterialView)).all()
        assert view.duration >= 4

        page.reload()
        assert "今日浏览 1 · 总浏览 1" in page.locator(f"[data-material-id='{material.id}']").inner_text()
        page.click(".sb-tabs a:has-text('话术库')")
        page.wait_for_selector("[data-script-id]")
        assert "双12邀约" in page.inner_text("[data-testid=sidebar]")
        page.click("button[data-send-script]")
        page.wait_for_function("() => document.querySelector('[data-testid=sidebar]').getAttribute('data-last-send')"
                               " && document.querySelector('[data-testid=sidebar]').getAttribute('data-last-send')"
                               ".includes('text')")
        sent = json.loads(page.locator("[data-testid=sidebar]").get_attribute("data-last-send"))
        assert sent == [{"msgtype": "text", "text": {"content": "您好，双12会员日全场9折，欢迎到店～"}}]
        assert no_horizontal_scroll(page)
    finally:
        context.close()
