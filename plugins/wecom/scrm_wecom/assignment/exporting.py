"""The assignment records as CSV (UTF-8 with BOM, streamed) or XLSX (openpyxl write-only mode)."""

from __future__ import annotations

import csv
import io
import tempfile
from collections.abc import Iterator
from typing import Any

from flask_babel import gettext as _
from openpyxl import Workbook
from sqlmodel import Session

from . import records

BATCH = 1000


def _titles() -> list[str]:
    return [_("Customer"), _("Kind"), _("From"), _("Takeover employee"), _("Status"), _("Assigned at"),
            _("Finished at"), _("Note")]


def _rows(session: Session, tenant_id: int, where: Any) -> Iterator[list[Any]]:
    offset = 0
    while True:
        batch = records.rows(session, tenant_id, where, offset, BATCH)
        for row in batch:
            yield [row.customer_name, row.kind_label, row.from_label, row.takeover_label, row.status_label,
                   row.record.assigned_at.strftime("%Y-%m-%d %H:%M:%S"),
                   row.record.finished_at.strftime("%Y-%m-%d %H:%M:%S") if row.record.finished_at else "",
                   row.record.error]
        if len(batch) < BATCH:
            return
        offset += BATCH


def _safe(value: Any) -> Any:
    """Neutralize spreadsheet formulas in text cells (CSV injection)."""
    if isinstance(value, str) and value[:1] in ("=", "+", "-", "@"):
        return "'" + value
    return value


def csv_stream(session: Session, tenant_id: int, where: Any) -> Iterator[str]:
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    buffer.write("\ufeff")
    writer.writerow(_titles())
    for index, row in enumerate(_rows(session, tenant_id, where), 1):
        writer.writerow([_safe(v) for v in row])
        if index % 500 == 0:
            yield buffer.getvalue()
            buffer.seek(0)
            buffer.truncate()
    yield buffer.getvalue()


def xlsx_file(session: Session, tenant_id: int, where: Any) -> Any:
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet(_("Assignment records"))
    sheet.append(_titles())
    for row in _rows(session, tenant_id, where):
        sheet.append([_safe(v) for v in row])
    handle = tempfile.SpooledTemporaryFile(max_size=16 * 1024 * 1024)
    workbook.save(handle)
    handle.seek(0)
    return handle
