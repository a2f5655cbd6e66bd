"""The custom menu editor in headless Chromium, in Chinese (zh_CN), on a 375 px phone screen: the navigation entry
自定义菜单, adding top-level menus and sub-menus, a name over the limit refused in place and by the server,
reordering, 保存 (no WeChat call, 未生效), then 发布到微信: the sandbox holds exactly the menu the page shows."""

from __future__ import annotations

import httpx
import pytest
from oa_fixtures import *  # noqa: F403
from oa_fixtures import APPID, SECRET
from scrm_official_account.menus.models import Menu
from sqlmodel import select

from scrm.sdk.testing import ADMIN_PASSWORD, follow_menu

pytestmark = pytest.mark.browser


def no_horizontal_scroll(page) -> bool:
    return page.evaluate("document.documentElement.scrollWidth <= window.innerWidth + 1")


def wechat_menu(base: str) -> dict:
    token = httpx.get(f"{base}/cgi-bin/token", params={"grant_type": "client_credential", "appid": APPID,
                                                       "secret": SECRET}).json()["access_token"]
    return httpx.get(f"{base}/cgi-bin/menu/get", params={"access_token": token}).json()


def menu_calls(control) -> list[dict]:
    return [c for c in control.calls() if c["path"] in ("/cgi-bin/menu/create", "/cgi-bin/menu/addconditional")]


def test_an_operator_edits_and_publishes_the_menu_and_wechat_has_it(page, db, tenant, enable_plugins, oa_sandbox,
                                                                    make_oa_account, make_user):
    base, control = oa_sandbox
    enable_plugins(tenant, "official_account")
    make_oa_account(tenant, api_base=base)
    make_user("yunying@acme.test", tenant, role="operator")
    page.set_viewport_size({"width": 375, "height": 800})
    page.goto("/lang/zh_CN")
    page.goto("/login")
    page.fill("input[name=email]", "yunying@acme.test")
    page.fill("input[name=password]", ADMIN_PASSWORD)
    with page.expect_navigation():
        page.click("button[type=submit]")
    page.goto("/t/acme/")
    follow_menu(page, "official_account.menus.index")
    assert page.locator("h1").inner_text() == "自定义菜单"
    assert page.locator("[data-testid=menu-status] [data-status]").inner_text() == "尚未保存菜单"

    page.click("[data-testid=add-top]")
    page.fill("[data-testid=top-1-name]", "新品")
    page.select_option("[data-testid=top-1-type]", "view")
    page.fill("[data-testid=top-1-url]", "https://shop.example.com/new")

    page.click("[data-testid=add-top]")
    page.fill("[data-testid=top-2-name]", "会员中心服务台")  # 7 Chinese characters: 21 bytes
    assert "字节" in page.locator("[data-error=top-2-name]").inner_text()
    page.click("[data-testid=top-2-add-sub]")
    page.fill("[data-testid=top-2-sub-1-name]", "积分查询")
    page.select_option("[data-testid=top-2-sub-1-type]", "click")
    page.fill("[data-testid=top-2-sub-1-text]", "回复“积分”查看您的会员积分")
    page.click("[data-testid=top-2-add-sub]")
    page.fill("[data-testid=top-2-sub-2-name]", "会员商城")
    page.select_option("[data-testid=top-2-sub-2-type]", "miniprogram")
    page.fill("[data-testid=top-2-sub-2-url]", "https://shop.example.com/")
    page.fill("[data-testid=top-2-sub-2-appid]", "wx286b93c14bbf93aa")
    page.fill("[data-testid=top-2-sub-2-pagepath]", "pages/index/index")
    assert no_horizontal_scroll(page)

    page.click("[data-testid=menu-save]")  # the server refuses the long name too
    page.wait_for_selector("[data-testid=menu-errors]")
    assert "菜单 2：名称超过 16 个字节" in page.locator("[data-testid=menu-errors]").inner_text()
    db.rollback()
    assert db.exec(select(Menu)).all() == []
    assert page.input_value("[data-testid=top-2-sub-1-name]") == "积分查询"  # what was typed is kept

    page.fill("[data-testid=top-2-name]", "会员中心")
    page.locator("[data-testid=top-2] >> text=左移").first.click()  # the member centre first
    assert page.input_value("[data-testid=top-1-name]") == "会员中心"
    page.click("[data-testid=menu-save]")
    page.wait_for_selector("[data-testid=menu-status] [data-status=draft]")
    assert page.locator("[data-testid=menu-status] [data-status]").inner_text() == "未生效"
    assert menu_calls(control) == []  # 保存 does not touch WeChat

    page.click("[data-testid=menu-publish]")
    page.wait_for_selector("[data-testid=menu-status] [data-status=published]")
    assert page.locator("[data-testid=menu-status] [data-status]").inner_text() == "已生效"
    assert len(menu_calls(control)) == 1
    buttons = wechat_menu(base)["menu"]["button"]
    assert [b["name"] for b in buttons] == ["会员中心", "新品"]
    assert buttons[1] == {"type": "view", "name": "新品", "url": "https://shop.example.com/new"}
    points, mall = buttons[0]["sub_button"]
    assert points["type"] == "click" and points["name"] == "积分查询" and points["key"].startswith("M_")
    assert mall == {"type": "miniprogram", "name": "会员商城", "url": "https://shop.example.com/",
                    "appid": "wx286b93c14bbf93aa", "pagepath": "pages/index/index"}
    assert page.input_value("[data-testid=top-1-sub-1-text]") == "回复“积分”查看您的会员积分"
    assert no_horizontal_scroll(page)
