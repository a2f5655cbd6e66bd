# ruff: noqa: F811  (pytest fixtures imported from the area helper module are redefined as test arguments)
"""The customer list's count line at scale: exact while at most ``EXACT_COUNT_LIMIT`` customers match, "more than N"
above it (bounded work, no member split), and the exact line on demand through the count fragment or
``count=exact``. Keyset pagination, bulk actions and the data scope stay as they were; another tenant never counts."""

from __future__ import annotations

import pytest
from members_customers_fixtures import acme, admin, customer, employee, signin  # noqa: F401
from scrm_members.customers import listing

LIST = "/t/acme/members/customers/"
COUNT = "/t/acme/members/customers/count"


@pytest.fixture
def small_limit(monkeypatch):
    """Count exactly up to 3 customers only."""
    monkeypatch.setattr(listing, "EXACT_COUNT_LIMIT", 3)
    return 3


@pytest.fixture
def five(acme, customer, other_tenant):
    """Five customers of acme (two members) and four of another tenant."""
    made = [customer(acme, f"C{i}", is_member=i < 2) for i in range(5)]
    for i in range(4):
        customer(other_tenant, f"Globex {i}", is_member=True)
    return made


def count_text(page: str) -> str:
    return page.split('data-testid="customer-count">', 1)[1].split("</p>", 1)[0]


def test_up_to_the_limit_the_line_is_exact(client, admin, five, monkeypatch):
    monkeypatch.setattr(listing, "EXACT_COUNT_LIMIT", 5)
    page = client.get(LIST).get_data(as_text=True)
    assert "5 customers (members 2, non-members 3)" in count_text(page)
    assert 'data-testid="count-exactly"' not in page and "All 5 matching customers" in page


def test_above_the_limit_the_line_says_more_than_and_offers_the_exact_count(client, admin, five, small_limit):
    page = client.get(LIST).get_data(as_text=True)
    line = count_text(page)
    assert "More than 3 customers match." in line and "members" not in line.split("<a", 1)[0]
    assert 'data-testid="count-exactly"' in line and 'hx-get="/t/acme/members/customers/count' in line
    assert "All matching customers (more than 3)" in page
    # a filter under the limit is exact again
    members = count_text(client.get(LIST, query_string={"f_member": "true"}).get_data(as_text=True))
    assert "2 customers (members 2, non-members 0)" in members


def test_the_count_fragment_gives_the_exact_line_for_the_filter(client, admin, five, small_limit):
    response = client.get(COUNT)
    assert response.status_code == 200
    fragment = response.get_data(as_text=True)
    assert "5 customers (members 2, non-members 3)" in fragment and "<html" not in fragment
    non_members = client.get(COUNT, query_string={"f_member": "false"}).get_data(as_text=True)
    assert "3 customers (members 0, non-members 3)" in non_members


def test_the_no_script_link_shows_the_list_with_the_exact_count(client, admin, five, small_limit):
    page = client.get(LIST).get_data(as_text=True)
    href = count_text(page).split('href="', 1)[1].split('"', 1)[0].replace("&amp;", "&")
    assert href.endswith("count=exact")
    exact = client.get(href).get_data(as_text=True)
    assert "5 customers (members 2, non-members 3)" in count_text(exact)
    # the bulk form carries the filter, not the counting mode
    assert 'name="filter_qs" value=""' in exact


def test_keyset_pages_keep_the_capped_line_and_stay_correct(client, admin, acme, customer, small_limit):
    for i in range(55):
        customer(acme, f"K{i:02d}")
    first = client.get(LIST).get_data(as_text=True)
    assert "More than 3 customers match." in count_text(first)
    after = first.split('data-testid="next-page" href="')[1].split('"')[0].replace("&amp;", "&")
    second = client.get(after).get_data(as_text=True)
    assert "More than 3 customers match." in count_text(second)
    shown = {f"K{i:02d}" for i in range(55) if f">K{i:02d}</a>" in second}
    assert shown == {f"K{i:02d}" for i in range(5)}


def test_a_bad_filter_value_is_reported_by_the_fragment(client, admin, five):
    response = client.get(COUNT, query_string={"f_tag": "not-a-number"})
    assert response.status_code == 400


def test_the_count_respects_the_users_data_scope(client, acme, customer, employee, make_user, signin, small_limit):
    ivy = employee(acme, "Ivy")
    for i in range(2):
        customer(acme, f"Mine {i}", owner_employee_id=ivy.id)
    for i in range(5):
        customer(acme, f"Theirs {i}")
    signin(make_user("ivy@acme.test", acme, role="operator", scope="mine", employee_id=ivy.id))
    assert "2 customers (members 0, non-members 2)" in count_text(client.get(LIST).get_data(as_text=True))
    assert "2 customers (members 0, non-members 2)" in client.get(COUNT).get_data(as_text=True)


def test_another_tenants_customers_never_count(client, admin, five, other_tenant, small_limit):
    fragment = client.get(COUNT).get_data(as_text=True)
    assert "5 customers (members 2, non-members 3)" in fragment
    # globex's list is not reachable with acme's session, and its customers never enter acme's count
    assert client.get("/t/globex/members/customers/count").status_code in (302, 403, 404)


def test_count_line_reads_at_most_limit_plus_one_rows(db, acme, five):
    from sqlmodel import select

    from scrm.core.models import Customer

    where = Customer.tenant_id == acme.id
    assert listing.count_line(db, where, limit=5) == listing.CountLine(5, 2, 3)
    assert listing.count_line(db, where, limit=4) == listing.CountLine(4)
    assert not listing.count_line(db, where, limit=4).exact
    assert listing.count_line(db, Customer.id.in_(select(Customer.id).where(Customer.name == "none")),
                              limit=0) == listing.CountLine(0, 0, 0)


@pytest.mark.browser
def test_count_exactly_swaps_the_line_in_place_on_a_phone(chromium, live_server, make_user, acme, five, small_limit):
    from scrm.sdk.testing import ADMIN_PASSWORD

    boss = make_user("boss@acme.test", acme, role="tenant_admin")
    context = chromium.new_context(base_url=live_server, viewport={"width": 375, "height": 740}, locale="en-US")
    page = context.new_page()
    try:
        page.goto("/login")
        page.fill("input[name=email]", boss.email)
        page.fill("input[name=password]", ADMIN_PASSWORD)
        with page.expect_navigation():
            page.click("button[type=submit]")
        page.goto("/lang/en")
        page.goto(LIST)
        line = page.locator("[data-testid=customer-count]")
        assert "More than 3 customers match." in line.inner_text()
        box = line.bounding_box()
        assert box is not None and box["x"] + box["width"] <= 375
        page.click("[data-testid=count-exactly]")
        page.wait_for_selector("[data-testid=customer-count]:has-text('5 customers')")
        assert "5 customers (members 2, non-members 3)" in line.inner_text()
        assert page.url.endswith("/members/customers/")  # swapped in place, no reload
    finally:
        context.close()
