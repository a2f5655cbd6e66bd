"""The 企微朋友圈 tab and the Moments settings in headless Chromium, in zh_CN (CSRF on, as served): an operator
reads the employees' WeCom Moments, syncs one to the creator's page, which a customer then reads on a 375 px
screen; a behaviour rule with a bad count shows its message in Chinese."""

from __future__ import annotations

import pytest
from scrm_wecom.moments.models import MomentsPage
from sqlalchemy import select
from wecom_foundation_fixtures import *  # noqa: F403
from wecom_moments_fixtures import *  # noqa: F403
from wecom_sync_fixtures import *  # noqa: F403
from wecom_sync_fixtures import employee

from scrm.sdk.testing import ADMIN_PASSWORD

pytestmark = pytest.mark.browser


def sign_in(page, email: str, language: str = "zh_CN") -> None:
    page.goto("/login")
    page.fill("input[name=email]", email)
    page.fill("input[name=password]", ADMIN_PASSWORD)
    with page.expect_navigation():
        page.click("button[type=submit]")
    page.goto(f"/lang/{language}")


def test_records_are_read_synced_and_shown_to_customers_on_a_phone(page, db, tenant, synced, make_user, moments):
    moments.personal("zhangsan", "冬日暖意上新｜羊绒大衣今日到店，会员专享 9 折，欢迎来静安店试穿")
    make_user("ops@acme.test", tenant, role="operator")
    sign_in(page, "ops@acme.test")
    page.goto("/t/acme/wecom/moments/")
    with page.expect_navigation():
        page.click("[data-testid=moments-page-tabs] >> text=企微朋友圈")
    with page.expect_navigation():
        page.click("[data-testid=moments-records-fetch]")
    assert "已从企业微信读取 1 条朋友圈，其中新增 1 条。" in page.content()
    row = page.locator("[data-testid=moments-records-list] tbody tr").first
    assert "个人发表" in row.inner_text() and "张三" in row.inner_text() and "未同步" in row.inner_text()
    row.locator("input[name=record_ids]").check()
    with page.expect_navigation():
        page.click("[data-testid=moments-records-sync]")
    assert "已同步" in page.locator("[data-testid=moments-records-list] tbody tr").first.inner_text()

    page.goto("/t/acme/wecom/moments/settings")
    page.fill("input[name=threshold]", "3")
    page.evaluate("document.querySelector('input[name=threshold]').value = '0'")
    page.evaluate("document.querySelector('input[name=threshold]').removeAttribute('min')")
    page.fill("input[name=score]", "10")
    with page.expect_navigation():
        page.click("[data-testid=moments-rule-form] button[type=submit]")
    assert page.locator("[data-error=threshold]").inner_text() == "请输入 1 到 9999 之间的打开次数。"

    page.goto("/t/acme/wecom/moments/employees")  # the list makes each employee's link
    assert page.locator("[data-testid=moments-employees-list] [data-stat=posts]").first.inner_text() == "1"
    db.commit()
    zhang = employee(db, tenant.id, "zhangsan")
    token = db.execute(select(MomentsPage.token).where(MomentsPage.employee_id == zhang.id)).scalar_one()
    page.set_viewport_size({"width": 375, "height": 800})
    page.goto(f"/p/acme/wecom/moments/{token}")
    assert "羊绒大衣今日到店" in page.locator("[data-testid=moments-post]").first.inner_text()
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= 375, width
