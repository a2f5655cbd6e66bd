"""The delivery ledger: record outbound messages once (by idempotency key), update their status, count them for caps."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import func
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, select

from ..models import DeliveryStatus, MessageDelivery
from ..timeutil import utcnow


def record_delivery(session: Session, tenant_id: int, *, channel: str, recipient: str, idempotency_key: str,
                    account_id: int | None = None, customer_id: int | None = None, kind: str = "message",
                    task_ref: str | None = None) -> tuple[MessageDelivery, bool]:
    """Record an outbound message before sending it. Returns (row, created); an existing key returns the first row,
    so a retried send sees what was already done."""
    existing = session.exec(select(MessageDelivery).where(
        MessageDelivery.tenant_id == tenant_id, MessageDelivery.idempotency_key == idempotency_key)).first()
    if existing is not None:
        return existing, False
    row = MessageDelivery(tenant_id=tenant_id, channel=channel, recipient=recipient, idempotency_key=idempotency_key,
                          account_id=account_id, customer_id=customer_id, kind=kind, task_ref=task_ref)
    try:
        with session.begin_nested():
            session.add(row)
            session.flush()
    except IntegrityError:
        existing = session.exec(select(MessageDelivery).where(
            MessageDelivery.tenant_id == tenant_id, MessageDelivery.idempotency_key == idempotency_key)).one()
        return existing, False
    return row, True


def mark(session: Session, row: MessageDelivery, status: DeliveryStatus, *, provider_id: str | None = None,
         error_code: str | None = None, error: str | None = None) -> MessageDelivery:
    """Set a ledger row's status as a channel reports it (and its sent or delivered time, provider id, error).
    The one outbound path moves rows with ``advance_delivery`` / ``mark_delivery_report``, which never go back."""
    row.status = status
    now = utcnow()
    if status == DeliveryStatus.SENT:
        row.sent_at = now
    elif status == DeliveryStatus.DELIVERED:
        row.delivered_at = now
        row.sent_at = row.sent_at or now
    row.provider_id = provider_id or row.provider_id
    row.error_code, row.error = error_code, (error or None) and error[:500]
    session.add(row)
    return row


def count_for_customer(session: Session, tenant_id: int, customer_id: int, channel: str, kind: str,
                       since: datetime) -> int:
    """Messages of ``kind`` sent or queued to a customer on ``channel`` since ``since``: the input of frequency caps.
    Several rows of one task count once (a customer who is a friend of several employees counts once per send)."""
    return session.exec(select(func.count(func.distinct(func.coalesce(MessageDelivery.task_ref,
                                                                      MessageDelivery.idempotency_key)))).where(
        MessageDelivery.tenant_id == tenant_id, MessageDelivery.customer_id == customer_id,
        MessageDelivery.channel == channel, MessageDelivery.kind == kind, MessageDelivery.created_at >= since,
        MessageDelivery.status.in_([DeliveryStatus.QUEUED, DeliveryStatus.SENT, DeliveryStatus.DELIVERED]),
    )).one()
