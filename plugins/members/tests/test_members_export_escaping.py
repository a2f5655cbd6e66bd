# ruff: noqa: F811  (pytest fixtures imported from the helper modules are redefined as test arguments)
"""Formula injection (issue 11, finding 5): every members export (customers, a segment's members, a segment's
products, as CSV and as XLSX where offered) writes names that start like a formula with a leading quote, and never
as an XLSX formula."""

from __future__ import annotations

import csv
import io

import pytest
from members_levels_fixtures import line, manual_segment  # noqa: F401
from members_loyalty_fixtures import admin, customer, loyalty_tenant, order  # noqa: F401
from openpyxl import load_workbook

PAYLOADS = ['=HYPERLINK("http://evil.test","x")', "+1", "-1+2", "@SUM(A1:A2)", "\t=1", "\r=1"]


def csv_cells(response) -> set[str]:
    assert response.status_code == 200, response.status_code
    text = response.get_data(as_text=True)
    assert text.startswith("\ufeff")
    return {cell for row in csv.reader(io.StringIO(text[1:], newline="")) for cell in row}


def xlsx_cells(response) -> dict[str, str]:
    """Every text cell's value -> its stored data type ("s" for text, "f" for a formula)."""
    assert response.status_code == 200, response.status_code
    sheet = load_workbook(io.BytesIO(response.data)).worksheets[0]
    return {c.value: c.data_type for row in sheet.iter_rows() for c in row if isinstance(c.value, str)}


def assert_escaped(cells, payloads=PAYLOADS) -> None:
    if isinstance(cells, dict):  # XML turns a stored carriage return into a line feed
        payloads = [p.replace("\r", "\n") for p in payloads]
    for payload in payloads:
        assert "'" + payload in cells, payload
        assert payload not in cells, payload
    if isinstance(cells, dict):
        assert "f" not in set(cells.values())


@pytest.fixture
def bought(db, loyalty_tenant, customer, order, line, manual_segment):
    """One customer per payload, each buying a product of that name and code; all in a segment named ``=SUM``."""
    people = []
    for payload in PAYLOADS:
        person = customer(loyalty_tenant, payload)
        line(order(person, 10.0), payload, paid=10.0, name=payload, category=payload)
        people.append(person)
    return manual_segment(loyalty_tenant, people, name="=SUM(1,2)")


def test_the_customer_export_escapes_formulas_in_csv_and_xlsx(client, admin, bought):
    assert_escaped(csv_cells(client.get("/t/acme/members/customers/export.csv")))
    assert_escaped(xlsx_cells(client.get("/t/acme/members/customers/export.xlsx")))


def test_the_segment_member_export_escapes_formulas(client, admin, bought):
    assert_escaped(csv_cells(client.get(f"/t/acme/members/segments/{bought.id}/export.csv")))


def test_the_segment_product_export_escapes_formulas_in_csv_and_xlsx(client, admin, bought):
    url = f"/t/acme/members/segments/{bought.id}/products"
    assert_escaped(csv_cells(client.get(f"{url}.csv")))
    assert_escaped(xlsx_cells(client.get(f"{url}.xlsx")))


def test_numbers_stay_numbers(client, admin, bought):
    """Escaping touches text only: the quantity of the products stays a number in the workbook."""
    sheet = load_workbook(io.BytesIO(client.get(f"/t/acme/members/segments/{bought.id}/products.xlsx").data))
    quantities = [row[3] for row in sheet.worksheets[0].iter_rows(min_row=2, values_only=True)]
    assert quantities == [1] * len(PAYLOADS)
