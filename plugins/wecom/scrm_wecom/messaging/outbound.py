"""Queueing application messages to employees through the platform's outbound path, exactly once per ledger key.

``queue_app_message`` runs in the caller's transaction: it resolves the employee to the userid of the tenant's WeCom
account and calls ``scrm.sdk.send_message`` (purpose ``notification``, recipient the userid, no customer: the
recipient is an employee, so no customer exclusion or cap is asked for); the platform writes the ledger row under the
caller's idempotency key and sends it after the commit through ``WeComPlugin.deliver`` (``dispatch``), retrying a
busy WeCom and marking the row failed with WeCom's code after the last attempt. ``wecom_app_message`` keeps the
content and the employee next to the row. A key that exists returns the first row and queues nothing, so a
redelivered event or a retried job never sends twice. Recipients WeCom cannot reach are recorded at once, without a
send job: ``skipped`` for an employee who left, ``failed`` without a WeCom account or without an employee.
``retry_failed`` sends failed messages again as new rows (the ledger only moves forward, so a failed row stays failed).
"""

from __future__ import annotations

from collections.abc import Iterable

from sqlmodel import Session, select

from scrm.sdk import (
    ChannelAccount,
    DeliveryStatus,
    Employee,
    EmployeeStatus,
    MessageDelivery,
    OutboundMessage,
    advance_delivery,
    channel_accounts,
    get_scoped,
    record_delivery,
    send_message,
)

from ..accounts import PLUGIN
from ..sync.models import SyncMember
from .content import AppContent
from .models import AppMessage

CHANNEL = PLUGIN
KIND = "app_message"
#: the outbound path's purpose of app messages (no default frequency cap; a tenant may set one per recipient)
PURPOSE = "notification"


def account_for(session: Session, tenant_id: int, employee: Employee | None) -> ChannelAccount | None:
    """The WeCom account that reaches ``employee``: the one whose address book lists them, else the tenant's first
    (one corp per tenant is the platform's assumption)."""
    accounts = channel_accounts(session, tenant_id, PLUGIN)
    if not accounts:
        return None
    if employee is not None and len(accounts) > 1:
        listed = session.exec(select(SyncMember.account_id).where(
            SyncMember.tenant_id == tenant_id, SyncMember.employee_id == employee.id)).first()
        for account in accounts:
            if account.id == listed:
                return account
    return accounts[0]


def _existing(session: Session, tenant_id: int, key: str) -> MessageDelivery | None:
    return session.exec(select(MessageDelivery).where(MessageDelivery.tenant_id == tenant_id,
                                                      MessageDelivery.idempotency_key == key)).first()


def _settle(session: Session, row: MessageDelivery, status: DeliveryStatus, code: str, reason: str) -> None:
    advance_delivery(session, row.id, status, error_code=code, error=reason, tenant_id=row.tenant_id)
    session.refresh(row)


def queue_app_message(session: Session, tenant_id: int, *, employee_id: int | None, content: AppContent, key: str,
                      task_ref: str | None = None, customer_id: int | None = None,
                      account: ChannelAccount | None = None) -> MessageDelivery:
    """Send one app message to ``employee_id`` under ledger key ``key`` through the outbound path (sent after the
    commit). ``customer_id`` names the customer the message is about; it is kept in the message
    (``about_customer_id``) for the record and never asked about (the employee is the recipient).

    Returns the ledger row (the existing one when ``key`` was used before: nothing is queued then)."""
    key = key[:120]
    existing = _existing(session, tenant_id, key)
    if existing is not None:
        return existing
    employee = get_scoped(session, Employee, tenant_id, employee_id)
    account = account or account_for(session, tenant_id, employee)
    recipient = (employee.userid if employee is not None else f"employee:{employee_id}")[:128]
    return _queue(session, tenant_id, employee, account, recipient, content.msgtype, content.to_content(), key,
                  (task_ref or "")[:80] or None, customer_id)


def _queue(session: Session, tenant_id: int, employee: Employee | None, account: ChannelAccount | None,
           recipient: str, msgtype: str, content: dict, key: str, task_ref: str | None,
           customer_id: int | None) -> MessageDelivery:
    if account is None:  # the outbound path needs an account: the row is recorded failed for the record
        row, created = record_delivery(session, tenant_id, channel=CHANNEL, recipient=recipient, idempotency_key=key,
                                       kind=KIND, task_ref=task_ref)
        if created:
            session.add(AppMessage(tenant_id=tenant_id, delivery_id=row.id, employee_id=employee and employee.id,
                                   msgtype=msgtype, content=content))
            _settle(session, row, DeliveryStatus.FAILED, "no_account", "the tenant has no WeCom account")
        return row
    payload = {**content, **({"about_customer_id": customer_id} if customer_id else {})}
    unreachable = employee is None or employee.status == EmployeeStatus.LEFT
    # an unreachable recipient is settled below in this transaction: no send job is enqueued for it
    row = send_message(session, tenant_id, account=account, recipient=recipient,
                       message=OutboundMessage(msgtype, payload), purpose=PURPOSE, idempotency_key=key,
                       task_ref=task_ref, kind=KIND, deliver_inline=unreachable)
    if session.exec(select(AppMessage.id).where(AppMessage.delivery_id == row.id)).first() is not None:
        return row  # written concurrently under the same key
    session.add(AppMessage(tenant_id=tenant_id, delivery_id=row.id, account_id=account.id,
                           employee_id=employee and employee.id, msgtype=msgtype, content=content))
    session.flush()
    if employee is None:
        _settle(session, row, DeliveryStatus.FAILED, "no_employee", "the recipient is not an employee of the tenant")
    elif employee.status == EmployeeStatus.LEFT:
        _settle(session, row, DeliveryStatus.SKIPPED, "employee_left", "the employee has left the company")
    return row


def retry_failed(session: Session, tenant_id: int, delivery_ids: Iterable[int]) -> int:
    """Send the tenant's failed app messages among ``delivery_ids`` again, each as a new ledger row under the key
    ``retry:<failed row id>`` (so retrying the same failure twice sends once); returns how many were queued."""
    ids = [int(i) for i in delivery_ids]
    if not ids:
        return 0
    rows = session.exec(select(MessageDelivery, AppMessage).join(AppMessage, AppMessage.delivery_id == MessageDelivery.id)
                        .where(MessageDelivery.tenant_id == tenant_id, MessageDelivery.id.in_(ids),
                               MessageDelivery.status == DeliveryStatus.FAILED)).all()
    queued = 0
    for delivery, message in rows:
        key = f"retry:{delivery.id}"
        if _existing(session, tenant_id, key) is not None:
            continue
        employee = get_scoped(session, Employee, tenant_id, message.employee_id)
        account = get_scoped(session, ChannelAccount, tenant_id, message.account_id) if message.account_id else None
        account = account or account_for(session, tenant_id, employee)
        about = (delivery.message or {}).get("payload", {}).get("about_customer_id")
        row = _queue(session, tenant_id, employee, account, delivery.recipient, message.msgtype, dict(message.content),
                     key, delivery.task_ref, about)
        queued += int(row.status == DeliveryStatus.QUEUED)
    return queued
