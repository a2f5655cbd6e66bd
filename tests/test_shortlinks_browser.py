"""The short-link pages in headless Chromium, in Chinese, on a 375 px phone (CSRF on): reached from the menu,
created through the form, the detail page draws its chart and its QR image, nothing overflows the screen; the
public redirect opens the target."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from scrm.core.models import ShortLink, ShortLinkClick
from scrm.sdk.testing import ADMIN_PASSWORD, follow_menu

pytestmark = pytest.mark.browser
#: a phone's WeChat browser (headless Chromium's own agent says "HeadlessChrome", which counts as a robot)
PHONE_UA = ("Mozilla/5.0 (iPhone; CPU iPhone OS 17_0 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) "
            "Mobile/15E148 MicroMessenger/8.0.47")


@pytest.fixture
def boss(make_user, tenant):
    return make_user("boss@acme.test", tenant, role="tenant_admin")


@pytest.fixture
def phone(chromium, live_server):
    context = chromium.new_context(base_url=live_server, locale="zh-CN", viewport={"width": 375, "height": 740},
                                   is_mobile=True, has_touch=True, user_agent=PHONE_UA)
    pg = context.new_page()
    pg.set_default_timeout(15_000)
    yield pg
    context.close()


def no_sideways_scroll(page) -> None:
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= 376, f"the page is {width} px wide on a 375 px screen"


def test_short_links_in_chinese_on_a_phone(phone, boss, db, live_server):
    page = phone
    page.goto("/login")
    page.fill("input[name=email]", boss.email)
    page.fill("input[name=password]", ADMIN_PASSWORD)
    with page.expect_navigation():
        page.click("button[type=submit]")
    page.goto("/lang/zh_CN")
    page.goto("/t/acme/")
    follow_menu(page, "shortlinks.index")
    assert page.locator("h1").inner_text() == "短链接"
    no_sideways_scroll(page)
    page.click("[data-testid=new-short-link]")
    assert page.locator("h1").inner_text() == "新建短链接"
    # a refused address keeps the form with the message in Chinese
    page.fill("#sl-target", "javascript:alert(1)")
    with page.expect_navigation():
        page.click("[data-testid=short-link-form] button[type=submit]")
    assert "请输入完整网址" in page.locator("[data-error=target_url]").inner_text()
    page.fill("#sl-target", f"{live_server}/static/css/app.css?from=sms")
    page.select_option("#sl-channel", "sms")
    page.fill("#sl-label", "双12会员日")
    with page.expect_navigation():
        page.click("[data-testid=short-link-form] button[type=submit]")
    link = db.execute(select(ShortLink)).scalars().one()
    assert page.locator("h1").inner_text().startswith("短链接")
    assert "有效期至" in page.content() and "短信" in page.content()
    page.wait_for_function("document.querySelector('#shortlink-chart') && "
                           "Chart.getChart(document.querySelector('#shortlink-chart')) !== undefined")
    page.wait_for_function("document.querySelector('[data-testid=short-link-qr]').naturalWidth === 258")
    no_sideways_scroll(page)
    # the short URL opens the target and counts the visit
    page.goto(f"/s/{link.code}")
    assert page.url == f"{live_server}/static/css/app.css?from=sms"
    assert [c.agent for c in db.execute(select(ShortLinkClick)).scalars()] == ["wechat"]
    page.goto("/t/acme/marketing/short-links?channel=sms")
    assert page.locator(f"tr[data-code=\"{link.code}\"] td:nth-child(5)").inner_text() == "1"
    no_sideways_scroll(page)
