"""The unassigned pool (公海池): claiming and assigning customers without an owner.

One pool per tenant: a brand's customers are one list shared by its stores, and WeCom itself knows one "unassigned"
list per corp; the tab's filters (source, store / department, member, created) narrow it the way separate pools would.
Claim: the signed-in user's employee becomes the owner. Assign: the customers are split evenly over the chosen active
employees in the order chosen (10 over 3 → 4/3/3). Each customer gets an assignment record whose ``assigned_at`` is
the assigned / claimed time; a customer someone else took meanwhile is skipped.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from flask_babel import gettext as _
from sqlalchemy import select, update
from sqlmodel import Session

from scrm.sdk import Customer, Employee, EmployeeStatus, utcnow

from .models import AssignmentRecord, Kind, Status


class AssignmentError(ValueError):
    """The request was refused; ``field`` names the form field at fault."""

    def __init__(self, message: str, field: str = "customers") -> None:
        super().__init__(message)
        self.field = field


@dataclass
class Preview:
    """The assign dialog's line: X selected customers (as ticked, before the pool is checked again), Y employees,
    Z customers that will be assigned (those still in the pool; 0 while no employee is chosen)."""

    customers: int
    employees: int
    available: int | None = None

    @property
    def expected(self) -> int:
        if not self.employees:
            return 0
        return self.customers if self.available is None else min(self.available, self.customers)


def split_evenly(customer_ids: list[int], employee_ids: list[int]) -> dict[int, list[int]]:
    """Consecutive shares, the first employees taking one more when it does not divide (10 over 3 → 4/3/3)."""
    if not employee_ids:
        return {}
    base, extra = divmod(len(customer_ids), len(employee_ids))
    shares, start = {}, 0
    for index, employee_id in enumerate(employee_ids):
        size = base + (1 if index < extra else 0)
        shares[employee_id] = customer_ids[start:start + size]
        start += size
    return shares


def active_employees(session: Session, tenant_id: int, raw_ids) -> list[Employee]:
    """The chosen employees in the order given (duplicates dropped); refuses unknown or inactive ones."""
    ids: list[int] = []
    for raw in raw_ids:
        try:
            value = int(raw)
        except (TypeError, ValueError):
            continue
        if value not in ids:
            ids.append(value)
    found = {e.id: e for e in session.execute(select(Employee).where(Employee.tenant_id == tenant_id,
                                                                     Employee.id.in_(ids))).scalars()} if ids else {}
    chosen = [found[i] for i in ids if i in found]
    if not chosen:
        raise AssignmentError(_("Choose at least one employee to assign to."), "employee_ids")
    inactive = [e for e in chosen if e.status != EmployeeStatus.ACTIVE]
    if inactive:
        raise AssignmentError(_("%(name)s is not an active employee.", name=inactive[0].name), "employee_ids")
    return chosen


def _take(session: Session, tenant_id: int, customer_ids: list[int], employee_id: int, kind: Kind,
          user_id: int | None, now: datetime) -> int:
    free = list(session.execute(select(Customer.id).where(
        Customer.tenant_id == tenant_id, Customer.id.in_(customer_ids), Customer.merged_into_id.is_(None),
        Customer.owner_employee_id.is_(None)).with_for_update()).scalars())
    if not free:
        return 0
    session.execute(update(Customer).where(Customer.tenant_id == tenant_id, Customer.id.in_(free),
                                           Customer.owner_employee_id.is_(None))
                    .values(owner_employee_id=employee_id, updated_at=now))
    session.add_all([AssignmentRecord(tenant_id=tenant_id, customer_id=cid, kind=kind.value,
                                      takeover_employee_id=employee_id, status=Status.TAKEN_OVER.value,
                                      operator_user_id=user_id, assigned_at=now, finished_at=now) for cid in free])
    session.flush()
    return len(free)


def claim(session: Session, tenant_id: int, customer_ids: list[int], employee: Employee | None,
          user_id: int | None, now: datetime | None = None) -> int:
    """The user's employee becomes the owner of the pool customers ``customer_ids``; returns how many."""
    if not customer_ids:
        raise AssignmentError(_("Choose at least one customer."))
    if employee is None or employee.tenant_id != tenant_id:
        raise AssignmentError(_("Your account is not linked to an employee, so you cannot claim customers. "
                                "Ask an administrator to link it."))
    if employee.status != EmployeeStatus.ACTIVE:
        raise AssignmentError(_("%(name)s is not an active employee.", name=employee.name))
    return _take(session, tenant_id, customer_ids, employee.id, Kind.POOL_CLAIM, user_id, now or utcnow())


def assign(session: Session, tenant_id: int, customer_ids: list[int], employees: list[Employee],
           user_id: int | None, now: datetime | None = None) -> dict[int, int]:
    """Split the pool customers ``customer_ids`` evenly over ``employees``; returns employee id → customers taken."""
    if not customer_ids:
        raise AssignmentError(_("Choose at least one customer."))
    if not employees:
        raise AssignmentError(_("Choose at least one employee to assign to."), "employee_ids")
    now = now or utcnow()
    shares = split_evenly(sorted(customer_ids), [e.id for e in employees])
    return {employee_id: _take(session, tenant_id, ids, employee_id, Kind.POOL_ASSIGN, user_id, now)
            for employee_id, ids in shares.items() if ids}
