"""The host's accounts pages for WeCom in headless Chromium on a 375px phone screen, in English and in Chinese: add an
account (Token and EncodingAESKey generated and shown once), see the callback URL, check the credentials."""

from __future__ import annotations

import os
import re

import pytest
from wecom_foundation_fixtures import *  # noqa: F403
from wecom_foundation_fixtures import CORP_ID, SECRETS

from scrm.sdk.testing import ADMIN_PASSWORD, follow_menu

pytestmark = pytest.mark.browser
SHOTS = os.environ.get("SCRM_SCREENSHOTS")  # a folder: the pages are saved there as PNG when set


@pytest.mark.parametrize(("locale", "works"), [("en-US", "works"), ("zh-CN", "可用")])
def test_an_admin_sets_up_an_account_on_a_phone(chromium, live_server, tenant, enable_plugins, make_user,
                                                wecom_sandbox, locale, works):
    enable_plugins(tenant, "wecom")
    make_user("boss@acme.test", tenant, role="tenant_admin")
    context = chromium.new_context(base_url=live_server, viewport={"width": 375, "height": 740}, locale=locale)
    page = context.new_page()
    page.set_default_timeout(15_000)

    def fits(what: str) -> None:
        width = page.evaluate("document.documentElement.scrollWidth")
        assert width <= 375, f"the {what} is {width}px wide on a 375px screen"
        if SHOTS:
            page.screenshot(path=os.path.join(SHOTS, f"accounts-{locale}-{what}.png"), full_page=True)

    try:
        page.goto("/login")
        page.fill("input[name=email]", "boss@acme.test")
        page.fill("input[name=password]", ADMIN_PASSWORD)
        with page.expect_navigation():
            page.click("button[type=submit]")
        page.goto(f"/lang/{locale.replace('-', '_')}" if locale != "en-US" else "/t/acme/")
        page.goto("/t/acme/")
        follow_menu(page, "channel_accounts.index")
        fits("list")
        page.click("[data-testid=add-account]")
        page.fill("#f-name", "Acme WeCom")
        page.fill("#f-corp_id", CORP_ID)
        page.fill("#f-agent_id", "1000002")
        page.fill("#f-agent_secret", SECRETS["agent"])
        page.fill("#f-contact_secret", "a-wrong-contact-secret")
        page.fill("#f-api_base", wecom_sandbox[0])
        fits("form")
        page.click("[data-testid=save-account]")
        page.wait_for_selector("[data-testid=revealed]")
        assert re.fullmatch(r"[A-Za-z0-9]{43}", page.input_value("#revealed-encoding_aes_key"))
        assert re.fullmatch(r"[A-Za-z0-9]{32}", page.input_value("#revealed-callback_token"))
        assert re.search(r"/callbacks/wecom/\d+$", page.input_value("[data-testid=callback-url]"))
        fits("created")
        page.click("[data-testid=check-credentials]")
        page.wait_for_selector("[data-testid=last-error]")
        assert page.locator("[data-testid=revealed]").count() == 0  # shown once
        assert "40001" in page.inner_text("[data-testid=check-contact]")
        assert works in page.inner_text("[data-testid=check-agent]")
        assert SECRETS["agent"] not in page.content()
        fits("checked")
    finally:
        context.close()
