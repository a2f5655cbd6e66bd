"""Spreadsheet downloads: the one writer every CSV and XLSX export goes through.

CSV is UTF-8 with a BOM (so Excel reads Chinese text), streamed in chunks; XLSX is written in openpyxl's write-only
mode. Both neutralize formula injection (OWASP "CSV injection"): a text cell starting with ``= + - @``, a tab or a
carriage return gets a leading ``'``, and an XLSX text cell is always stored as text, never as a formula.

    return Response(tabular.csv_stream(titles, rows), mimetype="text/csv")
    return send_file(tabular.xlsx_file(titles, rows, sheet="Customers"), download_name="customers.xlsx")

``rows`` is any iterable of row lists, typically a generator reading the database in batches, so an export of
100,000 rows never holds them all in memory. Numbers stay numbers: only text cells are escaped.
"""

from __future__ import annotations

import csv
import io
import tempfile
from collections.abc import Iterable, Iterator
from typing import IO, Any

FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")
CSV_CHUNK_ROWS = 500
XLSX_SPOOL_BYTES = 16 * 1024 * 1024
XLSX_MIMETYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def safe_cell(value: Any) -> Any:
    """A text cell that a spreadsheet could run as a formula, prefixed with ``'``; any other value unchanged."""
    if isinstance(value, str) and value.startswith(FORMULA_PREFIXES):
        return "'" + value
    return value


def csv_stream(titles: list[Any] | None, rows: Iterable[list[Any]]) -> Iterator[str]:
    """The CSV text in chunks: a BOM, the title row (when given), then the rows, every cell escaped."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    buffer.write("\ufeff")
    if titles:
        writer.writerow([safe_cell(v) for v in titles])
    for index, row in enumerate(rows, 1):
        writer.writerow([safe_cell(v) for v in row])
        if index % CSV_CHUNK_ROWS == 0:
            yield buffer.getvalue()
            buffer.seek(0)
            buffer.truncate()
    yield buffer.getvalue()


def csv_text(titles: list[Any] | None, rows: Iterable[list[Any]]) -> str:
    """The whole CSV as one string (BOM included), for small tables such as an import's error list."""
    return "".join(csv_stream(titles, rows))


def xlsx_file(titles: list[Any] | None, rows: Iterable[list[Any]], sheet: str) -> IO[bytes]:
    """A rewound temporary file holding the workbook: one sheet (its name cut to Excel's 31 characters)."""
    from openpyxl import Workbook

    workbook = Workbook(write_only=True)
    worksheet = workbook.create_sheet(str(sheet)[:31])
    if titles:
        worksheet.append(_xlsx_row(worksheet, titles))
    for row in rows:
        worksheet.append(_xlsx_row(worksheet, row))
    handle = tempfile.SpooledTemporaryFile(max_size=XLSX_SPOOL_BYTES)
    workbook.save(handle)
    handle.seek(0)
    return handle


def _xlsx_row(worksheet: Any, row: Iterable[Any]) -> list[Any]:
    """Text cells become explicit string cells: openpyxl would otherwise store any text starting with ``=`` as a
    formula."""
    from openpyxl.cell import WriteOnlyCell

    out: list[Any] = []
    for value in row:
        value = safe_cell(value)
        if isinstance(value, str):
            cell = WriteOnlyCell(worksheet, value=value)
            cell.data_type = "s"
            out.append(cell)
        else:
            out.append(value)
    return out
