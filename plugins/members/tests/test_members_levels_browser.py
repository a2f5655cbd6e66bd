# ruff: noqa: F811  (pytest fixtures imported from the helper modules are redefined as test arguments)
"""Member levels and preferred products in headless Chromium: a level given from the profile (CSRF on), the
group profile's products re-sorted by htmx, and every new page fitting a 375px phone screen."""

from __future__ import annotations

import pytest
from members_levels_fixtures import give_level, level, line, manual_segment  # noqa: F401
from members_loyalty_fixtures import customer, loyalty_tenant, order  # noqa: F401

from scrm.sdk.testing import ADMIN_PASSWORD

pytestmark = pytest.mark.browser


@pytest.fixture
def boss(make_user, loyalty_tenant):
    return make_user("boss@acme.test", loyalty_tenant, role="tenant_admin")


def sign_in(page, email: str) -> None:
    page.goto("/login")
    page.fill("input[name=email]", email)
    page.fill("input[name=password]", ADMIN_PASSWORD)
    with page.expect_navigation():
        page.click("button[type=submit]")
    page.goto("/lang/en")


def test_a_level_is_given_from_the_profile_and_products_sort_in_place(page, boss, loyalty_tenant, level, customer,
                                                                     order, line, manual_segment):
    gold = level(loyalty_tenant, "Gold")
    anna, ben = customer(loyalty_tenant, "Anna"), customer(loyalty_tenant, "Ben")
    line(order(anna, 30.0), "SKU-A", quantity=3, paid=30.0)
    line(order(ben, 50.0), "SKU-B", quantity=1, paid=50.0)
    segment = manual_segment(loyalty_tenant, [anna, ben])
    sign_in(page, boss.email)
    page.goto(f"/t/acme/members/customers/{anna.id}")
    page.click("[data-testid=set-level]")
    page.select_option("[data-testid=level-select]", str(gold.id))
    page.check("input[name=validity][value=permanent]")
    page.click("button.primary")
    page.wait_for_selector("[data-testid=member-level]")
    assert "Gold" in page.locator("[data-testid=member-level]").inner_text()
    page.goto(f"/t/acme/members/segments/{segment.id}")
    rows = page.locator("[data-testid=segment-products-table] tbody tr")
    assert rows.first.get_attribute("data-product") == "SKU-A"  # equal buyers: by code
    page.click("[data-testid=segment-products-table] th a:has-text('Amount (yuan)')")
    page.wait_for_function("() => document.querySelector('[data-testid=segment-products-table] tbody tr')"
                           ".dataset.product === 'SKU-B'")
    assert f"/segments/{segment.id}" in page.url and "pp_sort" not in page.url  # replaced in place by htmx


def test_the_new_pages_fit_a_phone_screen(chromium, live_server, boss, loyalty_tenant, level, give_level, customer,
                                          order, line, manual_segment):
    gold = level(loyalty_tenant, "钻石卡会员", months=12)
    anna = customer(loyalty_tenant, "Anna")
    give_level(anna, gold)
    line(order(anna, 30.0), "SKU-A", quantity=3, paid=30.0, name="A rather long product name for a small screen")
    segment = manual_segment(loyalty_tenant, [anna])
    context = chromium.new_context(base_url=live_server, viewport={"width": 375, "height": 740}, locale="en-US")
    page = context.new_page()
    try:
        sign_in(page, boss.email)
        for path in ("/t/acme/members/levels/", "/t/acme/members/levels/new", f"/t/acme/members/levels/{gold.id}/edit",
                     f"/t/acme/members/customers/{anna.id}",
                     f"/t/acme/members/customers/{anna.id}/edit", f"/t/acme/members/segments/{segment.id}",
                     "/t/acme/members/orders/import"):
            response = page.goto(path)
            assert response.status == 200, path
            width = page.evaluate("document.documentElement.scrollWidth")
            assert width <= 375, f"{path} is {width}px wide on a 375px screen"
        page.goto(f"/t/acme/members/customers/{anna.id}")  # the level form opens by POST from the profile
        with page.expect_navigation():
            page.locator("[data-testid=set-level]").click()
        assert "/levels/assign" in page.url and page.evaluate("document.documentElement.scrollWidth") <= 375
    finally:
        context.close()
