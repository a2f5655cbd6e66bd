"""End to end in headless Chromium (Playwright driving Debian's /usr/bin/chromium)."""

from __future__ import annotations

import pytest

from scrm.sdk.testing import ADMIN_PASSWORD, follow_menu

pytestmark = pytest.mark.browser


def sign_in(page, email: str) -> None:
    page.goto("/login")
    page.fill("input[name=email]", email)
    page.fill("input[name=password]", ADMIN_PASSWORD)
    with page.expect_navigation():
        page.click("button[type=submit]")


def test_admin_enables_example_plugin_and_sees_its_menu_item(page, admin_user, tenant, db):
    from scrm.core.models import Role
    from scrm.core.services.users import add_member

    add_member(db, db.merge(tenant), db.merge(admin_user), Role.TENANT_ADMIN)
    db.commit()
    sign_in(page, admin_user.email)
    page.goto("/t/acme/")
    assert page.locator("nav.sidebar").inner_text().count("Notes") == 0

    page.goto("/t/acme/plugins")
    page.locator("tr[data-plugin=example] button[data-action=enable]").click()
    page.wait_for_selector(".flash-success")

    page.goto("/t/acme/")
    menu = page.locator("nav.sidebar a[data-endpoint='example.index']")
    assert menu.text_content() == "Notes"
    follow_menu(page, "example.index")
    assert page.url.endswith("/t/acme/example/")


def test_wrong_password_shows_an_error_in_the_page(page, admin_user):
    page.goto("/login")
    page.fill("input[name=email]", admin_user.email)
    page.fill("input[name=password]", "not-the-password")
    with page.expect_navigation():
        page.click("button[type=submit]")
    assert page.locator("[data-testid=login-error]").is_visible()


def test_plugin_catalogue_and_language_switch(page, admin_user, tenant):
    sign_in(page, admin_user.email)
    page.goto("/admin/plugins")
    assert page.locator("[data-testid=plugin-catalogue]").is_visible()
    page.click("a[data-lang=zh_CN]")
    assert page.locator("html").get_attribute("lang") == "zh-CN"
    page.click("a[data-lang=en]")
    assert page.locator("html").get_attribute("lang") == "en"


def test_tenant_pages_fit_a_phone_screen(chromium, live_server, admin_user, tenant, db):
    from scrm.core.models import Role
    from scrm.core.services.users import add_member

    add_member(db, db.merge(tenant), db.merge(admin_user), Role.TENANT_ADMIN)
    db.commit()
    context = chromium.new_context(base_url=live_server, viewport={"width": 375, "height": 740}, locale="en-US")
    page = context.new_page()
    try:
        sign_in(page, admin_user.email)
        page.goto("/t/acme/customers")
        width = page.evaluate("document.documentElement.scrollWidth")
        assert width <= 375, f"page is {width}px wide on a 375px screen"
    finally:
        context.close()
