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


# --- reading uploaded workbooks -------------------------------------------------------------------------------------

XLSX_MAX_COLUMNS = 200


class SheetUnreadable(ValueError):
    """The upload is not a workbook openpyxl can read."""


class SheetTooLarge(ValueError):
    """The first sheet has cells beyond the reader's bound: ``kind`` is "rows" or "columns", ``limit`` the bound."""

    def __init__(self, kind: str, limit: int) -> None:
        super().__init__(f"the sheet has more than {limit} {kind}")
        self.kind, self.limit = kind, limit


def xlsx_rows(content: bytes, *, max_rows: int, max_columns: int = XLSX_MAX_COLUMNS) -> Iterator[list[Any]]:
    """The values of an uploaded workbook's first sheet, row by row (trailing empty cells dropped, blank rows kept).

    The sheet's declared size is not trusted (a 5 KB file may declare 16,384 columns and a million rows): at most
    ``max_columns`` columns and ``max_rows`` rows (blank ones included) are read: a value beyond the last column or any
    row beyond the last raises ``SheetTooLarge``; a file that is no workbook raises ``SheetUnreadable``.
    """
    from openpyxl import load_workbook

    try:
        workbook = load_workbook(io.BytesIO(content), read_only=True, data_only=True)
        sheet = workbook.worksheets[0]
        sheet.reset_dimensions()  # rows are then as long as their last cell, not as the declared sheet
    except Exception as exc:  # openpyxl raises many kinds for a broken file
        raise SheetUnreadable(str(exc)) from exc
    try:
        for number, row in enumerate(sheet.iter_rows(max_row=max_rows + 1, values_only=True), 1):
            if number > max_rows:
                raise SheetTooLarge("rows", max_rows)
            values = list(row)
            while values and (values[-1] is None or values[-1] == ""):
                values.pop()
            if len(values) > max_columns:
                raise SheetTooLarge("columns", max_columns)
            yield values
    except (SheetTooLarge, GeneratorExit):
        raise
    except Exception as exc:
        raise SheetUnreadable(str(exc)) from exc
    finally:
        workbook.close()
