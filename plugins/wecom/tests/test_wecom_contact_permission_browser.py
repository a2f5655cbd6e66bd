"""The employee's Moments phone page refusing a member without WeCom's customer-contact permission (spec §2.1.3,
§4.1 rule 1), in headless Chromium at 375 px and in Chinese: WeCom sign-in through the sandbox, the reason shown,
nothing to publish; a member with the permission gets the page."""

from __future__ import annotations

import pytest
from wecom_foundation_fixtures import *  # noqa: F403
from wecom_sync_fixtures import *  # noqa: F403
from wecom_sync_fixtures import CORP_ID, run_full_sync

pytestmark = pytest.mark.browser
PHONE = {"width": 375, "height": 740}


def test_a_member_without_the_permission_is_told_why_on_the_phone(db, platform, chromium, live_server, sync_account,
                                                                  sandbox):
    sandbox[1].set_follow_users(CORP_ID, ["zhangsan"])
    run_full_sync(db, platform, sync_account)
    context = chromium.new_context(base_url=live_server, viewport=PHONE, locale="zh-CN")
    page = context.new_page()
    page.set_default_timeout(15_000)
    try:
        page.goto(f"/p/acme/wecom/moments/me?account={sync_account.id}")
        page.click("text=李四")  # the sandbox's sign-in page lists the corp's members
        refusal = page.wait_for_selector("[data-testid=moments-no-permission]")
        assert "你没有企业微信的客户联系权限" in refusal.inner_text()
        assert page.locator("[data-testid=moments-publish-form]").count() == 0
        assert page.locator("[data-testid=moments-my-link]").count() == 0
        assert page.evaluate("document.documentElement.scrollWidth <= 375")

        other = chromium.new_context(base_url=live_server, viewport=PHONE, locale="zh-CN").new_page()
        other.set_default_timeout(15_000)
        other.goto(f"/p/acme/wecom/moments/me?account={sync_account.id}")
        other.click("text=张三")
        other.wait_for_selector("[data-testid=moments-mobile]")
        assert other.locator("[data-testid=moments-no-permission]").count() == 0
        other.context.close()
    finally:
        context.close()
