"""The customer timeline entry of the material centre: a tracked material opened (动态记录, spec 3.7)."""

from __future__ import annotations

from collections.abc import Sequence

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from markupsafe import escape
from sqlmodel import Session, select

from scrm.sdk import CustomerEvent, Employee, TimelineEntry
from scrm.sdk.timeline import entry_kind

PLUGIN, KIND = "wecom", "material_opened"
OPENED = entry_kind(PLUGIN, KIND, "opened a material", "The customer opened a material an employee sent from the "
                    "chat sidebar (a tracked link); data: material (its title), material_id, employee_id.",
                    label=_l("Opened a material"))


def line(event: CustomerEvent, employees: dict[int, str]) -> str:
    data = event.data or {}
    employee = employees.get(int(data.get("employee_id") or 0))
    if employee:
        return _("Opened material %(material)s sent by %(employee)s", material=escape(data.get("material") or "—"),
                 employee=escape(employee))
    return _("Opened material %(material)s", material=escape(data.get("material") or "—"))


def timeline_entries(tenant, events: Sequence[CustomerEvent], session: Session) -> list[TimelineEntry]:
    """Lines for the material entries among ``events`` (the tenant's only)."""
    mine = [e for e in events if e.plugin == PLUGIN and e.kind == KIND and e.tenant_id == tenant.id]
    if not mine:
        return []
    ids = {int((e.data or {}).get("employee_id") or 0) for e in mine} - {0}
    employees = dict(session.exec(select(Employee.id, Employee.name).where(Employee.tenant_id == tenant.id,
                                                                           Employee.id.in_(ids))).all()) if ids else {}
    return [TimelineEntry(e.id, str(line(e, employees)), "file-text") for e in mine]
