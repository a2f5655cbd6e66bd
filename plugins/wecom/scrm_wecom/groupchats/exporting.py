"""Exporting group chat assignment records as CSV (streamed, UTF-8 with BOM for Excel) or XLSX (openpyxl write-only
mode), with the filters of the records page; rows are read ``BATCH`` at a time."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from flask_babel import gettext as _
from sqlmodel import Session

from scrm.sdk import EmployeeStatus, export_time, tabular, zone_title

from ..labels import chat_assignment_status_label
from .assignment import NOT_CONFIRMED, SUPERSEDED

BATCH = 1000


status_label = chat_assignment_status_label  # a group chat assignment's status (``wecom.groupchat.assignment.status``)


def error_label(record: Any) -> str:
    """The record's error in the reader's language (WeCom's own messages stay as WeCom wrote them)."""
    own = {SUPERSEDED: _("Superseded by a newer assignment"),
           NOT_CONFIRMED: _("WeCom did not confirm the new owner within 24 hours")}
    text = own.get(record.error, record.error)
    return f"{record.errcode} {text}".strip() if record.errcode is not None else text


def employee_label(employee: Any, fallback: str = "") -> str:
    """"Name", or "Name (left)" for an employee who left."""
    if employee is None:
        return fallback
    return _("%(name)s (left)", name=employee.name) if employee.status == EmployeeStatus.LEFT else employee.name


def header() -> list[str]:
    return [_("Group chat"), _("Takeover employee"), _("Group members"), zone_title(_("Assigned at")), _("Status"), _("Error"),
            _("Previous owner"), _("Operated by")]


def rows(session: Session, query) -> Iterator[list[Any]]:
    offset = 0
    while True:
        batch = list(session.exec(query.offset(offset).limit(BATCH)))
        if not batch:
            return
        for record, takeover, chat in batch:
            yield [record.chat_name or chat.name, employee_label(takeover, record.takeover_userid),
                   record.member_count, export_time(record.assigned_at),
                   status_label(record.status), error_label(record),
                   record.handover_userid, record.operator]
        offset += BATCH


def csv_stream(session: Session, query) -> Iterator[str]:
    return tabular.csv_stream(header(), rows(session, query))


def xlsx_file(session: Session, query) -> Any:
    return tabular.xlsx_file(header(), rows(session, query), sheet=_("Group chat assignments"))
