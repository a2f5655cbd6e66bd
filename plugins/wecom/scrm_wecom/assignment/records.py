"""The assignment records list (客户分配记录): filters, rows with display labels, counts. The assigned-from / to
filter takes Asia/Shanghai days (both included), as the pages show the times."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from flask_babel import lazy_gettext as _l
from sqlalchemy import and_, func, or_, select
from sqlmodel import Session

from scrm.sdk import Customer, Employee, EmployeeStatus, current_zone
from scrm.sdk.web import parse_int

from ..labels import assignment_kind_label, assignment_status_label
from .models import AssignmentRecord, Kind, Status


@dataclass
class Row:
    record: AssignmentRecord
    customer_name: str
    kind_label: str
    from_label: str
    takeover_label: str
    status_label: str


def _day(value: Any, end: bool) -> datetime | None:
    """The start of the Asia/Shanghai day ``value`` (YYYY-MM-DD), or of the day after it with ``end``."""
    try:
        day = date.fromisoformat(str(value)[:10]) if value else None
    except ValueError:
        return None
    if day is None:
        return None
    # as UTC: SQLite compares the stored UTC text and would drop the offset
    return datetime.combine(day + timedelta(days=1) if end else day, time.min, current_zone()).astimezone(UTC)


def where(tenant_id: int, args, visibility: Any = None) -> Any:
    """Filters: ``q`` customer name, ``employee`` (from or takeover), ``status``, ``kind``, ``from`` / ``to``
    (assigned day); ``visibility`` (the user's scope on customers) applies to the customer's current owner."""
    clauses: list[Any] = [AssignmentRecord.tenant_id == tenant_id]
    customer_clauses: list[Any] = []
    keyword = (args.get("q") or "").strip()[:100]
    if keyword:
        customer_clauses.append(Customer.name.ilike(f"%{keyword}%"))
    if visibility is not None:
        customer_clauses.append(visibility)
    if customer_clauses:
        clauses.append(AssignmentRecord.customer_id.in_(select(Customer.id).where(
            Customer.tenant_id == tenant_id, *customer_clauses)))
    employee = parse_int(args.get("employee"))
    if employee:
        clauses.append(or_(AssignmentRecord.takeover_employee_id == employee,
                           AssignmentRecord.from_employee_id == employee))
    if args.get("status") in {s.value for s in Status}:
        clauses.append(AssignmentRecord.status == args.get("status"))
    if args.get("kind") in {k.value for k in Kind}:
        clauses.append(AssignmentRecord.kind == args.get("kind"))
    start, stop = _day(args.get("from"), False), _day(args.get("to"), True)
    if start:
        clauses.append(AssignmentRecord.assigned_at >= start)
    if stop:
        clauses.append(AssignmentRecord.assigned_at < stop)
    return and_(*clauses)


def count(session: Session, clause: Any) -> int:
    return int(session.execute(select(func.count()).select_from(AssignmentRecord).where(clause)).scalar_one())


def employee_label(employee: Employee | None) -> str:
    """"Name", or "Name (left)" for an employee who left."""
    if employee is None:
        return ""
    if employee.status == EmployeeStatus.LEFT:
        return str(_l("%(name)s (left)", name=employee.name))
    return employee.name


def rows(session: Session, tenant_id: int, clause: Any, offset: int, limit: int) -> list[Row]:
    records = list(session.execute(select(AssignmentRecord).where(clause)
                                   .order_by(AssignmentRecord.assigned_at.desc(), AssignmentRecord.id.desc())
                                   .offset(offset).limit(limit)).scalars())
    customer_ids = {r.customer_id for r in records}
    employee_ids = {i for r in records for i in (r.from_employee_id, r.takeover_employee_id) if i}
    names = dict(session.execute(select(Customer.id, Customer.name).where(
        Customer.tenant_id == tenant_id, Customer.id.in_(customer_ids))).all()) if customer_ids else {}
    staff = {e.id: e for e in session.execute(select(Employee).where(
        Employee.tenant_id == tenant_id, Employee.id.in_(employee_ids))).scalars()} if employee_ids else {}
    return [Row(r, names.get(r.customer_id) or f"#{r.customer_id}", assignment_kind_label(r.kind),
                employee_label(staff.get(r.from_employee_id)), employee_label(staff.get(r.takeover_employee_id)),
                assignment_status_label(r.status)) for r in records]
