"""Live codes and welcome messages in headless Chromium on a 375 px wide phone screen."""

from __future__ import annotations

import pytest
from wecom_livecodes_fixtures import *  # noqa: F403

from scrm.sdk.testing import ADMIN_PASSWORD

pytestmark = pytest.mark.browser


def sign_in(page, email: str) -> None:
    page.goto("/login")
    page.fill("input[name=email]", email)
    page.fill("input[name=password]", ADMIN_PASSWORD)
    with page.expect_navigation():
        page.click("button[type=submit]")


def no_horizontal_scroll(page) -> bool:
    return page.evaluate("document.documentElement.scrollWidth <= window.innerWidth + 1")


def test_an_operator_creates_a_live_code_and_a_welcome_on_a_phone(page, world, make_user, db):
    from wecom_materials_fixtures import make_material

    link = make_material(db, world.tenant, "link", title="Our shop", url="https://shop.example.com")
    make_user("phone@acme.test", world.tenant, role="operator")
    page.set_viewport_size({"width": 375, "height": 800})
    sign_in(page, "phone@acme.test")

    page.goto("/t/acme/wecom/livecodes/new")
    assert no_horizontal_scroll(page)
    page.fill("input[name=name]", "Shop window")
    page.check(f"input[name=employee_ids][value='{world.employees['zhangsan'].id}']")
    page.check("input[name=has_welcome]")
    page.fill("textarea[name='welcome-text']", "Hello {customer_name}")
    page.check(f"input[name='welcome-material_ids'][value='{link.id}']")  # picked from the material library
    assert "Our shop" in page.locator("[data-testid=message-form-welcome-] .phone-card").inner_text()
    page.click("form[data-testid=livecode-form] button[type=submit]")
    page.wait_for_selector("img[data-testid=livecode-qr]")
    page.wait_for_function("() => (() => { const img = document.querySelector('img[data-testid=livecode-qr]');"
                           " return img && img.complete && img.naturalWidth > 0; })()")
    assert page.evaluate("document.querySelector('img[data-testid=livecode-qr]').naturalWidth") == 258
    page.wait_for_function("() => window.Chart !== undefined")
    assert no_horizontal_scroll(page)

    page.goto("/t/acme/wecom/welcome/new")
    page.check(f"input[name=employee_ids][value='{world.employees['lisi'].id}']")
    page.fill("textarea[name=text]", "")
    page.click("form[data-testid=welcome-form] button[type=submit]")
    page.wait_for_selector("[data-error=text]")  # the 422 page shows the error in place
    page.fill("textarea[name=text]", "Hi, I am {employee_name}")
    page.click("form[data-testid=welcome-form] button[type=submit]")
    page.wait_for_selector("table[data-testid=welcome-list] tbody tr[data-welcome-id]")
    row = page.locator("table[data-testid=welcome-list] tbody tr").first
    assert "[1 item] Hi, I am {employee_name}" in row.inner_text()
    assert no_horizontal_scroll(page)
