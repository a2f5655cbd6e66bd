"""Queueing application messages to employees, exactly once per ledger key.

``queue_app_message`` runs in the caller's transaction: it resolves the employee to the userid of the tenant's WeCom
account, records the core delivery-ledger row under the caller's idempotency key plus the content
(``wecom_app_message``), and enqueues ``dispatch.deliver_app_message`` after the commit. A key that exists returns
the first row and queues nothing, so a redelivered event or a retried job never sends twice. Recipients WeCom cannot
reach are recorded at once: ``skipped`` for an employee who left, ``failed`` without a WeCom account or userid.
``retry_failed`` puts failed messages back in the queue with their stored content; a recurring sweep per tenant
(``dispatch.sweep_queued``) enqueues messages the broker refused to take.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import timedelta

from sqlmodel import Session, select

from scrm.sdk import (
    ChannelAccount,
    DeliveryStatus,
    Employee,
    EmployeeStatus,
    MessageDelivery,
    ScheduledJob,
    channel_accounts,
    get_scoped,
    mark_delivery,
    record_delivery,
    schedule,
    utcnow,
)

from ..accounts import PLUGIN
from ..sync.models import SyncMember
from ..welcome.handlers import after_commit
from .content import AppContent
from .models import AppMessage

CHANNEL = PLUGIN
KIND = "app_message"


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


def queue_app_message(session: Session, tenant_id: int, *, employee_id: int | None, content: AppContent, key: str,
                      task_ref: str | None = None, customer_id: int | None = None,
                      account: ChannelAccount | None = None) -> MessageDelivery:
    """Record one app message to ``employee_id`` under ledger key ``key`` and send it after the commit.

    Returns the ledger row (the existing one when ``key`` was used before: nothing is queued then)."""
    employee = get_scoped(session, Employee, tenant_id, employee_id)
    account = account or account_for(session, tenant_id, employee)
    recipient = employee.userid if employee is not None else f"employee:{employee_id}"
    row, created = record_delivery(session, tenant_id, channel=CHANNEL, recipient=recipient[:128],
                                   idempotency_key=key[:120], account_id=account.id if account else None,
                                   customer_id=customer_id, kind=KIND, task_ref=(task_ref or "")[:80] or None)
    if not created:
        return row
    message = AppMessage(tenant_id=tenant_id, delivery_id=row.id, account_id=account.id if account else None,
                         employee_id=employee.id if employee else None, msgtype=content.msgtype,
                         content=content.to_content())
    session.add(message)
    session.flush()
    if employee is None:
        mark_delivery(session, row, DeliveryStatus.FAILED, error_code="no_employee",
                      error="the recipient is not an employee of the tenant")
    elif employee.status == EmployeeStatus.LEFT:
        mark_delivery(session, row, DeliveryStatus.SKIPPED, error_code="employee_left",
                      error="the employee has left the company")
    elif account is None:
        mark_delivery(session, row, DeliveryStatus.FAILED, error_code="no_account",
                      error="the tenant has no WeCom account")
    else:
        _send_after_commit(session, tenant_id, row.id)
    return row


def retry_failed(session: Session, tenant_id: int, delivery_ids: Iterable[int]) -> int:
    """Queue the tenant's failed app messages among ``delivery_ids`` again; returns how many."""
    ids = [int(i) for i in delivery_ids]
    if not ids:
        return 0
    rows = session.exec(select(MessageDelivery, AppMessage).join(AppMessage, AppMessage.delivery_id == MessageDelivery.id)
                        .where(MessageDelivery.tenant_id == tenant_id, MessageDelivery.id.in_(ids),
                               MessageDelivery.status == DeliveryStatus.FAILED)).all()
    for delivery, message in rows:
        delivery.status, delivery.error_code, delivery.error = DeliveryStatus.QUEUED, None, None
        message.attempts, message.sending_since = 0, None
        session.add(delivery)
        session.add(message)
        _send_after_commit(session, tenant_id, delivery.id)
    return len(rows)


def _send_after_commit(session: Session, tenant_id: int, delivery_id: int) -> None:
    from .dispatch import deliver_app_message

    ensure_sweep(session, tenant_id)
    after_commit(session, lambda: deliver_app_message.send(tenant_id, delivery_id=delivery_id))


def ensure_sweep(session: Session, tenant_id: int) -> None:
    """The tenant's recurring sweep of messages the broker never took (created once, kept while it runs)."""
    from .dispatch import SWEEP_ACTOR, SWEEP_SECONDS, WAITING

    key = f"wecom:app_message_sweep:{tenant_id}"
    status = session.exec(select(ScheduledJob.status).where(ScheduledJob.key == key)).first()
    if status not in WAITING:
        schedule(session, SWEEP_ACTOR, utcnow() + timedelta(seconds=SWEEP_SECONDS), tenant_id=tenant_id, key=key,
                 interval_seconds=SWEEP_SECONDS)
