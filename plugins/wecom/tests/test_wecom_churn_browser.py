"""The churn pages in headless Chromium on a 375 px wide phone: the employee opens the "Retain" page of a churned
customer from the reminder, and an admin filters the churned list and saves the reminder settings."""

from __future__ import annotations

import pytest
from wecom_churn_fixtures import *  # noqa: F403
from wecom_churn_fixtures import churn, employee, losses
from wecom_foundation_fixtures import *  # noqa: F403
from wecom_sync_fixtures import *  # noqa: F403
from wecom_sync_fixtures import CORP_ID

from scrm.sdk.testing import ADMIN_PASSWORD

pytestmark = pytest.mark.browser


def no_horizontal_scroll(page) -> bool:
    return page.evaluate("document.documentElement.scrollWidth <= window.innerWidth + 1")


def sign_in(page, email: str) -> None:
    page.goto("/login")
    page.fill("input[name=email]", email)
    page.fill("input[name=password]", ADMIN_PASSWORD)
    with page.expect_navigation():
        page.click("button[type=submit]")


def test_the_retain_page_and_the_lists_work_on_a_phone(page, db, tenant, churn_account, make_user, wsgi_http, worker):
    from scrm.sdk import IdentityKind, match_or_create

    match_or_create(db, tenant.id, {IdentityKind.external_userid(CORP_ID): "wmAlice",
                                    IdentityKind.MOBILE: "13900000000"})
    db.commit()
    churn(wsgi_http, churn_account, "lisi", "wmAlice", at=1763600000)
    worker.join()
    loss = losses(db, tenant.id)[0]
    make_user("lisi@acme.test", tenant, role="employee", scope="mine", employee_id=employee(db, tenant.id, "lisi").id)
    make_user("admin@acme.test", tenant, role="tenant_admin")
    page.set_viewport_size({"width": 375, "height": 800})

    sign_in(page, "lisi@acme.test")
    page.goto(f"/t/acme/wecom/churn/retain/{loss.id}")
    assert "Alice" in page.inner_text("[data-testid=retain]")
    call = page.locator("[data-testid=retain-call]")
    assert call.get_attribute("href") == "tel:13900000000" and call.is_visible()
    assert call.bounding_box()["x"] + call.bounding_box()["width"] <= 375
    assert no_horizontal_scroll(page)

    page.goto("/t/acme/wecom/churn/deleted")
    assert page.is_visible("[data-testid=churn-scope]") and no_horizontal_scroll(page)

    page.context.clear_cookies()
    sign_in(page, "admin@acme.test")
    page.goto("/t/acme/wecom/churn/churned")
    page.fill("input[name=q]", "Ali")
    page.click("form[data-testid=churn-filter] button[type=submit]")
    page.wait_for_selector("[data-testid=churned-list] tr[data-loss-id]")
    assert "Alice" in page.inner_text("[data-testid=churned-list]")
    assert no_horizontal_scroll(page)

    page.goto("/t/acme/wecom/churn/churned/settings")
    page.check("input[name=enabled]")
    page.check("[data-field=employee_stages] label:has-text('02 意向客户') input")
    page.click("form[data-testid=churn-settings] button[type=submit]")
    page.wait_for_selector("[data-testid=churned-list]")
    assert no_horizontal_scroll(page)
    page.goto("/t/acme/wecom/churn/churned/settings")
    assert page.is_checked("[data-field=employee_stages] label:has-text('02 意向客户') input")
    assert page.is_checked("input[name=enabled]") and no_horizontal_scroll(page)
