"""The bulk-send form in headless Chromium, in Chinese on a 375 px phone screen, CSRF on: the audience part follows
the chosen mode, the character counter and the live estimate (recipients × segments, invalid numbers) follow the
input (static/sms/bulk_form.js, no inline script), and confirming creates the send with its quota reserved."""

from __future__ import annotations

import pytest

from scrm.sdk.testing import ADMIN_PASSWORD

pytestmark = pytest.mark.browser


def test_the_bulk_form_on_a_phone_in_chinese(page, app, db, tenant, enable_plugins, make_channel_account,
                                            make_user):
    from scrm_sms.bulk.models import SmsBulkSend
    from scrm_sms.quota import service as quota
    from sqlmodel import select

    enable_plugins(tenant, "members", "sms")
    from sms_testkit import approve_signature

    account = make_channel_account(tenant, "sms", name="阿里云短信", config={})
    approve_signature(db, tenant.id, account.id, "星巢生活")
    quota.top_up(db, tenant.id, "notification", 100)
    db.commit()
    user = make_user("ops@acme.test", tenant, role="operator")
    app.config["WTF_CSRF_ENABLED"] = True
    try:
        page.set_viewport_size({"width": 375, "height": 800})
        page.goto("/login")
        page.fill("input[name=email]", user.email)
        page.fill("input[name=password]", ADMIN_PASSWORD)
        with page.expect_navigation():
            page.click("button[type=submit]")
        page.goto("/lang/zh_CN")
        page.goto(f"/t/{tenant.slug}/sms/bulk/new")
        assert "新建群发" in page.content() and "群发对象" in page.content()
        assert not page.is_visible("textarea[name=phones]")
        page.check("input[name=mode][value=phones]")
        assert page.is_visible("textarea[name=phones]") and not page.is_visible("select[name=tag_ids]")
        page.fill("textarea[name=phones]", "13800000001\n13800000002\n13800000001\n123")
        page.select_option("select[name=category]", "notification")
        page.select_option("select[name=signature]", "星巢生活")  # only approved signatures are offered
        page.fill("textarea[name=content]", "您" * 65)
        from playwright.sync_api import expect

        expect(page.locator("[data-billed]")).to_have_text("4", timeout=10_000)
        assert page.inner_text("[data-recipients]") == "2" and page.inner_text("[data-invalid]") == "1"
        assert page.inner_text("[data-count]") == "65"
        width = page.evaluate("document.documentElement.scrollWidth")
        assert width <= 375, f"the page is {width}px wide on a 375px screen"
        with page.expect_navigation():
            page.click("[data-testid=submit]")
        assert "群发详情" in page.content()
        bulk = db.exec(select(SmsBulkSend).where(SmsBulkSend.tenant_id == tenant.id)).one()
        assert (bulk.recipients, bulk.estimated) == (2, 4)
        assert quota.remaining(db, tenant.id, "notification") == 96
    finally:
        app.config["WTF_CSRF_ENABLED"] = False
