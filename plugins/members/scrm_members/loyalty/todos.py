"""The follow-up tasks members gives the home page's to-do list (members-1 R2: "currently only customer follow-up
tasks"): the stage follow-up reminders sent today to the employee the signed-in user is linked to. Each is a task of
the day, ending at the tenant's midnight; it leads to the customer's profile."""

from __future__ import annotations

from flask import url_for
from flask_babel import lazy_gettext as _l
from sqlalchemy import select
from sqlmodel import Session

from scrm.sdk import Membership, TodoItem, day_span

from .models import Notification

FOLLOW_UP = "stage_follow_up"


def todo_items(tenant, user, session: Session) -> list[TodoItem]:
    employee_id = session.execute(select(Membership.employee_id).where(
        Membership.tenant_id == tenant.id, Membership.user_id == user.id)).scalar()
    if employee_id is None:
        return []
    today = day_span()
    rows = session.execute(select(Notification).where(
        Notification.tenant_id == tenant.id, Notification.recipient_employee_id == employee_id,
        Notification.kind == FOLLOW_UP, Notification.status == "sent",
        Notification.sent_at >= today.start, Notification.sent_at < today.end)).scalars()
    return [TodoItem(row.text, today.end, row.sent_at or row.created_at,
                     url_for("members.customers.detail", tenant=tenant.slug, customer_id=row.customer_id)
                     if row.customer_id else url_for("members.loyalty.notifications", tenant=tenant.slug),
                     _l("Customer follow-up")) for row in rows]
