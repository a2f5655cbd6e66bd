"""Transferring customers to another owner (移交客户).

Rules: the target is an active employee of the tenant; a customer already owned by the target is refused; a plugin
may veto a customer through the ``customer_exclusion_reason`` decision with purpose ``transfer``. WeCom friends
(customers with an ``external_userid@...`` identity) can be transferred at most twice in 90 days, and their owner
changes 24 hours after the request (status pending until then, applied by a scheduled job) unless the customer's
data changed meanwhile or the channel reports that the handover did not go through (``wecom.handover_finished`` with
another status than ``taken_over``); other customers change owner at once. Every customer gets a ``members_transfer_record`` and a timeline entry; nothing is changed when any
customer of the request is refused.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from flask_babel import gettext as _
from sqlalchemy import func, update
from sqlmodel import Session, select

from scrm.sdk import (
    Customer,
    CustomerEvent,
    CustomerIdentity,
    Employee,
    EmployeeStatus,
    publish,
    schedule,
    utcnow,
)

from .models import TransferRecord, TransferStatus

WECOM_KIND_PREFIX = "external_userid@"
WECOM_WINDOW = timedelta(days=90)
WECOM_MAX_IN_WINDOW = 2
WECOM_DELAY = timedelta(hours=24)
REASON_MAX = 200
APPLY_JOB = "scrm_members.customers.jobs.apply_due_transfers"


class TransferError(ValueError):
    """The transfer was refused; ``field`` names the form field at fault ('to_employee_id', 'reason', 'customers')."""

    def __init__(self, message: str, field: str = "customers") -> None:
        super().__init__(message)
        self.field = field


@dataclass
class TransferResult:
    effective: int
    pending: int


def wecom_friend_ids(session: Session, tenant_id: int, customer_ids: list[int]) -> set[int]:
    """Which of ``customer_ids`` are WeCom friends (one query)."""
    if not customer_ids:
        return set()
    return set(session.exec(select(CustomerIdentity.customer_id).where(
        CustomerIdentity.tenant_id == tenant_id, CustomerIdentity.customer_id.in_(customer_ids),
        CustomerIdentity.kind.startswith(WECOM_KIND_PREFIX)).distinct()))


def _recent_counts(session: Session, tenant_id: int, customer_ids: list[int], now: datetime) -> dict[int, int]:
    rows = session.exec(select(TransferRecord.customer_id, func.count()).where(
        TransferRecord.tenant_id == tenant_id, TransferRecord.customer_id.in_(customer_ids),
        TransferRecord.wecom_friend == True,  # noqa: E712
        TransferRecord.status != TransferStatus.FAILED.value,
        TransferRecord.requested_at > now - WECOM_WINDOW).group_by(TransferRecord.customer_id))
    return dict(rows.all())


def _pending(session: Session, tenant_id: int, customer_ids: list[int]) -> set[int]:
    return set(session.exec(select(TransferRecord.customer_id).where(
        TransferRecord.tenant_id == tenant_id, TransferRecord.customer_id.in_(customer_ids),
        TransferRecord.status == TransferStatus.PENDING.value)))


def transfer_customers(session: Session, hooks: Any, tenant: Any, customer_ids: list[int],
                       to_employee_id: Any, reason: str = "", user_id: int | None = None,
                       now: datetime | None = None) -> TransferResult:
    """Transfer the live customers ``customer_ids`` (already checked against the user's scope) to the employee
    ``to_employee_id``. Raises TransferError and changes nothing when a rule is broken."""
    now = now or utcnow()
    tenant_id = tenant.id
    try:
        target = session.get(Employee, int(to_employee_id)) if to_employee_id not in (None, "") else None
    except (TypeError, ValueError):
        target = None
    if target is None or target.tenant_id != tenant_id:
        raise TransferError(_("Choose the employee to transfer to."), "to_employee_id")
    if target.status != EmployeeStatus.ACTIVE:
        raise TransferError(_("%(name)s is not an active employee.", name=target.name), "to_employee_id")
    reason = (reason or "").strip()
    if len(reason) > REASON_MAX:
        raise TransferError(_("The reason has at most %(n)s characters.", n=REASON_MAX), "reason")
    customers = list(session.exec(select(Customer).where(
        Customer.tenant_id == tenant_id, Customer.id.in_(customer_ids), Customer.merged_into_id.is_(None))))
    if not customers:
        raise TransferError(_("Choose at least one customer."))
    ids = [c.id for c in customers]
    owned = [c for c in customers if c.owner_employee_id == target.id]
    if owned:
        raise TransferError(_("%(name)s already owns %(customer)s.", name=target.name,
                              customer=owned[0].name or f"#{owned[0].id}"))
    pending = _pending(session, tenant_id, ids)
    if pending:
        raise TransferError(_("A transfer of customer #%(id)s is still pending.", id=min(pending)))
    friends = wecom_friend_ids(session, tenant_id, ids)
    recent = _recent_counts(session, tenant_id, list(friends), now) if friends else {}
    for customer in customers:
        if customer.id in friends and recent.get(customer.id, 0) >= WECOM_MAX_IN_WINDOW:
            raise TransferError(_("%(customer)s is a WeCom friend already transferred twice in the last 90 days.",
                                  customer=customer.name or f"#{customer.id}"))
        veto = hooks.decide("customer_exclusion_reason", tenant=tenant, customer_id=customer.id,
                            purpose="transfer", session=session) if hooks is not None else None
        if veto:
            raise TransferError(f"{customer.name or '#' + str(customer.id)}: {veto}")
    result = TransferResult(0, 0)
    first_due: datetime | None = None
    for customer in customers:
        friend = customer.id in friends
        record = TransferRecord(tenant_id=tenant_id, customer_id=customer.id,
                                from_employee_id=customer.owner_employee_id, to_employee_id=target.id,
                                requested_by=user_id, reason=reason, wecom_friend=friend, requested_at=now,
                                effective_at=now + WECOM_DELAY if friend else now,
                                status=(TransferStatus.PENDING if friend else TransferStatus.EFFECTIVE).value)
        session.add(record)
        if friend:
            result.pending += 1
            first_due = record.effective_at
            summary = f"transfer to {target.name} requested (effective {record.effective_at:%Y-%m-%d %H:%M} UTC)"
        else:
            result.effective += 1
            customer.owner_employee_id = target.id
            customer.updated_at = now
            session.add(customer)
            summary = f"transferred to {target.name}"
        session.add(CustomerEvent(tenant_id=tenant_id, customer_id=customer.id, plugin="members", kind="transfer",
                                  summary=summary[:500], occurred_at=now,
                                  data={"to_employee_id": target.id, "from_employee_id": record.from_employee_id,
                                        "reason": reason, "pending": friend}))
    session.flush()
    publish(session, tenant_id, "members.customers_transferred",
            {"customer_ids": ids, "to_employee_id": target.id, "pending_customer_ids": sorted(friends)})
    if first_due is not None:
        schedule(session, APPLY_JOB, first_due, tenant_id=tenant_id,
                 key=f"members.transfer:{tenant_id}:{first_due:%Y%m%d%H%M%S}")
    return result


def _fail(session: Session, record: TransferRecord, now: datetime, why: str) -> None:
    record.status = TransferStatus.FAILED.value
    session.add(record)
    session.add(CustomerEvent(tenant_id=record.tenant_id, customer_id=record.customer_id, plugin="members",
                              kind="transfer", summary=f"transfer failed: {why}"[:500], occurred_at=now,
                              data={"to_employee_id": record.to_employee_id, "failed": why}))


def apply_due(session: Session, tenant_id: int, now: datetime | None = None) -> int:
    """Make every pending transfer of the tenant whose time has come effective; returns how many. A transfer whose
    customer was updated after the request fails instead, and the owner stays."""
    now = now or utcnow()
    due = list(session.exec(select(TransferRecord).where(
        TransferRecord.tenant_id == tenant_id, TransferRecord.status == TransferStatus.PENDING.value,
        TransferRecord.effective_at <= now)))
    updated = dict(session.exec(select(Customer.id, Customer.updated_at).where(
        Customer.tenant_id == tenant_id, Customer.id.in_([r.customer_id for r in due]))).all()) if due else {}
    applied = 0
    for record in due:
        changed = updated.get(record.customer_id)
        if changed is not None and changed > record.requested_at:
            _fail(session, record, now, "customer data changed during the 24 hours")
            continue
        applied += 1
        session.execute(update(Customer).where(Customer.id == record.customer_id, Customer.tenant_id == tenant_id)
                        .values(owner_employee_id=record.to_employee_id, updated_at=now))
        record.status = TransferStatus.EFFECTIVE.value
        session.add(record)
        session.add(CustomerEvent(tenant_id=tenant_id, customer_id=record.customer_id, plugin="members",
                                  kind="transfer", summary="transfer became effective", occurred_at=now,
                                  data={"to_employee_id": record.to_employee_id}))
    return applied


HANDOVER_FINISHED = "wecom.handover_finished"


def on_domain_event(event: Any, session: Session) -> None:
    """``wecom.handover_finished``: a WeCom handover that was not taken over fails the customer's pending transfer
    to that employee (idempotent: only pending records change)."""
    if event.type != HANDOVER_FINISHED or event.payload.get("status") == "taken_over":
        return
    try:
        customer_id = int(event.payload.get("customer_id"))
        to_employee_id = int(event.payload.get("takeover_employee_id"))
    except (TypeError, ValueError):
        return
    pending = session.exec(select(TransferRecord).where(
        TransferRecord.tenant_id == event.tenant_id, TransferRecord.customer_id == customer_id,
        TransferRecord.to_employee_id == to_employee_id,
        TransferRecord.status == TransferStatus.PENDING.value)).all()
    for record in pending:
        _fail(session, record, utcnow(), f"WeCom handover {event.payload.get('status')}")


def history(session: Session, tenant_id: int, customer_id: int) -> list[TransferRecord]:
    return list(session.exec(select(TransferRecord).where(
        TransferRecord.tenant_id == tenant_id, TransferRecord.customer_id == customer_id)
        .order_by(TransferRecord.requested_at.desc(), TransferRecord.id.desc())))


def move_merged(session: Session, tenant_id: int, survivor_id: int, merged_id: int) -> None:
    """The merged customer's transfer history moves to the survivor."""
    session.execute(update(TransferRecord).where(TransferRecord.tenant_id == tenant_id,
                                                 TransferRecord.customer_id == merged_id)
                    .values(customer_id=survivor_id))
