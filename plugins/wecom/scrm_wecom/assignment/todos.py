"""What WeCom gives the home page's to-do list (members-1 R2, R3; issue 16 item 1): the customer transfers that are
on their way to the employee the signed-in user is linked to.

A resigned inheritance or an on-the-job transfer waits for WeCom for up to 24 hours (spec 3.2, 3.3: the customer may
refuse in that window, and the takeover completes by itself after it). While it waits it is an in-progress task of
the receiving employee, ending when the window closes. The customers of one handover arrive together (an inheritance
moves up to hundreds at once), so the list gets one task per (kind, handing-over employee), not one per customer.

Not to-dos (R2 counts only tasks assigned to the signed-in account): customers in the unassigned pool and customers
of resigned employees not yet inherited belong to no account until someone assigns them; the unassigned-users page
lists them. Finished transfers (taken over, refused, failed) are no longer in progress.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from flask import url_for
from flask_babel import lazy_gettext as _l
from flask_babel import lazy_ngettext
from sqlalchemy import func, select
from sqlmodel import Session

from scrm.sdk import Employee, Membership, Role, TodoItem

from .handover import ONJOB_DELAY
from .models import AssignmentRecord, Kind, Status

#: WeCom completes a resigned inheritance by itself 24 hours after the call (spec 3.2 / WeCom platform)
INHERIT_WINDOW = timedelta(hours=24)


def as_utc(moment: datetime) -> datetime:
    """A stored time (naive UTC on SQLite) as an aware UTC datetime."""
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


def todo_items(tenant, user, session: Session) -> list[TodoItem]:
    membership = session.execute(select(Membership).where(
        Membership.tenant_id == tenant.id, Membership.user_id == user.id)).scalars().first()
    if membership is None or membership.employee_id is None:
        return []
    takeover = membership.employee_id
    rows = session.execute(select(
        AssignmentRecord.kind, AssignmentRecord.from_employee_id, func.count(),
        func.min(AssignmentRecord.assigned_at), func.max(AssignmentRecord.assigned_at),
        func.min(AssignmentRecord.effective_at)).where(
        AssignmentRecord.tenant_id == tenant.id, AssignmentRecord.takeover_employee_id == takeover,
        AssignmentRecord.status == Status.WAITING.value).group_by(
        AssignmentRecord.kind, AssignmentRecord.from_employee_id)).all()
    if not rows:
        return []
    names = dict(session.execute(select(Employee.id, Employee.name).where(
        Employee.tenant_id == tenant.id, Employee.id.in_({r[1] for r in rows if r[1] is not None}))).all())
    staff = membership.role in (Role.TENANT_ADMIN, Role.OPERATOR)
    items = []
    for kind, from_id, count, first, last, effective in rows:
        window = ONJOB_DELAY if kind == Kind.ONJOB_TRANSFER.value else INHERIT_WINDOW
        ends = as_utc(effective) if effective is not None else as_utc(first) + window
        name = names.get(from_id) or str(_l("a former colleague"))
        if kind == Kind.ONJOB_TRANSFER.value:
            title = lazy_ngettext("%(num)s customer of %(name)s is being transferred to you",
                                  "%(num)s customers of %(name)s are being transferred to you", count, name=name)
        else:
            title = lazy_ngettext("You inherit %(num)s customer of %(name)s (left)",
                                  "You inherit %(num)s customers of %(name)s (left)", count, name=name)
        url = (url_for("wecom.assignment.records_index", tenant=tenant.slug, status=Status.WAITING.value, kind=kind,
                       employee=takeover) if staff else url_for("wecom.assignment.unassigned", tenant=tenant.slug))
        items.append(TodoItem(str(title), ends, as_utc(last), url, _l("Customer transfer")))
    return items
