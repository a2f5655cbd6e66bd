"""The Unassigned tab on a 375px phone in headless Chromium: an employee claims a customer after the confirmation;
an admin assigns with the preview dialog."""

from __future__ import annotations

import pytest
from wecom_assignment_fixtures import *  # noqa: F403
from wecom_assignment_fixtures import employee, owner_of, pool_customers

from scrm.sdk.testing import ADMIN_PASSWORD

pytestmark = pytest.mark.browser


def _sign_in(chromium, live_server, email):
    context = chromium.new_context(base_url=live_server, viewport={"width": 375, "height": 740}, locale="en-US")
    page = context.new_page()
    page.set_default_timeout(15_000)
    page.goto("/login")
    page.fill("input[name=email]", email)
    page.fill("input[name=password]", ADMIN_PASSWORD)
    with page.expect_navigation():
        page.click("button[type=submit]")
    return context, page


def _fits(page):
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= 375, f"the page is {width}px wide on a 375px screen"


def test_claim_and_assign_on_a_phone(chromium, live_server, db, tenant, assignment_corp, make_user):
    pool = pool_customers(db, tenant, members=1, non_members=2)
    amy, ben = employee(db, tenant.id, "amy"), employee(db, tenant.id, "ben")
    make_user("amy@acme.test", tenant, role="employee", scope="mine", employee_id=amy.id)
    make_user("boss@acme.test", tenant, role="tenant_admin")
    context, page = _sign_in(chromium, live_server, "amy@acme.test")
    try:
        page.goto("/t/acme/wecom/assignment/")
        _fits(page)
        dialogs = []
        page.on("dialog", lambda d: (dialogs.append(d.message), d.accept()))
        page.click(f"tr[data-customer-id='{pool[0].id}'] button")
        page.wait_for_selector(".flash-success")
        assert dialogs and pool[0].name in dialogs[0]
        assert owner_of(db, pool[0].id) == amy.id
    finally:
        context.close()
    context, page = _sign_in(chromium, live_server, "boss@acme.test")
    try:
        page.goto("/t/acme/wecom/assignment/")
        for customer in pool[1:]:
            page.check(f"tr[data-customer-id='{customer.id}'] input[type=checkbox]")
        dropdown = page.locator("[data-testid=assign-to]")  # a checkbox dropdown, not a Ctrl-click listbox
        dropdown.locator("summary").click()
        dropdown.locator(f"input[value='{amy.id}']").check()
        dropdown.locator(f"input[value='{ben.id}']").check()
        assert dropdown.locator("summary").inner_text().strip() == f"{amy.name}, {ben.name}"
        page.click("text=Assign customers")
        assert "Selected records 2, selected members 2, expected to assign 2" in page.inner_text(
            "[data-testid=assign-preview]")
        _fits(page)
        page.click("text=Auto distribute")
        page.wait_for_selector(".flash-success")
        assert {owner_of(db, c.id) for c in pool[1:]} == {amy.id, ben.id}
        _fits(page)
    finally:
        context.close()
