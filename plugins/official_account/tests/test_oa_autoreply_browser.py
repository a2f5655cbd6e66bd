"""The keyword rule form in headless Chromium, in Chinese (zh_CN), on a 375 px phone screen: the navigation entry
自动回复管理, adding a keyword row, the reply panels of each type, a refused 31-character keyword shown in place,
then a saved rule that answers a fan's message."""

from __future__ import annotations

import pytest
from oa_fixtures import *  # noqa: F403
from oa_fixtures import AES_KEY, APPID, ORIGINAL_ID, TOKEN
from scrm_official_account.autoreply import service
from scrm_official_account.autoreply.models import Keyword, KeywordRule
from scrm_official_account.sandbox import message_xml, read_reply
from sqlmodel import select

from scrm.sdk.testing import ADMIN_PASSWORD, follow_menu

pytestmark = pytest.mark.browser


def no_horizontal_scroll(page) -> bool:
    return page.evaluate("document.documentElement.scrollWidth <= window.innerWidth + 1")


def test_an_operator_adds_a_keyword_rule_in_chinese_on_a_phone(page, db, tenant, enable_plugins, make_oa_account,
                                                               make_user, fire):
    enable_plugins(tenant, "official_account")
    account = make_oa_account(tenant)
    make_user("yunying@acme.test", tenant, role="operator")
    page.set_viewport_size({"width": 375, "height": 800})
    page.goto("/lang/zh_CN")
    page.goto("/login")
    page.fill("input[name=email]", "yunying@acme.test")
    page.fill("input[name=password]", ADMIN_PASSWORD)
    with page.expect_navigation():
        page.click("button[type=submit]")
    page.goto("/t/acme/")
    follow_menu(page, "official_account.autoreply.index")
    assert page.locator("h1").inner_text() == "自动回复管理"
    page.click("[data-testid=autoreply-tabs] a[data-tab=keyword]")
    page.click("text=新建规则")
    assert page.locator("h1").inner_text() == "新建关键词规则"
    assert no_horizontal_scroll(page)
    assert page.is_visible("textarea[name=reply_text]")
    # the panels of other types are hidden by the page script once it runs (bounded wait)
    page.wait_for_selector("select[name=material_image]", state="hidden", timeout=5_000)
    page.check("input[name=reply_type][value=image]")
    page.wait_for_selector("select[name=material_image]", state="visible", timeout=5_000)
    assert not page.is_visible("textarea[name=reply_text]")
    page.check("input[name=reply_type][value=text]")

    page.fill("input[name=name]", "会员日活动")
    page.fill("input[name='keywords-0-text']", "会员日")
    page.click("button[data-action=add-keyword]")
    page.wait_for_selector("input[name='keywords-1-text']")
    assert page.input_value("input[name='keywords-0-text']") == "会员日"  # the form keeps what was typed
    page.evaluate("document.querySelector(\"input[name='keywords-1-text']\").removeAttribute('maxlength')")
    page.fill("input[name='keywords-1-text']", "券" * 31)
    page.check("input[name='keywords-1-mode'][value=full]")
    page.fill("textarea[name=reply_text]", "每月 8 日会员日，全场九折")
    page.check("input[name=forward_to_service]")
    page.click("form[data-testid=rule-form] button[value=save]")
    page.wait_for_selector("[data-error=keywords]")
    assert "关键词最多 30 个字" in page.locator("[data-error=keywords]").inner_text()
    db.rollback()
    assert db.exec(select(KeywordRule)).all() == []

    page.fill("input[name='keywords-1-text']", "领券")
    page.click("form[data-testid=rule-form] button[value=save]")
    page.wait_for_selector("table[data-testid=rule-list] tr[data-rule-id]")
    row = page.locator("table[data-testid=rule-list] tr[data-rule-id]").first.inner_text()
    assert "会员日活动" in row and "同时转给客服" in row and "全匹配" in row
    assert no_horizontal_scroll(page)
    db.rollback()
    [rule] = db.exec(select(KeywordRule)).all()
    assert rule.forward_to_service
    assert sorted((k.text, k.mode) for k in db.exec(select(Keyword))) == [("会员日", "half"), ("领券", "full")]

    response = fire(account, message_xml(ORIGINAL_ID, "oFan-browser", "text", Content="明天是会员日吗", MsgId="77001"))
    reply = read_reply({"appid": APPID, "token": TOKEN, "encoding_aes_key": AES_KEY, "mode": "safe"},
                       response.get_data(as_text=True))
    assert reply["Content"] == "每月 8 日会员日，全场九折"
    assert service.decide_message(db, tenant.id, account.id, "text", "领券啦").reply is None  # full match only
