"""Org sync: WeCom departments and members into core ``Department`` / ``Employee``.

Mapping (documented in the plugin README):

* a department's ``external_id`` is its WeCom id (as text); parents follow ``parentid``; a department that WeCom no
  longer lists is deleted locally (its employees keep no department);
* a member's ``userid`` is the employee's ``userid``; WeCom status 1 (active) → ``active``, 4 (not activated) →
  ``inactive``, 2 (disabled) and 5 (left) → ``left``; a member that the address book no longer lists (WeCom
  deletes members who leave) → ``left``. A disabled member no longer serves customers, so their customers and
  group chats wait for inheritance like those of a member who left (spec J1); ``SyncMember.wecom_status`` keeps
  WeCom's own status (2 or 5), which decides the WeCom API of the inheritance (see ``assignment/tracking.py``). ``SyncMember`` remembers which employees came from which account, so staff
  created by hand are never marked as left.

The ``apply_*`` functions change the session only (flush, no commit) and are idempotent: applying the same lists twice
changes nothing the second time. Fetching (``fetch_org``) is separate so no transaction is open during HTTP calls.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from sqlmodel import Session, select

from scrm.sdk import ChannelAccount, Department, Employee, EmployeeStatus

from .models import SyncMember

WECOM_STATUS = {1: EmployeeStatus.ACTIVE, 2: EmployeeStatus.LEFT, 4: EmployeeStatus.INACTIVE,
                5: EmployeeStatus.LEFT}
"""WeCom member status → employee status."""
LEFT_STATUS = 5
DISABLED_STATUS = 2


def employee_status(wecom_status: Any) -> EmployeeStatus:
    """The employee status of a WeCom member status (unknown values count as inactive)."""
    try:
        return WECOM_STATUS.get(int(wecom_status), EmployeeStatus.INACTIVE)
    except (TypeError, ValueError):
        return EmployeeStatus.INACTIVE


@dataclass
class OrgResult:
    departments_created: int = 0
    departments_updated: int = 0
    departments_deleted: int = 0
    employees_created: int = 0
    employees_updated: int = 0
    employees_left: int = 0
    changed_userids: list[str] = field(default_factory=list)

    def as_dict(self) -> dict[str, int]:
        return {k: v for k, v in vars(self).items() if isinstance(v, int)}


def fetch_org(client: Any) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """All departments and all members (with details) of the corp, through the address-book API."""
    departments = client.list_departments()
    ids = {int(d["id"]) for d in departments}
    roots = [int(d["id"]) for d in departments if int(d.get("parentid") or 0) not in ids]
    users: dict[str, dict[str, Any]] = {}
    for root in roots:
        for user in client.list_users(root, fetch_child=True):
            users.setdefault(str(user["userid"]), user)
    return departments, list(users.values())


def _set(row: Any, values: Mapping[str, Any]) -> bool:
    changed = False
    for name, value in values.items():
        if getattr(row, name) != value:
            setattr(row, name, value)
            changed = True
    return changed


def apply_departments(session: Session, tenant_id: int, departments: Iterable[Mapping[str, Any]],
                      result: OrgResult, *, complete: bool = True) -> dict[int, int]:
    """Upsert WeCom ``departments``; with ``complete`` (the whole list), delete the WeCom departments it lacks.
    Returns WeCom id → local department id."""
    departments = list(departments)
    existing = {d.external_id: d for d in session.exec(select(Department).where(
        Department.tenant_id == tenant_id, Department.external_id.is_not(None)))}
    touched: set[str] = set()
    for dep in departments:
        key = str(dep["id"])
        row = existing.get(key)
        values = {"name": str(dep.get("name") or key)[:100], "order": int(dep.get("order") or 0)}
        if row is None:
            row = Department(tenant_id=tenant_id, external_id=key, **values)
            existing[key] = row
            session.add(row)
            result.departments_created += 1
            touched.add(key)
        elif _set(row, values):
            session.add(row)
            result.departments_updated += 1
            touched.add(key)
    session.flush()
    for dep in departments:
        row = existing[str(dep["id"])]
        parent = existing.get(str(dep.get("parentid") or ""))
        parent_id = parent.id if parent is not None and parent is not row else None
        if row.parent_id != parent_id:
            row.parent_id = parent_id
            session.add(row)
            if str(dep["id"]) not in touched:
                result.departments_updated += 1
                touched.add(str(dep["id"]))
    if complete:
        listed = {str(dep["id"]) for dep in departments}
        for key, row in list(existing.items()):
            if key not in listed:
                session.delete(row)
                existing.pop(key)
                result.departments_deleted += 1
    session.flush()
    return {int(key): row.id for key, row in existing.items() if key.lstrip("-").isdigit()}


def _department_of(user: Mapping[str, Any], departments: Mapping[int, int]) -> int | None:
    candidates = [user.get("main_department"), *(user.get("department") or [])]
    for candidate in candidates:
        try:
            local = departments.get(int(candidate))
        except (TypeError, ValueError):
            continue
        if local is not None:
            return local
    return None


def apply_users(session: Session, account: ChannelAccount, users: Iterable[Mapping[str, Any]],
                departments: Mapping[int, int], result: OrgResult, *, complete: bool = True) -> dict[str, int]:
    """Upsert WeCom members as employees; with ``complete``, members of the account WeCom no longer lists are
    marked left. Returns userid → employee id of the members given."""
    tenant_id = account.tenant_id
    users = [u for u in users if u.get("userid")]
    userids = [str(u["userid"]) for u in users]
    employees = {e.userid: e for e in session.exec(select(Employee).where(
        Employee.tenant_id == tenant_id, Employee.userid.in_(userids)))} if userids else {}
    members = {m.userid: m for m in session.exec(select(SyncMember).where(
        SyncMember.tenant_id == tenant_id, SyncMember.account_id == account.id))}
    for user in users:
        userid = str(user["userid"])
        values = {"name": str(user.get("name") or userid)[:100], "status": employee_status(user.get("status", 1)),
                  "department_id": _department_of(user, departments),
                  "mobile": (str(user.get("mobile") or "")[:20] or None),
                  "position": (str(user.get("position") or "")[:100] or None)}
        row = employees.get(userid)
        if row is None:
            row = Employee(tenant_id=tenant_id, userid=userid, **values)
            employees[userid] = row
            session.add(row)
            result.employees_created += 1
            result.changed_userids.append(userid)
        elif _set(row, values):
            session.add(row)
            result.employees_updated += 1
            result.changed_userids.append(userid)
    session.flush()
    for user in users:  # superiors once everyone has an id
        leaders = user.get("direct_leader") or []
        leader = employees.get(str(leaders[0])) if leaders else None
        row = employees[str(user["userid"])]
        superior_id = leader.id if leader is not None and leader is not row else None
        if leaders and row.superior_id != superior_id:
            row.superior_id = superior_id
            session.add(row)
        member = members.get(row.userid)
        status = int(user.get("status") or 1)
        if member is None:
            members[row.userid] = SyncMember(tenant_id=tenant_id, account_id=account.id, employee_id=row.id,
                                             userid=row.userid, wecom_status=status)
            session.add(members[row.userid])
        elif member.employee_id != row.id or member.wecom_status != status:
            member.employee_id, member.wecom_status = row.id, status
            session.add(member)
    if complete:
        listed = set(userids)
        for member in members.values():
            if member.userid not in listed and member.wecom_status != LEFT_STATUS:
                result.employees_left += mark_left(session, account, member.userid)
    session.flush()
    return {userid: employees[userid].id for userid in userids}


def mark_left(session: Session, account: ChannelAccount, userid: str) -> int:
    """Member ``userid`` left the corp (deleted from the address book): 1 when an employee changed, else 0."""
    member = session.exec(select(SyncMember).where(SyncMember.tenant_id == account.tenant_id,
                                                   SyncMember.account_id == account.id,
                                                   SyncMember.userid == userid)).first()
    employee = session.exec(select(Employee).where(Employee.tenant_id == account.tenant_id,
                                                   Employee.userid == userid)).first()
    if member is not None and member.wecom_status != LEFT_STATUS:
        member.wecom_status = LEFT_STATUS
        session.add(member)
    if employee is None or employee.status == EmployeeStatus.LEFT:
        return 0
    employee.status = EmployeeStatus.LEFT
    session.add(employee)
    session.flush()
    return 1


def department_map(session: Session, tenant_id: int) -> dict[int, int]:
    """WeCom department id → local department id, for the departments synced so far."""
    rows = session.exec(select(Department.external_id, Department.id).where(
        Department.tenant_id == tenant_id, Department.external_id.is_not(None)))
    return {int(ext): local for ext, local in rows if ext and ext.lstrip("-").isdigit()}


def sync_org(session: Session, account: ChannelAccount, departments: list[dict[str, Any]],
             users: list[dict[str, Any]]) -> OrgResult:
    """Apply the whole address book (as :func:`fetch_org` returns it) to the account's tenant."""
    result = OrgResult()
    mapping = apply_departments(session, account.tenant_id, departments, result)
    apply_users(session, account, users, mapping, result)
    return result
