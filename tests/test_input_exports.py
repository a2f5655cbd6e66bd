"""One escaping writer for every spreadsheet export (issue 11, finding 5): ``scrm.sdk.tabular`` prefixes text that a
spreadsheet would run as a formula (``= + - @``, tab, carriage return) with ``'`` and stores XLSX text as text; no
other module of the host or the first-party plugins writes CSV or XLSX itself."""

from __future__ import annotations

import csv
import io
import re
from pathlib import Path

import pytest
from openpyxl import load_workbook

from scrm.sdk import tabular

ROOT = Path(__file__).resolve().parents[1]
PAYLOADS = ['=HYPERLINK("http://evil.test","x")', "+1", "-1+2", "@SUM(A1:A2)", "\t=1", "\r=1"]
WRITERS = re.compile(r"csv\.writer|csv\.DictWriter|\bWorkbook\s*\(|from openpyxl import[^\n]*\bWorkbook\b"
                     r"|openpyxl\.Workbook|xlsxwriter")


@pytest.mark.parametrize("payload", PAYLOADS)
def test_a_formula_like_text_gets_a_quote(payload):
    assert tabular.safe_cell(payload) == "'" + payload


@pytest.mark.parametrize("value", ["Anna", "a=b", "13812345678", "", 12, -3, 1.5, None])
def test_other_values_stay_as_they_are(value):
    assert tabular.safe_cell(value) == value


def test_csv_rows_and_titles_are_escaped():
    text = tabular.csv_text(["=title"], [[p, 7] for p in PAYLOADS])
    assert text.startswith("\ufeff")
    rows = list(csv.reader(io.StringIO(text[1:], newline="")))
    assert rows[0] == ["'=title"]
    assert [r[0] for r in rows[1:]] == ["'" + p for p in PAYLOADS] and {r[1] for r in rows[1:]} == {"7"}


def test_xlsx_text_is_never_a_formula():
    book = load_workbook(tabular.xlsx_file(["=title"], [[p, 7] for p in PAYLOADS], sheet="S"))
    cells = [c for row in book.worksheets[0].iter_rows() for c in row]
    assert {c.data_type for c in cells if isinstance(c.value, str)} == {"s"}
    assert [c.value for c in cells if isinstance(c.value, str)] == ["'=title", *("'" + p.replace("\r", "\n")
                                                                                for p in PAYLOADS)]
    assert [c.value for c in cells if isinstance(c.value, int)] == [7] * len(PAYLOADS)


def test_no_module_but_the_one_writer_writes_spreadsheets():
    sources = [ROOT / "sdk", ROOT / "core", ROOT / "hostapp", *sorted((ROOT / "plugins").glob("*/scrm_*"))]
    offenders = []
    for base in sources:
        for path in base.rglob("*.py"):
            if path == ROOT / "sdk" / "tabular.py" or "migrations" in path.parts:
                continue
            for number, text in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
                if WRITERS.search(text):
                    offenders.append(f"{path.relative_to(ROOT)}:{number}: {text.strip()}")
    assert offenders == [], "write spreadsheets through scrm.sdk.tabular:\n" + "\n".join(offenders)
    assert WRITERS.search((ROOT / "sdk" / "tabular.py").read_text(encoding="utf-8"))
