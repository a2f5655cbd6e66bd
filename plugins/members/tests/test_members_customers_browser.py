# ruff: noqa: F811  (pytest fixtures imported from the area helper module are redefined as test arguments)
"""The customers pages in headless Chromium: a customer created through the form (CSRF on), and every page of the
area fits a 375px phone screen."""

from __future__ import annotations

import pytest
from members_customers_fixtures import acme, custom_field, customer  # noqa: F401

from scrm.sdk.testing import ADMIN_PASSWORD

pytestmark = pytest.mark.browser


@pytest.fixture
def boss(make_user, acme):
    return make_user("boss@acme.test", acme, role="tenant_admin")


def sign_in(page, email: str) -> None:
    page.goto("/login")
    page.fill("input[name=email]", email)
    page.fill("input[name=password]", ADMIN_PASSWORD)
    with page.expect_navigation():
        page.click("button[type=submit]")
    page.goto("/lang/en")


def test_a_customer_is_created_through_the_form(page, boss, acme):
    sign_in(page, boss.email)
    page.goto("/t/acme/members/customers/new")
    page.fill("input[name=name]", "Anna")
    page.fill("input[name=mobiles]", "1380000000")
    page.click("button.primary")
    assert page.locator("[data-testid=error-mobiles]").is_visible()
    page.fill("input[name=mobiles]", "13800000001")
    page.click("button.primary")
    page.wait_for_selector("[data-testid=customer-name]")
    assert page.locator("[data-testid=customer-name]").inner_text() == "Anna"
    page.goto("/t/acme/members/customers/")
    assert "1 customer (members 0, non-members 1)" in page.locator("[data-testid=customer-count]").inner_text()


def test_the_pages_fit_a_phone_screen(chromium, live_server, boss, acme, customer, custom_field):
    anna = customer(acme, "Anna", mobile="13800000001", attributes={"nickname": "Annie"})
    customer(acme, "Ben", mobile="13800000002")
    field = custom_field(acme, "尺码", "single_select", options=["S", "M"])
    context = chromium.new_context(base_url=live_server, viewport={"width": 375, "height": 740}, locale="en-US")
    page = context.new_page()
    try:
        sign_in(page, boss.email)
        for path in ("/t/acme/members/customers/", "/t/acme/members/customers/new",
                     f"/t/acme/members/customers/{anna.id}", f"/t/acme/members/customers/{anna.id}/edit",
                     "/t/acme/members/customers/fields", f"/t/acme/members/customers/fields/{field.id}/edit",
                     f"/t/acme/members/customers/merge?a={anna.id}&b=13800000002",
                     "/t/acme/members/customers/import"):
            response = page.goto(path)
            assert response.status == 200, path
            width = page.evaluate("document.documentElement.scrollWidth")
            assert width <= 375, f"{path} is {width}px wide on a 375px screen"
        page.goto(f"/t/acme/members/customers/{anna.id}")  # the transfer form opens by POST from the profile
        with page.expect_navigation():
            page.locator("form[action$='/bulk/transfer'] button").click()
        assert "/bulk/transfer" in page.url and page.evaluate("document.documentElement.scrollWidth") <= 375
    finally:
        context.close()
