"""The unassigned group chats tab in headless Chromium on a 375 px wide phone: a "Sync" click polled by htmx until
done, then two chats selected and assigned to an employee found by typing in the picker, the page saying the change
is asynchronous."""

from __future__ import annotations

import pytest
from wecom_foundation_fixtures import *  # noqa: F403
from wecom_groupchats_fixtures import *  # noqa: F403
from wecom_groupchats_fixtures import assignments
from wecom_sync_fixtures import *  # noqa: F403
from wecom_sync_fixtures import run_full_sync

from scrm.sdk.testing import ADMIN_PASSWORD

pytestmark = pytest.mark.browser


def no_horizontal_scroll(page) -> bool:
    return page.evaluate("document.documentElement.scrollWidth <= window.innerWidth + 1")


def test_an_operator_syncs_and_assigns_group_chats_on_a_phone(page, db, platform, tenant, sync_account, chats,
                                                               make_user, worker):
    run_full_sync(db, platform, sync_account)
    worker.join()
    make_user("phone@acme.test", tenant, role="operator")
    page.set_viewport_size({"width": 375, "height": 800})
    page.goto("/login")
    page.fill("input[name=email]", "phone@acme.test")
    page.fill("input[name=password]", ADMIN_PASSWORD)
    with page.expect_navigation():
        page.click("button[type=submit]")

    page.goto("/t/acme/wecom/groupchats/unassigned")
    assert "0 unassigned group chats" in page.inner_text("[data-testid=unassigned-count]")
    page.click("[data-testid=groupchat-sync]")
    page.wait_for_selector("[data-testid=groupchat-sync-progress][data-status=done]", timeout=30_000)
    page.reload()
    assert "2 unassigned group chats" in page.inner_text("[data-testid=unassigned-count]")
    assert no_horizontal_scroll(page)

    page.click("[data-testid=assign]")  # nothing chosen: both fields are required
    page.wait_for_selector("[data-testid=chat-ids-error]")
    page.check("tr[data-chat-id=wrLeftA] input[name=chat_ids]")
    page.check("tr[data-chat-id=wrLeftB] input[name=chat_ids]")
    page.fill("[data-testid=takeover-search]", "lis")  # the picker searches active employees as one types
    page.wait_for_function("() => document.querySelectorAll('#takeover_id option').length == 2")
    assert page.eval_on_selector_all("#takeover_id option", "os => os.map(o => o.textContent.trim())") == [
        "Choose an employee", "李四 (lisi)"]
    page.select_option("select[name=takeover_id]", label="李四 (lisi)")
    page.click("[data-testid=assign]")
    page.wait_for_selector(".flash-success")
    assert "refresh this page later" in page.inner_text(".flash-success")
    assert "pending" in page.inner_text("tr[data-chat-id=wrLeftA]")
    assert no_horizontal_scroll(page)
    assert {r.status for r in assignments(db, tenant.id)} == {"waiting"}
