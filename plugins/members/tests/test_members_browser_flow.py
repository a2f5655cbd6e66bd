"""The members plugin end to end in headless Chromium, through its real pages only.

After the setup (a tenant, its admin, the plugin enabled) every change goes through the UI: an operator creates a
customer, tags it, builds a dynamic segment on that tag, refreshes the home dashboard (a job on the bus), and the
customer pages fit a phone screen and render in Chinese.

Screenshots: set ``SCRM_TEST_SCREENSHOTS=/some/dir`` to save the pages the tests visit (desktop and 375 px wide).
"""

from __future__ import annotations

import os
import re
from pathlib import Path

import pytest
from flask_babel import force_locale, gettext

from scrm.sdk.testing import ADMIN_PASSWORD, follow_menu

pytestmark = pytest.mark.browser

PHONE = {"width": 375, "height": 740}
TENANT = "/t/acme"


@pytest.fixture
def admin(tenant, enable_plugins, make_user):
    """The tenant admin of "acme", with the members plugin enabled for the tenant."""
    enable_plugins(tenant, "members")
    return make_user("owner@acme.test", tenant, role="tenant_admin")


@pytest.fixture
def phone_page(chromium, live_server):
    context = chromium.new_context(base_url=live_server, viewport=PHONE, locale="en-US")
    page = context.new_page()
    page.set_default_timeout(15_000)
    yield page
    context.close()


def shoot(page, name: str) -> None:
    """Save a full-page screenshot when ``SCRM_TEST_SCREENSHOTS`` names a folder."""
    folder = os.environ.get("SCRM_TEST_SCREENSHOTS")
    if folder:
        Path(folder).mkdir(parents=True, exist_ok=True)
        page.wait_for_timeout(1200)  # let Chart.js finish its entry animation
        page.screenshot(path=str(Path(folder) / f"{name}.png"), full_page=True)


def page_width(page) -> int:
    return page.evaluate("document.documentElement.scrollWidth")


def sign_in(page, email: str) -> None:
    page.goto("/login")
    page.fill("input[name=email]", email)
    page.fill("input[name=password]", ADMIN_PASSWORD)
    with page.expect_navigation():
        page.click("button[type=submit]")
    page.wait_for_url(re.compile(r".*/(t/acme/)?$"))


def open_menu(page, endpoint: str) -> None:
    """Follow the sidebar entry of ``endpoint`` from the tenant home."""
    page.goto(f"{TENANT}/")
    follow_menu(page, endpoint)


def create_customer(page, name: str, mobile: str) -> int:
    """Fill the "new customer" form from the customer list; returns the new customer's id from its profile URL."""
    open_menu(page, "members.customers.index")
    page.click("[data-testid=new-customer]")
    form = page.locator("[data-testid=customer-form]")
    form.locator("input[name=name]").fill(name)
    form.locator("input[name=mobiles]").first.fill(mobile)
    form.locator("button[type=submit]").click()
    page.wait_for_url(re.compile(r".*/members/customers/\d+$"))
    assert page.locator("[data-testid=customer-name]").inner_text() == name
    return int(page.url.rsplit("/", 1)[1])


def refresh_dashboard(page, worker) -> None:
    """Press "Refresh" on the dashboard, let the worker run the job, and show the page again."""
    page.click("[data-testid=dashboard-refresh]")
    page.wait_for_selector(".flash-success")
    worker.join()
    page.reload()


def test_operator_tags_a_new_customer_segments_it_and_sees_the_dashboard_count_it(page, admin, worker):
    sign_in(page, admin.email)

    # 1. a customer created through the form shows up in the list
    customer_id = create_customer(page, "Lin Xiaohua", "13800138000")
    open_menu(page, "members.customers.index")
    row = page.locator(f"[data-testid=customer-list] tr[data-customer-id='{customer_id}']")
    assert "Lin Xiaohua" in row.inner_text()
    assert "138****8000" in row.inner_text()  # tenants mask mobiles in lists by default
    assert page.locator("[data-testid=customer-count]").inner_text().startswith("1 ")
    shoot(page, "customer-list-desktop")

    # 2. a tag category and a tag on the tags page, then the list's bulk action tags the customer
    open_menu(page, "members.segments.tags")
    category_form = page.locator("[data-testid=category-form]")
    category_form.locator("input[name=name]").fill("Skin type")
    category_form.locator("button[type=submit]").click()
    page.wait_for_selector(".flash-success")
    assert "Skin type" in page.locator("[data-testid=category-tree]").inner_text()
    page.click("[data-testid=new-tags]")
    tag_form = page.locator("[data-testid=tag-form]")
    tag_form.locator("select[name=category_id]").select_option(label="Skin type")
    tag_form.locator("input[name=name]").first.fill("Dry skin")
    tag_form.locator("button[type=submit]").click()
    page.wait_for_selector(".flash-success")
    tag_row = page.locator("[data-testid=tag-list] tr", has_text="Dry skin")
    tag_id = tag_row.get_attribute("data-tag-id")
    assert tag_id and tag_row.locator("[data-testid=tagged-people]").inner_text() == "0"

    open_menu(page, "members.customers.index")
    page.check(f"input[name=customer_id][value='{customer_id}']")
    page.click("[data-testid=bulk-tag]")
    bulk_form = page.locator("[data-testid=bulk-tag-form]")
    assert bulk_form.locator("[data-testid=selected-count]").inner_text().startswith("1 ")
    # the tag is in the manual tab and, created by this user, in the personal tab too: tick it in the open tab
    bulk_form.locator(f"#tag-panel-manual input[name=tag_id][value='{tag_id}']").check()
    assert bulk_form.locator("[data-testid=chosen-count]").inner_text() == "Selected tags: 1"
    bulk_form.locator("button[type=submit]").click()
    page.wait_for_selector(".flash-success")
    page.click(f"[data-testid=customer-list] tr[data-customer-id='{customer_id}'] a >> nth=0")
    assert page.locator("[data-testid=tags]").inner_text().strip() == "Dry skin"
    shoot(page, "customer-profile-desktop")

    # 3. a dynamic segment on that tag: saved, updated, and the customer is its one member
    open_menu(page, "members.segments.index")
    page.locator("[data-testid=segment-categories] input[name=name]").fill("Skin care")
    page.locator("[data-testid=segment-categories] button[type=submit]").click()
    page.wait_for_selector(".flash-success")
    page.click("[data-testid=new-segment]")
    form = page.locator("[data-testid=segment-form]")
    assert form.locator("input[name=kind]").input_value() == "dynamic"
    form.locator("input[name=name]").fill("Dry skin customers")
    form.locator("select[name=category_id]").select_option(label="Skin care")
    form.locator("select[name=c0_type]").select_option("tag")
    values = form.locator("[data-testid=condition-values-0]")  # swapped in by htmx once the type is chosen
    values.locator("summary").click()  # a checkbox dropdown, not a Ctrl-click listbox
    values.locator(f"input[value='{tag_id}']").check()
    form.locator("[data-testid=estimate]").click()
    page.wait_for_function("() => document.getElementById('estimate').textContent.includes('1')")
    form.locator("button[type=submit]").click()
    page.wait_for_url(re.compile(r".*/members/segments/\d+$"))
    segment_url = page.url
    assert "Dry skin" in page.locator("[data-testid=rule-text]").inner_text()
    page.click("[data-testid=update]")
    page.wait_for_selector(".flash-success")
    assert page.locator("[data-testid=member-count]").inner_text() == "1"
    members = page.locator("[data-testid=segment-members] tbody tr[data-customer-id]")
    assert members.count() == 1
    assert members.first.get_attribute("data-customer-id") == str(customer_id)
    assert "Lin Xiaohua" in members.first.inner_text()
    shoot(page, "segment-desktop")

    # 4. the dashboard counts the customer after "Refresh", and a second customer after the next one
    open_menu(page, "tenant.dashboard")  # the statistics are on the home page
    refresh_dashboard(page, worker)
    assert page.locator("[data-testid=users]").inner_text() == "1"
    first_update = page.locator("[data-testid=updated-at]").inner_text()
    assert re.search(r"\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}", first_update), first_update

    create_customer(page, "Zhao Min", "13900139000")
    open_menu(page, "tenant.dashboard")  # the statistics are on the home page
    assert page.locator("[data-testid=users]").inner_text() == "1"  # the snapshot, until the next refresh
    refresh_dashboard(page, worker)
    assert page.locator("[data-testid=users]").inner_text() == "2"
    members_count = int(page.locator("[data-testid=members]").inner_text())
    non_members = int(page.locator("[data-testid=non-members]").inner_text())
    assert members_count + non_members == 2
    assert re.search(r"\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}", page.locator("[data-testid=updated-at]").inner_text())
    shoot(page, "dashboard-desktop")

    # the segment and the dashboard also fit a phone screen
    page.set_viewport_size(PHONE)
    page.reload()
    assert page_width(page) <= PHONE["width"], f"the dashboard is {page_width(page)}px wide on a 375px screen"
    shoot(page, "dashboard-phone")
    page.goto(segment_url)
    assert page_width(page) <= PHONE["width"], f"the segment is {page_width(page)}px wide on a 375px screen"
    shoot(page, "segment-phone")


def translated(app, message: str) -> str:
    """``message`` as the running app translates it for zh_CN (the host's and the plugins' catalogues)."""
    with app.test_request_context(), force_locale("zh_CN"):
        return gettext(message)


def test_customer_pages_fit_a_phone_and_render_in_chinese(phone_page, admin, app):
    page = phone_page
    sign_in(page, admin.email)
    customer_id = create_customer(page, "Lin Xiaohua", "13800138000")
    assert page_width(page) <= PHONE["width"], f"the profile is {page_width(page)}px wide on a 375px screen"
    shoot(page, "customer-profile-phone")

    page.goto(f"{TENANT}/members/customers/")
    assert page.locator(f"[data-testid=customer-list] tr[data-customer-id='{customer_id}']").is_visible()
    assert page_width(page) <= PHONE["width"], f"the list is {page_width(page)}px wide on a 375px screen"
    shoot(page, "customer-list-phone")

    page.click("a[data-lang=zh_CN]")
    page.wait_for_load_state()
    assert page.locator("html").get_attribute("lang") == "zh-CN"
    assert page.locator("[data-testid=customer-list]").is_visible()
    for label in ("Customers", "Sign out", "New customer"):
        expected = translated(app, label)
        assert expected in page.locator("body").inner_text(), f"{label!r} is not shown as {expected!r}"
    # the Chinese UI is really Chinese, in the words of the members catalogue
    assert page.locator("[data-testid=new-customer]").inner_text() == "新建客户"
    assert page.get_by_role("heading", level=1, name="客户", exact=True).is_visible()
    assert page.locator("nav.sidebar a[data-endpoint='members.segments.index']").text_content().strip() == "会员分组"
    body = page.locator("body").inner_text()
    assert "New customer" not in body and "Sign out" not in body
    assert page_width(page) <= PHONE["width"]
    shoot(page, "customer-list-phone-zh")

    page.click(f"[data-testid=customer-list] tr[data-customer-id='{customer_id}'] a >> nth=0")
    assert page.locator("[data-testid=customer-name]").inner_text() == "Lin Xiaohua"
    assert page.locator("[data-testid=basic-info] h2").inner_text() == "基本信息"
    assert page.locator("h2", has_text="客户动态").is_visible()
    assert page.get_by_role("link", name="编辑", exact=True).is_visible()
    assert page_width(page) <= PHONE["width"]
    shoot(page, "customer-profile-phone-zh")
