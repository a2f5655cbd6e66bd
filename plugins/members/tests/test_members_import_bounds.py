# ruff: noqa: F811  (pytest fixtures imported from the helper modules are redefined as test arguments)
"""Workbook uploads do not trust the sheet's declared size (issue 11, finding 8): a 2 KB XLSX declaring 16,384
columns and a million rows is refused at once with a clear message, for the customer import and the order import;
a sheet within the bounds is read whatever it declares."""

from __future__ import annotations

import io
import time
import zipfile

import pytest
from members_loyalty_fixtures import admin, loyalty_tenant  # noqa: F401
from scrm_members.customers import import_files
from scrm_members.customers.models import ImportJob
from scrm_members.loyalty import order_import
from scrm_members.loyalty.models import OrderImport
from sqlmodel import func, select

from scrm.sdk import tabular

CUSTOMERS = "/t/acme/members/customers/import"
ORDERS = "/t/acme/members/orders/import"
MAIN = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
RELS = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
PACKAGE_RELS = "http://schemas.openxmlformats.org/package/2006/relationships"


def crafted_xlsx(cells: dict[str, str], dimension: str = "A1:XFD1048576") -> bytes:
    """A minimal workbook written by hand: the given inline-text cells under a declared ``dimension``."""
    rows: dict[int, list[str]] = {}
    for ref, text in cells.items():
        number = int("".join(ch for ch in ref if ch.isdigit()))
        rows.setdefault(number, []).append(f'<c r="{ref}" t="inlineStr"><is><t>{text}</t></is></c>')
    data = "".join(f'<row r="{n}">{"".join(c)}</row>' for n, c in sorted(rows.items()))
    sheet_type = "application/vnd.openxmlformats-officedocument.spreadsheetml"
    parts = {
        "[Content_Types].xml": '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
        '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
        '<Default Extension="xml" ContentType="application/xml"/>'
        f'<Override PartName="/xl/workbook.xml" ContentType="{sheet_type}.sheet.main+xml"/>'
        f'<Override PartName="/xl/worksheets/sheet1.xml" ContentType="{sheet_type}.worksheet+xml"/></Types>',
        "_rels/.rels": f'<Relationships xmlns="{PACKAGE_RELS}"><Relationship Id="rId1" '
        f'Type="{RELS}/officeDocument" Target="xl/workbook.xml"/></Relationships>',
        "xl/workbook.xml": f'<workbook xmlns="{MAIN}" xmlns:r="{RELS}"><sheets>'
        '<sheet name="Sheet1" sheetId="1" r:id="rId1"/></sheets></workbook>',
        "xl/_rels/workbook.xml.rels": f'<Relationships xmlns="{PACKAGE_RELS}"><Relationship Id="rId1" '
        f'Type="{RELS}/worksheet" Target="worksheets/sheet1.xml"/></Relationships>',
        "xl/worksheets/sheet1.xml": f'<worksheet xmlns="{MAIN}"><dimension ref="{dimension}"/>'
        f"<sheetData>{data}</sheetData></worksheet>",
    }
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, text in parts.items():
            archive.writestr(name, '<?xml version="1.0" encoding="UTF-8"?>' + text)
    return out.getvalue()


CUSTOMER_CELLS = {"A1": "姓名", "B1": "手机号", "A2": "Ann", "B2": "13800000001"}
ORDER_CELLS = {"A1": "source", "B1": "order_no", "C1": "mobile", "D1": "paid_amount",
               "A2": "tmall", "B2": "T-1", "C2": "13800000001", "D2": "10"}


def post(client, url: str, content: bytes):
    started = time.monotonic()
    response = client.post(url, data={"file": (io.BytesIO(content), "bomb.xlsx")}, content_type="multipart/form-data")
    return response, time.monotonic() - started


def count(db, model) -> int:
    db.commit()
    return db.exec(select(func.count()).select_from(model)).one()


@pytest.mark.timeout(60)
@pytest.mark.parametrize(("url", "cells", "model"), [(CUSTOMERS, CUSTOMER_CELLS, ImportJob),
                                                      (ORDERS, ORDER_CELLS, OrderImport)])
def test_a_cell_in_the_last_column_is_refused_at_once(client, admin, db, url, cells, model):
    content = crafted_xlsx({**cells, "XFD2": "x", "XFD1048576": "x"})
    assert len(content) < 5000
    response, seconds = post(client, url, content)
    assert response.status_code == 422 and seconds < 5
    assert "more than 200 columns" in response.get_data(as_text=True)
    assert count(db, model) == 0


@pytest.mark.timeout(60)
@pytest.mark.parametrize(("url", "cells", "model"), [(CUSTOMERS, CUSTOMER_CELLS, ImportJob),
                                                      (ORDERS, ORDER_CELLS, OrderImport)])
def test_a_cell_in_the_last_row_is_refused(client, admin, db, url, cells, model):
    response, seconds = post(client, url, crafted_xlsx({**cells, "A1048576": "x"}))
    assert response.status_code == 422 and seconds < 5
    assert "more than 200001 rows" in response.get_data(as_text=True)
    assert count(db, model) == 0


@pytest.mark.parametrize(("url", "cells", "model"), [(CUSTOMERS, CUSTOMER_CELLS, ImportJob),
                                                      (ORDERS, ORDER_CELLS, OrderImport)])
def test_a_small_sheet_declaring_a_huge_size_is_read(client, admin, db, url, cells, model):
    response, _seconds = post(client, url, crafted_xlsx(cells))
    assert response.status_code == 302
    assert count(db, model) == 1


def test_the_column_bound_counts_the_last_filled_cell(monkeypatch):
    """200 columns are read; a value in the 201st is refused; empty trailing cells do not count."""
    header = {f"{_column(i)}1": f"c{i}" for i in range(1, tabular.XLSX_MAX_COLUMNS + 1)}
    rows = list(tabular.xlsx_rows(crafted_xlsx(header), max_rows=10))
    assert len(rows) == 1 and len(rows[0]) == tabular.XLSX_MAX_COLUMNS
    with pytest.raises(tabular.SheetTooLarge) as refused:
        list(tabular.xlsx_rows(crafted_xlsx({**header, f"{_column(tabular.XLSX_MAX_COLUMNS + 1)}1": "x"}),
                               max_rows=10))
    assert (refused.value.kind, refused.value.limit) == ("columns", tabular.XLSX_MAX_COLUMNS)


def test_the_row_bound_of_each_import(monkeypatch):
    """``MAX_ROWS`` data rows under the header are read; one more is refused (a small bound keeps the test fast)."""
    monkeypatch.setattr(import_files, "MAX_ROWS", 3)
    monkeypatch.setattr(order_import, "MAX_ROWS", 3)
    customers = {**CUSTOMER_CELLS, **{f"A{n}": f"C{n}" for n in range(3, 5)}}
    assert len(list(import_files.read_rows(crafted_xlsx(customers), "xlsx"))) == 4
    with pytest.raises(import_files.ImportFileError, match="more than 4 rows"):
        list(import_files.read_rows(crafted_xlsx({**customers, "A5": "C5"}), "xlsx"))
    orders = dict(ORDER_CELLS)
    for n in (3, 4):
        orders.update({f"A{n}": "tmall", f"B{n}": f"T-{n}", f"C{n}": "13800000001", f"D{n}": "1"})
    assert len(order_import.read_rows("o.xlsx", crafted_xlsx(orders))) == 3
    with pytest.raises(order_import.ImportFileError, match="more than 4 rows"):
        order_import.read_rows("o.xlsx", crafted_xlsx({**orders, "A5": "tmall"}))


def _column(index: int) -> str:
    """1 -> A, 27 -> AA."""
    name = ""
    while index:
        index, rest = divmod(index - 1, 26)
        name = chr(65 + rest) + name
    return name
