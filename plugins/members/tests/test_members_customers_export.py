# ruff: noqa: F811  (pytest fixtures imported from the area helper module are redefined as test arguments)
"""Exports (spec §3.7, R25, acceptance 23): CSV and XLSX of the current filter or the selected rows, one row per
customer, custom fields as columns, masked mobiles when the tenant masks them, and tenant isolation."""

from __future__ import annotations

import csv
import io

from members_customers_fixtures import acme, admin, custom_field, customer, employee, signin  # noqa: F401
from openpyxl import load_workbook

EXPORT = "/t/acme/members/customers/export"


def csv_rows(response) -> list[list[str]]:
    text = response.get_data(as_text=True)
    assert text.startswith("\ufeff")
    return list(csv.reader(io.StringIO(text[1:])))


def test_a_full_export_has_one_row_per_customer(client, admin, acme, other_tenant, customer, custom_field):
    size = custom_field(acme, "尺码", "single_select", options=["S", "M"])
    for i in range(7):
        customer(acme, f"C{i}", mobile=f"1380000000{i}", is_member=i < 3, attributes={size.key: "M"})
    kept = customer(acme, "Kept")
    customer(acme, "Merged away", merged_into_id=kept.id)
    customer(other_tenant, "Globex Ben", mobile="13900000000")
    response = client.get(f"{EXPORT}.csv")
    assert response.status_code == 200 and "attachment" in response.headers["Content-Disposition"]
    header, *rows = csv_rows(response)
    assert len(rows) == 8 and "尺码" in header
    assert not any("Globex" in ",".join(r) or "Merged away" in ",".join(r) for r in rows)
    by_name = {r[1]: r for r in rows}
    assert by_name["C1"][3] == "138****0001" and by_name["C1"][header.index("尺码")] == "M"


def test_unmasked_mobiles_when_the_tenant_allows(client, admin, acme, customer, db):
    customer(acme, "Anna", mobile="13812345678")
    acme.mask_mobiles = False
    db.merge(acme)
    db.commit()
    _header, row = csv_rows(client.get(f"{EXPORT}.csv"))
    assert row[3] == "13812345678"


def test_the_export_follows_the_filter_and_the_selection(client, admin, acme, customer):
    anna = customer(acme, "Anna", is_member=True)
    customer(acme, "Ben")
    cleo = customer(acme, "Cleo", is_member=True)
    filtered = csv_rows(client.get(f"{EXPORT}.csv", query_string={"f_member": "true"}))[1:]
    assert sorted(r[1] for r in filtered) == ["Anna", "Cleo"]
    # the list's bulk form posts its selection (no CSRF token in a URL)
    picked = csv_rows(client.post(f"{EXPORT}.csv", data={"scope": "selected", "customer_id": [anna.id]}))
    assert [r[1] for r in picked[1:]] == ["Anna"]
    whole = csv_rows(client.post(f"{EXPORT}.csv", data={"scope": "filter", "filter_qs": "f_member=true"}))
    assert sorted(r[1] for r in whole[1:]) == ["Anna", "Cleo"]
    assert cleo.id


def test_xlsx_export(client, admin, acme, customer):
    customer(acme, "Anna", mobile="13812345678")
    customer(acme, "=cmd|' /C calc'!A0")
    response = client.get(f"{EXPORT}.xlsx")
    assert response.status_code == 200
    sheet = load_workbook(io.BytesIO(response.data), read_only=True).worksheets[0]
    rows = list(sheet.iter_rows(values_only=True))
    assert len(rows) == 3 and rows[0][0] == "ID"
    names = {r[1] for r in rows[1:]}
    assert "Anna" in names and "'=cmd|' /C calc'!A0" in names


def test_a_scoped_user_exports_only_their_customers(client, acme, customer, employee, make_user, signin):
    ivy = employee(acme, "Ivy")
    customer(acme, "Mine", owner_employee_id=ivy.id)
    customer(acme, "Theirs")
    signin(make_user("ivy@acme.test", acme, role="operator", scope="mine", employee_id=ivy.id))
    rows = csv_rows(client.get(f"{EXPORT}.csv"))[1:]
    assert [r[1] for r in rows] == ["Mine"]


def test_another_tenants_selection_exports_nothing(client, admin, acme, other_tenant, customer):
    theirs = customer(other_tenant, "Globex Ben")
    rows = csv_rows(client.get(f"{EXPORT}.csv", query_string={"scope": "selected", "customer_id": [theirs.id]}))
    assert rows[1:] == []
