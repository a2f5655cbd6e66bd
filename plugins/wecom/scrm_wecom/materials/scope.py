"""Who may use what (spec 4.2): enterprise items every employee, team items the employees of the group's departments
and of their sub-departments; and the default group (默认分组) of each library and scope."""

from __future__ import annotations

from sqlalchemy import or_
from sqlmodel import Session, select

from scrm.sdk import Department, Employee

from .models import ENTERPRISE, TEAM, ContentGroup

DEFAULT_NAME = "默认分组"


def department_chain(session: Session, tenant_id: int, department_id: int | None) -> set[int]:
    """``department_id`` and every department above it (an employee of a sub-department belongs to its parents)."""
    chain: set[int] = set()
    parents = dict(session.exec(select(Department.id, Department.parent_id)
                                .where(Department.tenant_id == tenant_id)).all())
    current = department_id
    while current is not None and current not in chain and current in parents:
        chain.add(current)
        current = parents[current]
    return chain


def usable_group_ids(session: Session, tenant_id: int, library: str, employee: Employee | None) -> list[int]:
    """The groups of ``library`` whose items ``employee`` may use: every enterprise group, and the team groups
    naming one of the employee's departments (or a department above it). ``None``: enterprise groups only."""
    groups = session.exec(select(ContentGroup).where(ContentGroup.tenant_id == tenant_id,
                                                     ContentGroup.library == library)).all()
    chain = department_chain(session, tenant_id, employee.department_id) if employee is not None else set()
    return [g.id for g in groups
            if g.scope == ENTERPRISE or (g.scope == TEAM and chain & set(g.department_ids or []))]


def default_group(session: Session, tenant_id: int, library: str, scope: str = ENTERPRISE) -> ContentGroup:
    """The 默认分组 of (library, scope), created on first use. The team default is usable by every department: its
    items reach every employee until moved to a group with departments."""
    group = session.exec(select(ContentGroup).where(ContentGroup.tenant_id == tenant_id,
                                                    ContentGroup.library == library, ContentGroup.scope == scope,
                                                    ContentGroup.is_default.is_(True))).first()
    if group is None:
        roots = list(session.exec(select(Department.id).where(Department.tenant_id == tenant_id,
                                                              or_(Department.parent_id.is_(None)))).all())
        group = ContentGroup(tenant_id=tenant_id, library=library, scope=scope, name=DEFAULT_NAME,
                             department_ids=roots if scope == TEAM else [], is_default=True)
        session.add(group)
        session.flush()
    return group


def groups(session: Session, tenant_id: int, library: str, scope: str) -> list[ContentGroup]:
    """The groups of a library tab, the default first (created when missing)."""
    default_group(session, tenant_id, library, scope)
    rows = session.exec(select(ContentGroup).where(ContentGroup.tenant_id == tenant_id,
                                                   ContentGroup.library == library, ContentGroup.scope == scope)
                        .order_by(ContentGroup.is_default.desc(), ContentGroup.id)).all()
    return list(rows)
