"""The sync and WeCom tag pages in headless Chromium on a 375 px wide phone: a full sync started by a click, its
progress bar polled by htmx until done, and a tag created in WeCom from the tags page."""

from __future__ import annotations

import pytest
from wecom_foundation_fixtures import *  # noqa: F403
from wecom_sync_fixtures import *  # noqa: F403

from scrm.sdk.testing import ADMIN_PASSWORD

pytestmark = pytest.mark.browser


def no_horizontal_scroll(page) -> bool:
    return page.evaluate("document.documentElement.scrollWidth <= window.innerWidth + 1")


def test_an_admin_runs_a_full_sync_and_creates_a_tag_on_a_phone(page, tenant, sync_account, make_user, worker):
    make_user("phone@acme.test", tenant, role="tenant_admin")
    page.set_viewport_size({"width": 375, "height": 800})
    page.goto("/login")
    page.fill("input[name=email]", "phone@acme.test")
    page.fill("input[name=password]", ADMIN_PASSWORD)
    with page.expect_navigation():
        page.click("button[type=submit]")

    page.goto("/t/acme/wecom/sync/")
    page.click("[data-testid=full-sync]")
    page.wait_for_selector("[data-testid=sync-progress][data-status=done]", timeout=30_000)
    assert page.get_attribute("[data-testid=sync-progress] [role=progressbar]", "aria-valuenow") == "100"
    page.reload()
    assert "3 new" in page.inner_text("[data-testid=sync-runs]")
    assert no_horizontal_scroll(page)

    page.goto("/t/acme/wecom/sync/tags")
    page.select_option("select[name=group_id]", label="Level")
    page.fill("textarea[name=names]", "A name far too long")
    page.click("form[data-testid=new-tags] button[type=submit]")
    page.wait_for_selector("form[data-testid=new-tags] .error")
    page.fill("textarea[name=names]", "Platinum")
    page.click("form[data-testid=new-tags] button[type=submit]")
    page.wait_for_selector("input[value=Platinum]")
    assert no_horizontal_scroll(page)
