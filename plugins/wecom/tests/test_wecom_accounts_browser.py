"""The account pages in headless Chromium on a 375px phone screen: generate, save, see the callback URL, check."""

from __future__ import annotations

import re

import pytest
from wecom_foundation_fixtures import *  # noqa: F403
from wecom_foundation_fixtures import CORP_ID, SECRETS

from scrm.sdk.testing import ADMIN_PASSWORD, follow_menu

pytestmark = pytest.mark.browser


def test_an_admin_sets_up_an_account_on_a_phone(chromium, live_server, tenant, enable_plugins, make_user,
                                                wecom_sandbox):
    enable_plugins(tenant, "wecom")
    make_user("boss@acme.test", tenant, role="tenant_admin")
    context = chromium.new_context(base_url=live_server, viewport={"width": 375, "height": 740}, locale="en-US")
    page = context.new_page()
    page.set_default_timeout(15_000)
    try:
        page.goto("/login")
        page.fill("input[name=email]", "boss@acme.test")
        page.fill("input[name=password]", ADMIN_PASSWORD)
        page.click("button[type=submit]")
        page.goto("/t/acme/")
        follow_menu(page, "wecom.index")
        page.click("[data-testid=add-account]")
        page.fill("#f-name", "Acme WeCom")
        page.fill("#f-corp_id", CORP_ID)
        page.fill("#f-agent_id", "1000002")
        page.fill("#f-agent_secret", SECRETS["agent"])
        page.fill("#f-contact_secret", "a-wrong-contact-secret")
        page.fill("#f-api_base", wecom_sandbox[0])
        previous = page.input_value("#f-encoding_aes_key")
        page.click("[data-testid=generate-aes-key]")
        key = page.input_value("#f-encoding_aes_key")
        assert re.fullmatch(r"[A-Za-z0-9]{43}", key) and key != previous
        assert page.input_value("#f-name") == "Acme WeCom"
        width = page.evaluate("document.documentElement.scrollWidth")
        assert width <= 375, f"the form is {width}px wide on a 375px screen"
        page.click("[data-testid=save-account]")
        page.wait_for_selector(".flash-success")
        assert re.search(r"/callbacks/wecom/\d+$", page.inner_text("[data-testid=callback-url]"))
        page.click("[data-testid=check-credentials]")
        page.wait_for_selector("[data-testid=last-error]")
        assert "40001" in page.inner_text("[data-testid=check-contact]")
        assert "works" in page.inner_text("[data-testid=check-agent]")
        width = page.evaluate("document.documentElement.scrollWidth")
        assert width <= 375, f"the account page is {width}px wide on a 375px screen"
    finally:
        context.close()
