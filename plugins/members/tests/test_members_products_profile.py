# ruff: noqa: F811  (pytest fixtures imported from the helper modules are redefined as test arguments)
"""Preferred products (spec A §3.3 tab 偏好商品, §5.7, acceptance 28): the customer profile's products by purchases,
the group profile's products with buyers and 购买率 = buyers / the group's customers (4 of 93 = 4.30%), quantity,
amount and amount per unit, sorting, name and category filters, paging, CSV and XLSX downloads, fully refunded and
unpaid orders left out, one SQL query per figure, and tenant isolation."""

from __future__ import annotations

import csv
import io

from members_levels_fixtures import line, manual_segment  # noqa: F401
from members_loyalty_fixtures import admin, customer, loyalty_tenant, order  # noqa: F401
from openpyxl import load_workbook
from scrm_members.loyalty import products
from sqlalchemy import event

from scrm.core.models import Customer


def group_of_93(db, tenant, order, line, manual_segment):
    """93 customers: 4 bought SKU-A (one of them twice), 11 bought SKU-B; outsiders and refunds do not count."""
    people = [Customer(tenant_id=tenant.id, name=f"C{i:02d}") for i in range(93)]
    db.add_all(people)
    db.commit()
    for person in people[:4]:
        line(order(person, 12.0), "SKU-A", quantity=2, paid=12.0, name="Lipstick", category="Makeup")
    line(order(people[0], 6.0), "SKU-A", quantity=1, paid=6.0, name="Lipstick", category="Makeup")
    for person in people[10:21]:
        line(order(person, 0.1), "SKU-B", quantity=1, paid=0.1, name="Sample", category="Gift")
    line(order(people[30], 50.0, refund=50.0), "SKU-C", paid=50.0)  # fully refunded
    line(order(people[31], 50.0, unpaid=True), "SKU-C", paid=50.0)  # never paid
    outsider = Customer(tenant_id=tenant.id, name="Outsider")
    db.add(outsider)
    db.commit()
    line(order(outsider, 10.0), "SKU-A", paid=10.0, name="Lipstick")
    return manual_segment(tenant, people, name="Ninety-three"), people


def test_the_purchase_rate_of_acceptance_28(db, loyalty_tenant, order, line, manual_segment):
    segment, _people = group_of_93(db, loyalty_tenant, order, line, manual_segment)
    data = products.segment_products(db, loyalty_tenant.id, segment.id)
    assert data.members == 93
    by_code = {p.code: p for p in data.rows}
    assert set(by_code) == {"SKU-A", "SKU-B"}
    a, b = by_code["SKU-A"], by_code["SKU-B"]
    assert (a.buyers, a.rate, a.quantity, a.amount, a.unit_price) == (4, "4.30", 9, "54.00", "6.00")
    assert (b.buyers, b.rate, b.quantity, b.amount, b.unit_price) == (11, "11.83", 11, "1.10", "0.10")
    assert [p.code for p in data.rows] == ["SKU-B", "SKU-A"]  # most buyers first
    by_quantity = products.segment_products(db, loyalty_tenant.id, segment.id, sort="quantity")
    assert [p.code for p in by_quantity.rows] == ["SKU-B", "SKU-A"]
    by_price = products.segment_products(db, loyalty_tenant.id, segment.id, sort="unit_price")
    assert [p.code for p in by_price.rows] == ["SKU-A", "SKU-B"]
    by_amount = products.segment_products(db, loyalty_tenant.id, segment.id, sort="amount", descending=False)
    assert [p.code for p in by_amount.rows] == ["SKU-B", "SKU-A"]
    assert [p.code for p in products.segment_products(db, loyalty_tenant.id, segment.id, name="lip").rows] == ["SKU-A"]
    assert [p.code for p in products.segment_products(db, loyalty_tenant.id, segment.id,
                                                      category="Gift").rows] == ["SKU-B"]
    paged = products.segment_products(db, loyalty_tenant.id, segment.id, limit=1)
    assert len(paged.rows) == 1 and paged.more
    assert products.segment_products(db, loyalty_tenant.id, segment.id, limit=1, page=2).more is False


def test_each_figure_is_one_query_whatever_the_group_size(db, loyalty_tenant, order, line, manual_segment):
    segment, _people = group_of_93(db, loyalty_tenant, order, line, manual_segment)
    statements = []

    def count(*args):
        statements.append(args[2])

    engine = db.get_bind()
    event.listen(engine, "before_cursor_execute", count)
    try:
        products.segment_products(db, loyalty_tenant.id, segment.id)
    finally:
        event.remove(engine, "before_cursor_execute", count)
    assert len([s for s in statements if s.lstrip().upper().startswith("SELECT")]) == 2


def test_the_group_profile_shows_sorts_filters_and_downloads_the_products(client, admin, db, loyalty_tenant, order,
                                                                         line, manual_segment):
    segment, _people = group_of_93(db, loyalty_tenant, order, line, manual_segment)
    url = f"/t/acme/members/segments/{segment.id}"
    page = client.get(url).get_data(as_text=True)
    assert 'data-testid="segment-products"' in page and "4.30%" in page and "11.83%" in page
    filtered = client.get(url, query_string={"pp_name": "sample"}).get_data(as_text=True)
    table = filtered.split('data-testid="segment-products-table"', 1)[1]
    assert "SKU-B" in table and "SKU-A" not in table
    fragment = client.get(f"{url}/products", query_string={"pp_sort": "amount", "pp_dir": "desc"},
                          headers={"HX-Request": "true"})
    body = fragment.get_data(as_text=True)
    assert fragment.status_code == 200 and body.lstrip().startswith('<div id="segment-products"')
    assert body.index('data-product="SKU-A"') < body.index('data-product="SKU-B"')
    plain = client.get(f"{url}/products", query_string={"pp_name": "lip"})
    assert plain.status_code == 302 and "pp_name=lip" in plain.headers["Location"]
    rows = list(csv.reader(io.StringIO(client.get(f"{url}/products.csv").get_data(as_text=True).lstrip("\ufeff"))))
    assert rows[0][:2] == ["Product code", "Product name"] and rows[1] == ["SKU-B", "Sample", "Gift", "11", "11",
                                                                           "11.83", "1.10", "0.10"]
    book = load_workbook(io.BytesIO(client.get(f"{url}/products.xlsx", query_string={"pp_category": "Makeup"}).data))
    assert [[c for c in r] for r in book.active.iter_rows(min_row=2, values_only=True)] == [
        ["SKU-A", "Lipstick", "Makeup", 9, 4, "4.30", "54.00", "6.00"]]


def test_another_tenants_segment_products_are_not_found(client, admin, db, loyalty_tenant, other_tenant, order,
                                                       line, manual_segment):
    theirs, _people = group_of_93(db, other_tenant, order, line, manual_segment)
    for path in ("", "/products", "/products.csv", "/products.xlsx"):
        assert client.get(f"/t/acme/members/segments/{theirs.id}{path}",
                          headers={"HX-Request": "true"}).status_code == 404, path
    mine = manual_segment(loyalty_tenant, [], name="Empty")
    page = client.get(f"/t/acme/members/segments/{mine.id}").get_data(as_text=True)
    assert "No products bought yet." in page and "SKU-A" not in page


def test_the_customer_profile_lists_products_by_purchases(client, admin, db, loyalty_tenant, customer, order, line):
    ann = customer(loyalty_tenant, "Ann")
    for _ in range(3):
        line(order(ann, 10.0), "SKU-A", quantity=1, paid=10.0, name="Lipstick")
    line(order(ann, 40.0), "SKU-B", quantity=4, paid=40.0, name="Mask")
    line(order(ann, 99.0, refund=99.0), "SKU-C", paid=99.0, name="Refunded")
    rows = products.customer_products(db, loyalty_tenant.id, ann.id)
    assert [(p.code, p.orders, p.quantity, p.amount) for p in rows] == [("SKU-A", 3, 3, "30.00"),
                                                                        ("SKU-B", 1, 4, "40.00")]
    page = client.get(f"/t/acme/members/customers/{ann.id}").get_data(as_text=True)
    panel = page.split('data-testid="customer-products"', 1)[1]
    assert panel.index("SKU-A") < panel.index("SKU-B") and "Refunded" not in panel
    bob = customer(loyalty_tenant, "Bob")
    assert "No products bought yet" in client.get(f"/t/acme/members/customers/{bob.id}").get_data(as_text=True)
