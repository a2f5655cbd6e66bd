"""The Moments task form in headless Chromium, in zh_CN (CSRF on, as served): reached from the navigation, a task
with a link is created for an employee and a customer tag, read from WeCom on the detail page; a bad submission
shows its messages in Chinese; the form fits a 375 px screen."""

from __future__ import annotations

import pytest
from wecom_foundation_fixtures import *  # noqa: F403
from wecom_moments_fixtures import *  # noqa: F403
from wecom_moments_fixtures import tasks
from wecom_sync_fixtures import *  # noqa: F403

from scrm.sdk.testing import ADMIN_PASSWORD, follow_menu

pytestmark = pytest.mark.browser


def sign_in(page, email: str, language: str = "zh_CN") -> None:
    page.goto("/login")
    page.fill("input[name=email]", email)
    page.fill("input[name=password]", ADMIN_PASSWORD)
    with page.expect_navigation():  # signing in starts a new session: choose the language after it
        page.click("button[type=submit]")
    page.goto(f"/lang/{language}")


def test_an_operator_sends_a_moments_task_in_chinese(page, db, tenant, synced, make_user):
    make_user("ops@acme.test", tenant, role="operator")
    sign_in(page, "ops@acme.test")
    page.goto("/t/acme/")
    follow_menu(page, "wecom.moments.index")
    assert page.locator("h1").inner_text() == "朋友圈"
    assert "本月已发送企业朋友圈 0/4 条" in page.locator("[data-testid=moments-quota]").inner_text()
    with page.expect_navigation():
        page.click("text=发布朋友圈")
    with page.expect_navigation():  # nothing filled in: the messages, in Chinese
        page.click("form[data-testid=moments-form] button[type=submit]")
    assert page.locator("[data-error=text]").inner_text() == "请输入文字或链接。"
    assert page.locator("[data-error=employee_ids]").inner_text() == "请至少选择一位员工。"

    page.fill("textarea[name=text]", "冬日暖意上新｜羊绒大衣今日到店，会员专享 9 折")
    page.check("input[name=with_link]")
    page.fill("input[name=link_title]", "冬季新品")
    page.fill("input[name=link_url]", "https://shop.example.com/winter")
    page.locator("[data-testid=moments-employees] label", has_text="张三").locator("input").check()
    page.locator("[data-testid=moments-tags] label", has_text="Gold").locator("input").check()
    with page.expect_navigation():
        page.click("form[data-testid=moments-form] button[type=submit]")
    assert page.locator("h1").inner_text() == "朋友圈任务"
    assert "朋友圈任务已创建" in page.content()
    with page.expect_navigation():
        page.click("[data-testid=moments-refresh]")
    assert page.locator("[data-field=status]").get_attribute("data-status") == "created"
    assert "已发给员工" in page.locator("[data-field=status]").inner_text()
    assert "Gold" in page.locator("[data-field=tags]").inner_text()
    assert page.locator("[data-testid=moments-senders] [data-userid=zhangsan] [data-published]").inner_text() == "未发布"
    [task] = tasks(db, tenant.id)
    assert task.attachment == {"type": "link", "title": "冬季新品", "url": "https://shop.example.com/winter"}


def test_the_form_fits_a_phone_screen(page, tenant, synced, make_user):
    make_user("phone@acme.test", tenant, role="operator")
    page.set_viewport_size({"width": 375, "height": 800})
    sign_in(page, "phone@acme.test")
    page.goto("/t/acme/wecom/moments/new")
    assert page.locator("h1").inner_text() == "发布朋友圈"
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= 375, width
