"""Delivering the members plugin's notifications (``members.notification``) as WeCom app messages.

The members plugin publishes one event per notification: ``notification_id``, ``recipient_employee_id``,
``recipient_userid``, ``kind`` (``stage_change``, ``stage_follow_up``, ...), ``text`` and ``customer_id``. Each becomes
one app message under the ledger key ``members.notification:<id>`` (a redelivered event sends nothing twice): a text
card opening the customer's card page when the notification names a customer and the platform's public address is
known, plain text otherwise.
"""

from __future__ import annotations

from sqlmodel import Session, select

from scrm.sdk import Customer, DomainEvent, Employee, Tenant, get_scoped

from .content import AppContent, Text, TextCard
from .i18n import translator
from .links import page_url
from .outbound import account_for, queue_app_message

EVENT_TYPE = "members.notification"


def _title(kind: str) -> str:
    _ = translator()
    titles = {"stage_change": _("Stage change reminder"), "stage_follow_up": _("Stage follow-up reminder")}
    return titles.get(kind, _("Reminder"))


def _recipient(session: Session, tenant_id: int, payload: dict) -> Employee | None:
    try:
        employee = get_scoped(session, Employee, tenant_id, int(payload.get("recipient_employee_id") or 0) or None)
    except (TypeError, ValueError):
        employee = None
    if employee is None and payload.get("recipient_userid"):
        employee = session.exec(select(Employee).where(Employee.tenant_id == tenant_id,
                                                       Employee.userid == str(payload["recipient_userid"]))).first()
    return employee


def on_notification(event: DomainEvent, session: Session) -> None:
    """Queue the app message of one ``members.notification`` event."""
    payload = event.payload
    notification_id = payload.get("notification_id")
    if notification_id is None:
        return
    employee = _recipient(session, event.tenant_id, payload)
    text = str(payload.get("text") or "")
    customer = get_scoped(session, Customer, event.tenant_id, payload.get("customer_id"))
    tenant = session.get(Tenant, event.tenant_id)
    account = account_for(session, event.tenant_id, employee)
    url = page_url(account, f"/t/{tenant.slug}/wecom/messages/customers/{customer.id}") \
        if customer is not None and tenant is not None else None
    _ = translator()
    content: AppContent = (TextCard(title=_title(str(payload.get("kind") or "")), description=text, url=url,
                                    button=_("Details")) if url else Text(text))
    queue_app_message(session, event.tenant_id, employee_id=employee.id if employee else None, content=content,
                      key=f"{EVENT_TYPE}:{notification_id}", task_ref=f"members_notification:{notification_id}",
                      customer_id=customer.id if customer else None, account=account)
