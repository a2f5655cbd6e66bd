"""Tenant-scoped queries. Business code reads rows through these helpers, never by bare id."""

from __future__ import annotations

from typing import Any, TypeVar

from sqlmodel import Session, SQLModel, select
from sqlmodel.sql.expression import SelectOfScalar

T = TypeVar("T", bound=SQLModel)


def scoped(model: type[T], tenant_id: int) -> SelectOfScalar[T]:
    """``SELECT model WHERE tenant_id = :tenant_id``."""
    return select(model).where(model.tenant_id == tenant_id)


def get_scoped(session: Session, model: type[T], tenant_id: int, row_id: int | None) -> T | None:
    """The row ``row_id`` of ``model`` if it belongs to ``tenant_id``, else None (as if it did not exist)."""
    if row_id is None:
        return None
    row = session.get(model, row_id)
    return row if row is not None and row.tenant_id == tenant_id else None


def department_subtree(session: Session, tenant_id: int, department_id: int) -> set[int]:
    """``department_id`` and every department below it."""
    from ..models import Department

    rows = session.exec(select(Department.id, Department.parent_id).where(Department.tenant_id == tenant_id)).all()
    children: dict[int | None, list[int]] = {}
    for dept_id, parent in rows:
        children.setdefault(parent, []).append(dept_id)
    found, stack = set(), [department_id]
    while stack:
        current = stack.pop()
        if current not in found:
            found.add(current)
            stack.extend(children.get(current, []))
    return found


def customer_scope(session: Session, membership) -> Any:
    """The SQL condition on ``Customer`` for what ``membership`` may see: all, its department's employees' customers
    (sub-departments included), or its own. None means no restriction (scope 'all', or a platform admin)."""
    from sqlalchemy import false

    from ..models import Customer, DataScope, Employee

    if membership is None or membership.scope == DataScope.ALL:
        return None
    if membership.employee_id is None:
        return false()
    if membership.scope == DataScope.MINE:
        return Customer.owner_employee_id == membership.employee_id
    employee = session.get(Employee, membership.employee_id)
    if employee is None or employee.department_id is None:
        return Customer.owner_employee_id == membership.employee_id
    departments = department_subtree(session, membership.tenant_id, employee.department_id)
    staff = select(Employee.id).where(Employee.tenant_id == membership.tenant_id,
                                      Employee.department_id.in_(departments))
    return Customer.owner_employee_id.in_(staff)
