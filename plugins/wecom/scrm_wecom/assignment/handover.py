"""Starting resigned inheritance (离职继承) and on-the-job transfer (在职转接).

Inheritance: the customers of employees who left go to exactly one active employee. Those who are WeCom friends of
the resigned owner wait for WeCom (``resigned/transfer_customer``); the others change owner at once.

On-the-job transfer: WeCom friends of their (active) owner only, to another active employee, at most twice per
customer in 90 days (waiting and taken-over handovers count, whether started here or on the members' pages), with an
optional message to the customer of up to 200 characters. The owner changes 24 hours later, when WeCom has taken
over and the customer's data did not change meanwhile (:mod:`.tracking`).

Both write the records first; the WeCom calls are made by the ``send_transfers`` job after the commit, at most 100
customers per call.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from flask_babel import gettext as _
from sqlalchemy import func, select, update
from sqlmodel import Session

from scrm.sdk import Customer, Employee, EmployeeStatus, utcnow

from ..sync.models import Follow, FollowStatus
from .models import AssignmentRecord, Kind, Origin, Status
from .pool import AssignmentError

ONJOB_WINDOW = timedelta(days=90)
ONJOB_MAX_IN_WINDOW = 2
ONJOB_DELAY = timedelta(hours=24)
MESSAGE_MAX = 200
COUNTED = (Status.WAITING.value, Status.TAKEN_OVER.value)


@dataclass
class HandoverResult:
    waiting: int = 0  # records waiting for WeCom
    moved: int = 0  # customers whose owner changed at once


def _target(session: Session, tenant_id: int, raw_id) -> Employee:
    try:
        target = session.get(Employee, int(raw_id)) if raw_id not in (None, "") else None
    except (TypeError, ValueError):
        target = None
    if target is None or target.tenant_id != tenant_id:
        raise AssignmentError(_("Choose the employee who takes over."), "takeover_id")
    if target.status != EmployeeStatus.ACTIVE:
        raise AssignmentError(_("%(name)s is not an active employee.", name=target.name), "takeover_id")
    return target


def owner_follows(session: Session, tenant_id: int, customers: list[Customer]) -> dict[int, Follow]:
    """customer id → its active WeCom relation with its current owner."""
    if not customers:
        return {}
    owners = {c.id: c.owner_employee_id for c in customers}
    rows = session.execute(select(Follow).where(
        Follow.tenant_id == tenant_id, Follow.customer_id.in_(list(owners)),
        Follow.status == FollowStatus.ACTIVE.value).order_by(Follow.id)).scalars()
    return {f.customer_id: f for f in rows if f.employee_id is not None and owners.get(f.customer_id) == f.employee_id}


def waiting_customer_ids(session: Session, tenant_id: int, customer_ids: list[int]) -> set[int]:
    if not customer_ids:
        return set()
    return set(session.execute(select(AssignmentRecord.customer_id).where(
        AssignmentRecord.tenant_id == tenant_id, AssignmentRecord.customer_id.in_(customer_ids),
        AssignmentRecord.status == Status.WAITING.value)).scalars())


def recent_handovers(session: Session, tenant_id: int, customer_ids: list[int], now: datetime) -> dict[int, int]:
    """customer id → on-the-job handovers (waiting or taken over) in the 90 days before ``now``."""
    if not customer_ids:
        return {}
    rows = session.execute(select(AssignmentRecord.customer_id, func.count()).where(
        AssignmentRecord.tenant_id == tenant_id, AssignmentRecord.customer_id.in_(customer_ids),
        AssignmentRecord.kind == Kind.ONJOB_TRANSFER.value, AssignmentRecord.status.in_(COUNTED),
        AssignmentRecord.assigned_at > now - ONJOB_WINDOW).group_by(AssignmentRecord.customer_id))
    return {cid: int(n) for cid, n in rows.all()}


def _customers(session: Session, tenant_id: int, customer_ids: list[int]) -> list[Customer]:
    customers = list(session.execute(select(Customer).where(
        Customer.tenant_id == tenant_id, Customer.id.in_(customer_ids or [0]),
        Customer.merged_into_id.is_(None)).order_by(Customer.id)).scalars())
    if not customers:
        raise AssignmentError(_("Choose at least one customer."))
    return customers


def _label(customer: Customer) -> str:
    return customer.name or f"#{customer.id}"


def _wecom_record(tenant_id: int, customer: Customer, follow: Follow, target: Employee, kind: Kind,
                  user_id: int | None, now: datetime, message: str = "", origin: Origin = Origin.WECOM,
                  effective_at: datetime | None = None, source_event: str = "") -> AssignmentRecord:
    return AssignmentRecord(tenant_id=tenant_id, customer_id=customer.id, kind=kind.value, origin=origin.value,
                            from_employee_id=customer.owner_employee_id, takeover_employee_id=target.id,
                            status=Status.WAITING.value, account_id=follow.account_id,
                            external_userid=follow.external_userid, handover_userid=follow.userid,
                            takeover_userid=target.userid, message=message, operator_user_id=user_id,
                            assigned_at=now, effective_at=effective_at, source_event=source_event)


def inherit(session: Session, tenant_id: int, customer_ids: list[int], takeover_id, user_id: int | None,
            now: datetime | None = None) -> HandoverResult:
    """Give the customers of resigned owners to one active employee."""
    now = now or utcnow()
    target = _target(session, tenant_id, takeover_id)
    customers = _customers(session, tenant_id, customer_ids)
    owners = {e.id: e for e in session.execute(select(Employee).where(
        Employee.tenant_id == tenant_id, Employee.id.in_({c.owner_employee_id for c in customers if
                                                           c.owner_employee_id}))).scalars()}
    for customer in customers:
        owner = owners.get(customer.owner_employee_id)
        if owner is None or owner.status != EmployeeStatus.LEFT:
            raise AssignmentError(_("%(customer)s does not belong to an employee who left.",
                                    customer=_label(customer)))
    waiting = waiting_customer_ids(session, tenant_id, [c.id for c in customers])
    if waiting:
        raise AssignmentError(_("A handover of customer #%(id)s is still waiting for WeCom.", id=min(waiting)))
    follows = owner_follows(session, tenant_id, customers)
    result = HandoverResult()
    for customer in customers:
        follow = follows.get(customer.id)
        if follow is not None:
            session.add(_wecom_record(tenant_id, customer, follow, target, Kind.RESIGNED_INHERIT, user_id, now))
            result.waiting += 1
            continue
        session.add(AssignmentRecord(tenant_id=tenant_id, customer_id=customer.id, kind=Kind.RESIGNED_INHERIT.value,
                                     from_employee_id=customer.owner_employee_id, takeover_employee_id=target.id,
                                     status=Status.TAKEN_OVER.value, operator_user_id=user_id, assigned_at=now,
                                     finished_at=now))
        session.execute(update(Customer).where(Customer.id == customer.id, Customer.tenant_id == tenant_id)
                        .values(owner_employee_id=target.id, updated_at=now))
        result.moved += 1
    session.flush()
    return result


def transfer(session: Session, tenant_id: int, customer_ids: list[int], takeover_id, message: str,
             user_id: int | None, now: datetime | None = None) -> HandoverResult:
    """Hand WeCom friends of active employees over to another active employee (effective 24 hours later)."""
    now = now or utcnow()
    target = _target(session, tenant_id, takeover_id)
    message = (message or "").strip()
    if len(message) > MESSAGE_MAX:
        raise AssignmentError(_("The message to the customer has at most %(n)s characters.", n=MESSAGE_MAX),
                              "message")
    customers = _customers(session, tenant_id, customer_ids)
    owners = {e.id: e for e in session.execute(select(Employee).where(
        Employee.tenant_id == tenant_id, Employee.id.in_({c.owner_employee_id for c in customers if
                                                           c.owner_employee_id}))).scalars()}
    follows = owner_follows(session, tenant_id, customers)
    for customer in customers:
        owner = owners.get(customer.owner_employee_id)
        if owner is None or owner.status != EmployeeStatus.ACTIVE:
            raise AssignmentError(_("%(customer)s does not belong to an active employee.", customer=_label(customer)))
        if owner.id == target.id:
            raise AssignmentError(_("%(name)s already owns %(customer)s.", name=target.name,
                                    customer=_label(customer)), "takeover_id")
        if customer.id not in follows:
            raise AssignmentError(_("WeCom friends only: %(customer)s is not a WeCom friend of %(name)s.",
                                    customer=_label(customer), name=owner.name))
    ids = [c.id for c in customers]
    waiting = waiting_customer_ids(session, tenant_id, ids)
    if waiting:
        raise AssignmentError(_("A handover of customer #%(id)s is still waiting for WeCom.", id=min(waiting)))
    recent = recent_handovers(session, tenant_id, ids, now)
    for customer in customers:
        if recent.get(customer.id, 0) >= ONJOB_MAX_IN_WINDOW:
            raise AssignmentError(_("%(customer)s was already handed over twice in the last 90 days.",
                                    customer=_label(customer)))
    for customer in customers:
        session.add(_wecom_record(tenant_id, customer, follows[customer.id], target, Kind.ONJOB_TRANSFER, user_id,
                                  now, message=message, effective_at=now + ONJOB_DELAY))
    session.flush()
    return HandoverResult(waiting=len(customers))
