# ruff: noqa: F811  (pytest fixtures imported from the area helper module are redefined as test arguments)
"""The condition builder in headless Chromium (CSRF on): conditions of different families added and removed, the
value widget follows the type (month/day inputs for a birthday range, a number range for age), the live count
follows every change, a bad range shows its message, the saved segment holds exactly the matching customers, and
the editor fits a 375 px phone in Chinese."""

from __future__ import annotations

import pytest
from members_customers_fixtures import acme, customer  # noqa: F401
from scrm_members.segments.models import Segment, SegmentCategory, SegmentMember
from sqlmodel import select

from scrm.sdk.testing import ADMIN_PASSWORD

pytestmark = pytest.mark.browser


@pytest.fixture
def boss(make_user, acme):
    return make_user("boss@acme.test", acme, role="tenant_admin")


def sign_in(page, email: str, language: str = "en") -> None:
    page.goto("/login")
    page.fill("input[name=email]", email)
    page.fill("input[name=password]", ADMIN_PASSWORD)
    with page.expect_navigation():
        page.click("button[type=submit]")
    page.goto(f"/lang/{language}")


def estimate_reads(page, text: str) -> None:
    page.locator("#estimate", has_text=text).wait_for(timeout=10_000)



def add_condition(page, form, index: int) -> None:
    """Adds a row and waits until htmx has processed it: a type chosen before that would change nothing."""
    form.locator("[data-testid=add-condition]").click()
    page.wait_for_function("(name) => { const el = document.querySelector(`select[name=${name}]`);"
                           " return !!(el && el['htmx-internal-data']); }", arg=f"c{index}_type", timeout=30000)

def test_build_a_segment_with_a_live_count(page, boss, acme, customer, db):
    women = [customer(acme, f"W{i}", gender=2, attributes={"birthday": f"199{i}-03-1{i}"}) for i in range(3)]
    customer(acme, "W old", gender=2, attributes={"birthday": "1950-03-10"})
    customer(acme, "M", gender=1, attributes={"birthday": "1991-03-11"})
    db.add(SegmentCategory(tenant_id=acme.id, kind="dynamic", name="Basic"))
    db.commit()
    sign_in(page, boss.email)
    page.goto("/t/acme/members/segments/new?kind=dynamic")
    form = page.locator("[data-testid=segment-form]")
    form.locator("input[name=name]").fill("March women under 40")
    form.locator("[data-testid=category-select]").select_option(label="Basic")
    rows = form.locator("[data-testid=condition-row]")

    rows.nth(0).locator("select[name=c0_type]").select_option("gender")
    rows.nth(0).locator("[data-testid=condition-values-0] > summary").click()
    rows.nth(0).locator("input[value='2']").check()
    page.keyboard.press("Escape")  # closes the dropdown
    estimate_reads(page, "Estimated: 4 customers")

    add_condition(page, form, 1)
    rows.nth(1).locator("select[name=c1_type]").select_option("birthday_range")
    rows.nth(1).locator("input[name=c1_from]").fill("03-01")
    rows.nth(1).locator("input[name=c1_to]").fill("03-31")
    rows.nth(1).locator("input[name=c1_to]").dispatch_event("change")
    estimate_reads(page, "Estimated: 4 customers")

    add_condition(page, form, 2)
    rows.nth(2).locator("select[name=c2_type]").select_option("age")
    rows.nth(2).locator("input[name=c2_min]").fill("50")
    rows.nth(2).locator("input[name=c2_max]").fill("40")
    rows.nth(2).locator("input[name=c2_max]").dispatch_event("change")
    estimate_reads(page, "above the maximum")
    rows.nth(2).locator("input[name=c2_min]").fill("")
    rows.nth(2).locator("input[name=c2_min]").dispatch_event("change")
    estimate_reads(page, "Estimated: 3 customers")

    add_condition(page, form, 3)
    rows.nth(3).locator("select[name=c3_type]").select_option("nickname")
    assert rows.count() == 4
    rows.nth(3).locator("[data-remove-closest]").click()
    assert rows.count() == 3

    with page.expect_navigation():
        form.locator("button[type=submit]").click()
    db.commit()
    segment = db.exec(select(Segment).where(Segment.name == "March women under 40")).one()
    members = set(db.exec(select(SegmentMember.customer_id).where(SegmentMember.segment_id == segment.id)))
    db.commit()
    assert members == {w.id for w in women}
    assert len(segment.rule["conditions"]) == 3


def test_the_builder_fits_a_phone_in_chinese(chromium, live_server, boss, acme, customer):
    customer(acme, "Anna", gender=2)
    context = chromium.new_context(base_url=live_server, viewport={"width": 375, "height": 740}, locale="zh-CN")
    page = context.new_page()
    try:
        sign_in(page, boss.email, "zh_CN")
        page.goto("/t/acme/members/segments/new?kind=dynamic")
        page.locator("select[name=c0_type]").select_option("birthday_range")
        page.locator("input[name=c0_from]").wait_for()
        assert "从（月-日）" in page.locator("[data-testid=condition-row]").inner_text()
        page.locator("input[name=c0_from]").fill("13-01")
        page.locator("input[name=c0_from]").dispatch_event("change")
        estimate_reads(page, "不是有效的月日")
        assert page.evaluate("document.documentElement.scrollWidth") <= 375
    finally:
        context.close()
