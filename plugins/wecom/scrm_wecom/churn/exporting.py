"""Exports of the two lists (the current filter and sort, every page) as CSV (UTF-8 with BOM, for Excel) or XLSX."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime
from typing import Any

from flask_babel import gettext as _
from sqlalchemy.sql import Select
from sqlmodel import Session

from scrm.sdk import format_local, tabular, zone_title

from . import listing
from .models import LossKind

BATCH = 1000


def local_time(moment: datetime | None, fmt: str = "%Y-%m-%d %H:%M:%S") -> str:
    """``moment`` in the tenant's time zone ("" without one)."""
    return format_local(moment, fmt, "")


def header(kind: LossKind) -> list[str]:
    if kind is LossKind.CHURNED:
        return [_("Name"), _("Owner"), _("Added by"), zone_title(_("Added at")), zone_title(_("Last follow-up")),
                zone_title(_("Churned at")), _("Days not followed up")]
    return [_("Name"), _("Operated by"), zone_title(_("Deleted at")), zone_title(_("Added at"))]


def table(session: Session, tenant_id: int, kind: LossKind, query: Select) -> Iterator[list[Any]]:
    """The header, then one list of cells per row, read in batches."""
    employees = listing.employee_names(session, tenant_id)

    def name(employee_id: int | None) -> str:
        employee = employees.get(employee_id) if employee_id else None
        return employee.name if employee else ""

    yield header(kind)
    offset = 0
    while True:
        batch = listing.rows(session, query, offset=offset, limit=BATCH)
        for row in batch:
            loss = row.loss
            if kind is LossKind.CHURNED:
                yield [row.customer_name, name(loss.owner_employee_id), name(loss.employee_id) or loss.userid,
                       local_time(loss.added_at), local_time(row.last_follow_up_at), local_time(loss.lost_at),
                       "" if row.days_not_followed_up is None else row.days_not_followed_up]
            else:
                yield [row.customer_name, name(loss.operator_employee_id) or loss.userid, local_time(loss.lost_at),
                       local_time(loss.added_at)]
        if len(batch) < BATCH:
            return
        offset += BATCH


def csv_stream(cells: Iterator[list[Any]]) -> Iterator[str]:
    return tabular.csv_stream(None, cells)


def xlsx_file(cells: Iterator[list[Any]], title: str) -> Any:
    """A rewound temporary file holding the workbook."""
    return tabular.xlsx_file(None, cells, sheet=title)
