"""Spreadsheet downloads for plugins: CSV (UTF-8 with a BOM, so Excel reads Chinese text) streamed in chunks, and XLSX
written in openpyxl's write-only mode, both with text cells that a spreadsheet would run as formulas neutralized.

    return Response(tabular.csv_stream(titles, rows), mimetype="text/csv")
    return send_file(tabular.xlsx_file(titles, rows, sheet="Customers"), download_name="customers.xlsx")

``rows`` is any iterable of row lists, typically a generator reading the database in batches, so an export of
100,000 rows never holds them all in memory.
"""

from __future__ import annotations

import csv
import io
import tempfile
from collections.abc import Iterable, Iterator
from typing import IO, Any

FORMULA_PREFIXES = ("=", "+", "-", "@")
CSV_CHUNK_ROWS = 500
XLSX_SPOOL_BYTES = 16 * 1024 * 1024


def safe_cell(value: Any) -> Any:
    """A text cell starting like a formula gets a leading quote (CSV injection); a signed number stays as it is."""
    if isinstance(value, str) and value[:1] in FORMULA_PREFIXES and not value.lstrip("+-").isdigit():
        return "'" + value
    return value


def csv_stream(titles: list[Any] | None, rows: Iterable[list[Any]]) -> Iterator[str]:
    """The CSV text in chunks: a BOM, the title row (when given), then the rows."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    buffer.write("\ufeff")
    if titles:
        writer.writerow(titles)
    for index, row in enumerate(rows, 1):
        writer.writerow([safe_cell(v) for v in row])
        if index % CSV_CHUNK_ROWS == 0:
            yield buffer.getvalue()
            buffer.seek(0)
            buffer.truncate()
    yield buffer.getvalue()


def xlsx_file(titles: list[Any] | None, rows: Iterable[list[Any]], sheet: str) -> IO[bytes]:
    """A rewound temporary file holding the workbook: one sheet (its name cut to Excel's 31 characters)."""
    from openpyxl import Workbook

    workbook = Workbook(write_only=True)
    worksheet = workbook.create_sheet(str(sheet)[:31])
    if titles:
        worksheet.append(titles)
    for row in rows:
        worksheet.append([safe_cell(v) for v in row])
    handle = tempfile.SpooledTemporaryFile(max_size=XLSX_SPOOL_BYTES)
    workbook.save(handle)
    handle.seek(0)
    return handle
