"""The assignment records as CSV (UTF-8 with BOM, streamed) or XLSX (openpyxl write-only mode); times in the
tenant's time zone (named in the column titles)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from flask_babel import gettext as _
from sqlmodel import Session

from scrm.sdk import export_time, tabular, zone_title

from . import records

BATCH = 1000


def _titles() -> list[str]:
    return [_("Customer"), _("Kind"), _("From"), _("Takeover employee"), _("Status"), zone_title(_("Assigned at")),
            zone_title(_("Finished at")), _("Note")]


def _rows(session: Session, tenant_id: int, where: Any) -> Iterator[list[Any]]:
    offset = 0
    while True:
        batch = records.rows(session, tenant_id, where, offset, BATCH)
        for row in batch:
            yield [row.customer_name, row.kind_label, row.from_label, row.takeover_label, row.status_label,
                   export_time(row.record.assigned_at), export_time(row.record.finished_at),
                   row.record.error]
        if len(batch) < BATCH:
            return
        offset += BATCH


def csv_stream(session: Session, tenant_id: int, where: Any) -> Iterator[str]:
    return tabular.csv_stream(_titles(), _rows(session, tenant_id, where))


def xlsx_file(session: Session, tenant_id: int, where: Any) -> Any:
    return tabular.xlsx_file(_titles(), _rows(session, tenant_id, where), sheet=_("Assignment records"))
