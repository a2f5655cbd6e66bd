# ruff: noqa: F811  (pytest fixtures imported from the area helper module are redefined as test arguments)
"""The customer list's filters, bulk blacklist confirmation and the segment form's inline category in headless
Chromium (CSRF on): checkbox dropdowns behind "more filters" submit the same parameters, close on Escape and on an
outside click; the list's bulk blacklist confirms with the count; "+ New category" reveals its name field."""

from __future__ import annotations

from urllib.parse import parse_qs, urlparse

import pytest
from members_customers_fixtures import acme, customer  # noqa: F401
from scrm_members.segments.models import BlacklistEntry, Segment, SegmentCategory
from sqlmodel import select

from scrm.sdk.testing import ADMIN_PASSWORD

pytestmark = pytest.mark.browser


@pytest.fixture
def boss(make_user, acme):
    return make_user("boss@acme.test", acme, role="tenant_admin")


def sign_in(page, email: str) -> None:
    page.goto("/login")
    page.fill("input[name=email]", email)
    page.fill("input[name=password]", ADMIN_PASSWORD)
    with page.expect_navigation():  # signing in starts a new session: choose the language after it
        page.click("button[type=submit]")
    page.goto("/lang/en")


def test_source_dropdown_behind_more_filters_filters_the_list(page, boss, acme, customer):
    customer(acme, "Anna", source="import")
    customer(acme, "Ben", source="manual")
    customer(acme, "Cleo", source="wecom")
    sign_in(page, boss.email)
    page.goto("/t/acme/members/customers/")
    more = page.locator("[data-testid=more-filters]")
    dropdown = page.locator("[data-testid=filter-source]")
    assert not dropdown.is_visible()  # behind "more filters"
    more.locator("> summary").click()
    dropdown.locator("> summary").click()
    panel = dropdown.locator(".check-dropdown-panel")
    assert panel.is_visible()
    page.keyboard.press("Escape")
    assert not panel.is_visible()
    dropdown.locator("> summary").click()
    dropdown.locator("input[value=import]").check()
    dropdown.locator("input[value=manual]").check()
    assert dropdown.locator(".check-dropdown-summary").inner_text() == "Imported, Manually created"
    page.locator("h1").click()  # an outside click closes it
    assert not panel.is_visible()
    with page.expect_navigation():
        page.locator("[data-testid=customer-filter] button[type=submit]").click()
    assert parse_qs(urlparse(page.url).query)["f_source"] == ["import", "manual"]
    names = page.locator("[data-testid=customer-list] tbody tr td:nth-child(2) a").all_inner_texts()
    assert sorted(names) == ["Anna", "Ben"]
    assert page.locator("[data-testid=more-filters]").get_attribute("open") is not None


def test_filters_fit_a_phone_in_chinese(chromium, live_server, boss, acme, customer):
    customer(acme, "Anna", source="import")
    context = chromium.new_context(base_url=live_server, viewport={"width": 375, "height": 740}, locale="zh-CN")
    page = context.new_page()
    try:
        sign_in(page, boss.email)
        page.goto("/lang/zh_CN")
        page.goto("/t/acme/members/customers/")
        page.locator("[data-testid=more-filters] > summary").click()
        page.locator("[data-testid=filter-source] summary").click()
        assert page.locator("[data-testid=more-filters] > summary").inner_text() == "更多筛选"
        assert page.evaluate("document.documentElement.scrollWidth") <= 375
    finally:
        context.close()


def test_bulk_blacklist_confirms_with_the_count(page, boss, acme, customer, db):
    anna, ben = customer(acme, "Anna"), customer(acme, "Ben")
    customer(acme, "Cleo")
    sign_in(page, boss.email)
    page.goto("/t/acme/members/customers/")
    for person in (anna, ben):
        page.check(f"tr[data-customer-id='{person.id}'] input[type=checkbox]")
    with page.expect_navigation():
        page.click("[data-testid=bulk-blacklist]")
    assert "/blacklist/add" in page.url and "csrf_token" not in page.url
    assert "Add these 2 customers to the blacklist?" in page.locator("[data-testid=blacklist-confirm]").inner_text()
    db.commit()
    assert db.exec(select(BlacklistEntry)).all() == []
    page.fill("[data-testid=blacklist-add] input[name=reason]", "Coupon abuse")
    with page.expect_navigation():
        page.click("[data-testid=blacklist-confirm-button]")
    db.commit()
    assert {e.customer_id for e in db.exec(select(BlacklistEntry)).all()} == {anna.id, ben.id}


def test_a_segment_is_saved_with_a_new_category_from_the_form(page, boss, acme, db):
    db.add(SegmentCategory(tenant_id=acme.id, kind="dynamic", name="Existing"))
    db.commit()
    sign_in(page, boss.email)
    page.goto("/t/acme/members/segments/new?kind=dynamic")
    form = page.locator("[data-testid=segment-form]")
    name_field = form.locator("[data-testid=new-category]")
    assert not name_field.is_visible()  # shown only for "+ New category…"
    form.locator("input[name=name]").fill("Members")
    form.locator("[data-testid=category-select]").select_option("new")
    assert name_field.is_visible()
    name_field.fill("Campaigns")
    form.locator("select[name=c0_type]").select_option("member")
    form.locator("select[name=c0_values]").select_option("true")
    with page.expect_navigation():
        form.locator("button[type=submit]").click()
    db.commit()
    segment = db.exec(select(Segment).where(Segment.name == "Members")).one()
    category = db.exec(select(SegmentCategory).where(SegmentCategory.id == segment.category_id)).one()
    assert category.name == "Campaigns"
