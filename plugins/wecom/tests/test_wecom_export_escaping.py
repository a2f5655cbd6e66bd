"""Formula injection (issue 11, finding 5): WeCom's exports go through the SDK's escaping writer; the employee
capacity export writes employee names that start like a formula with a leading quote, in CSV and in XLSX (as text,
never as a formula)."""

from __future__ import annotations

import csv
import io

import pytest
from openpyxl import load_workbook
from wecom_foundation_fixtures import *  # noqa: F403
from wecom_rules_fixtures import add_account, add_customer, add_employee, add_follow

from scrm.sdk import utcnow

PAYLOADS = ['=HYPERLINK("http://evil.test","x")', "+1", "-1+2", "@SUM(A1:A2)", "\t=1", "\r=1"]


@pytest.fixture
def admin(db, tenant, enable_plugins, wecom_admin):
    enable_plugins(tenant, "wecom")
    account = add_account(db, tenant.id)
    for index, name in enumerate(PAYLOADS):
        employee = add_employee(db, tenant.id, f"u{index}", name)
        add_follow(db, account, add_customer(db, tenant.id, f"c{index}"), employee, added_at=utcnow())
    db.commit()
    return wecom_admin(tenant)


def test_the_capacity_export_escapes_formulas_in_csv_and_xlsx(admin):
    response = admin.get("/t/acme/wecom/rules/capacity.csv")
    assert response.status_code == 200
    text = response.get_data(as_text=True)
    cells = {cell for row in csv.reader(io.StringIO(text.lstrip("\ufeff"), newline="")) for cell in row}
    assert all("'" + p in cells and p not in cells for p in PAYLOADS)

    book = load_workbook(io.BytesIO(admin.get("/t/acme/wecom/rules/capacity.xlsx").data))
    names = {c.value: c.data_type for row in book.active.iter_rows(min_row=2) for c in row[:1]}
    assert set(names) == {"'" + p.replace("\r", "\n") for p in PAYLOADS} and set(names.values()) == {"s"}
