"""The employee's Moments phone page in headless Chromium at 375 px, in Chinese, CSRF on: WeCom sign-in through
the sandbox, the employee's own background and signature, a personal post published with a poster, and the
customer's page showing it under the employee's signature and background wall."""

from __future__ import annotations

import pytest
from scrm_wecom.moments import appearance, pages
from wecom_materials_fixtures import *  # noqa: F403
from wecom_materials_fixtures import fresh, make_material, png

pytestmark = pytest.mark.browser
PHONE = {"width": 375, "height": 740}


def no_horizontal_scroll(page) -> bool:
    return page.evaluate("document.documentElement.scrollWidth <= 375")


def test_an_employee_publishes_from_the_phone_and_the_customer_sees_it(db, chromium, live_server, world, tmp_path):
    appearance.save_brand(db, world.tenant.id, appearance.BrandInput(unify_background=False, signature="",
                                                                     mobile_publish=True))
    poster = make_material(db, world.tenant, "poster", title="双12会员日海报")
    wall = tmp_path / "wall.png"
    wall.write_bytes(png(size=(720, 560), color=(30, 90, 160)))
    context = chromium.new_context(base_url=live_server, viewport=PHONE, locale="zh-CN")
    page = context.new_page()
    page.set_default_timeout(15_000)
    try:
        page.goto(f"/p/acme/wecom/moments/me?account={world.account.id}")
        page.click("text=Zhang San")  # the sandbox's sign-in page lists the corp's members
        page.wait_for_selector("[data-testid=moments-mobile]")
        assert page.locator("h2").first.inner_text() == "背景和签名"
        assert page.locator("[data-testid=moments-page-header]").get_attribute("data-look") == "default"
        assert no_horizontal_scroll(page)

        page.set_input_files("input[name=background]", str(wall))
        page.fill("input[name=signature]", "张三的小店，欢迎光临")
        with page.expect_navigation():
            page.click("[data-testid=moments-my-look] button[type=submit]")
        assert "您的朋友圈背景和签名已保存。" in page.inner_text("[data-testid=phone-page]")
        assert page.inner_text("[data-testid=moments-signature]") == "张三的小店，欢迎光临"

        page.fill("textarea[name=text]", "冬日上新｜羊绒大衣今日到店，会员专享 9 折")
        page.locator("[data-testid=moments-publish-form] label", has_text="双12会员日海报").locator("input").check()
        with page.expect_navigation():
            page.click("[data-testid=moments-publish-form] button[type=submit]")
        assert "已发表到您的朋友圈。" in page.inner_text("[data-testid=phone-page]")
        post = page.locator("[data-testid=moments-post]").first
        assert "个人发表" in post.inner_text() and "羊绒大衣" in post.inner_text()
        assert post.locator("[data-testid=moments-delete]").count() == 1
        assert no_horizontal_scroll(page)

        fresh(db)
        token = pages.page_for(db, world.employees["zhangsan"]).token
        customer = context.new_page()  # the customer's phone opens the employee's link
        customer.goto(f"/p/acme/wecom/moments/{token}")
        assert customer.locator("h1").inner_text() == "Zhang San的朋友圈"
        assert customer.inner_text("[data-testid=moments-signature]") == "张三的小店，欢迎光临"
        assert customer.locator("[data-testid=moments-page-header]").get_attribute("data-look") == "own"
        customer.wait_for_function("() => document.querySelector('[data-testid=moments-background]').naturalWidth"
                                   " === 720")
        entry = customer.locator("[data-testid=moments-post]").first
        assert "羊绒大衣今日到店" in entry.inner_text()
        entry.locator("img[data-testid=moments-image]").wait_for()
        assert no_horizontal_scroll(customer)
        customer.close()
        assert poster.id
    finally:
        context.close()
