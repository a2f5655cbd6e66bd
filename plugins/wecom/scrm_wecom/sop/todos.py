"""The SOP to-dos on the host's home page (``todo_items`` hook): the open tasks (reminded or sent, not done) of the
employee the signed-in user is linked to, delivered up to the end of today (the tenant's day); each opens its task
page."""

from __future__ import annotations

from flask import url_for
from flask_babel import lazy_gettext as _l
from sqlmodel import Session, select

from scrm.sdk import Customer, Membership, TodoItem, day_span

from ..groupchats.models import GroupChat
from ..messaging.textcards import fill
from .models import SopNode, SopTask, TaskStatus

LIMIT = 50


def todo_items(tenant, user, session: Session) -> list[TodoItem]:
    employee_id = session.exec(select(Membership.employee_id).where(
        Membership.tenant_id == tenant.id, Membership.user_id == user.id)).first()
    if employee_id is None:
        return []
    today = day_span()
    rows = session.exec(select(SopTask, SopNode.title, Customer.name, GroupChat.name)
                        .join(SopNode, SopNode.id == SopTask.node_id)
                        .outerjoin(Customer, Customer.id == SopTask.customer_id)
                        .outerjoin(GroupChat, GroupChat.id == SopTask.group_chat_id)
                        .where(SopTask.tenant_id == tenant.id, SopTask.employee_id == employee_id,
                               SopTask.status.in_([TaskStatus.REMINDED, TaskStatus.SENT]),
                               SopTask.due_at < today.end)
                        .order_by(SopTask.due_at).limit(LIMIT)).all()
    return [TodoItem(fill(title, {"customer": customer, "group": group}), task.due_at, task.created_at,
                     url_for("wecom.sop.task", tenant=tenant.slug, task_id=task.id), _l("SOP to-do"))
            for task, title, customer, group in rows]
