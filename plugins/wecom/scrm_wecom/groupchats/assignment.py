"""Unassigned group chats (the owner employee left) and their assignment to an active employee.

* Unassigned: chats of status normal whose owner's employee has status ``left``. A chat stays listed until WeCom
  shows the new owner (the transfer is asynchronous); a chat whose new owner later leaves is listed again.
* Assigning calls ``groupchat/transfer`` (``groupchat/onjob_transfer`` for an owner WeCom disabled) per account in chunks of at most ``CHUNK`` chat ids and writes one
  ``GroupAssignment`` per chat: ``failed`` with WeCom's code for the chats in ``failed_chat_list`` (or for a whole
  chunk WeCom refused), else ``waiting``. A newer assignment of a chat supersedes its waiting one (failed).
* A waiting record becomes ``done`` when the mirror sees the takeover employee as the owner (the ``change_owner``
  callback's re-read, the "Sync" button, or the tracker job); one still waiting after ``TRACK_FOR`` fails.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from flask_babel import gettext as _
from sqlalchemy import func, or_
from sqlalchemy.orm import aliased
from sqlmodel import Session, select

from scrm.sdk import Employee, EmployeeStatus, current_zone, utcnow
from scrm.sdk.wechat import WeChatAPIError

from ..sync.models import SyncMember
from ..sync.org import DISABLED_STATUS
from .models import AssignmentStatus, ChatStatus, GroupAssignment, GroupChat
from .tags import with_tags

CHUNK = 100
TRACK_FOR = timedelta(hours=24)
SUPERSEDED = "superseded by a newer assignment"
NOT_CONFIRMED = "WeCom did not confirm the new owner within 24 hours"
PICKER_SIZE = 50  # employees the "new owner" picker shows; typing searches the others
SORTS = {"created": GroupChat.created_at.asc(), "-created": GroupChat.created_at.desc()}


class AssignmentError(Exception):
    """Invalid assignment input; ``fields`` maps form fields to messages."""

    def __init__(self, fields: dict[str, str]) -> None:
        super().__init__(fields)
        self.fields = fields


def confirm_assignments(session: Session, chat: GroupChat) -> int:
    """Waiting assignments of ``chat`` whose takeover employee is now its owner become done; returns how many."""
    if chat.id is None:
        return 0
    waiting = session.exec(select(GroupAssignment).where(GroupAssignment.tenant_id == chat.tenant_id,
                                                         GroupAssignment.group_chat_id == chat.id,
                                                         GroupAssignment.status == AssignmentStatus.WAITING))
    count = 0
    for record in waiting:
        if record.takeover_userid == chat.owner_userid:
            record.status, record.finished_at = AssignmentStatus.DONE, utcnow()
            session.add(record)
            count += 1
    return count


def expire_waiting(session: Session, tenant_id: int, now: datetime | None = None,
                   skip_accounts: Collection[int] = ()) -> int:
    """Waiting assignments older than ``TRACK_FOR`` fail (WeCom never showed the new owner), except those of chats
    of ``skip_accounts``. Call it after re-reading the chats, never before."""
    now = now or utcnow()
    query = select(GroupAssignment).where(GroupAssignment.tenant_id == tenant_id,
                                          GroupAssignment.status == AssignmentStatus.WAITING,
                                          GroupAssignment.assigned_at < now - TRACK_FOR)
    if skip_accounts:
        query = query.where(GroupAssignment.group_chat_id.not_in(
            select(GroupChat.id).where(GroupChat.tenant_id == tenant_id, GroupChat.account_id.in_(list(skip_accounts)))))
    rows = session.exec(query)
    count = 0
    for record in rows:
        record.status, record.error, record.finished_at = AssignmentStatus.FAILED, NOT_CONFIRMED, now
        session.add(record)
        count += 1
    return count


# -- the unassigned list -------------------------------------------------------------------------------------------------

@dataclass
class ChatFilter:
    name: str = ""
    owner_id: int | None = None
    sort: str = "-created"
    tag_ids: list[int] = field(default_factory=list)


def unassigned_query(tenant_id: int, filters: ChatFilter):
    """``select(GroupChat, Employee)`` of the tenant's unassigned chats (owner employee left), filtered (name, owner,
    any of the group tags) and sorted."""
    query = (select(GroupChat, Employee).join(Employee, Employee.id == GroupChat.owner_employee_id)
             .where(GroupChat.tenant_id == tenant_id, GroupChat.status == ChatStatus.NORMAL,
                    Employee.tenant_id == tenant_id, Employee.status == EmployeeStatus.LEFT))
    if filters.name.strip():
        query = query.where(GroupChat.name.contains(filters.name.strip(), autoescape=True))
    if filters.owner_id:
        query = query.where(GroupChat.owner_employee_id == filters.owner_id)
    query = with_tags(query, tenant_id, filters.tag_ids)
    return query.order_by(SORTS.get(filters.sort, SORTS["-created"]), GroupChat.id.desc())


def count_of(session: Session, query) -> int:
    return int(session.exec(select(func.count()).select_from(query.order_by(None).subquery())).one())


def left_owners(session: Session, tenant_id: int) -> list[Employee]:
    """Employees who left and still own unassigned chats (the owner filter's choices)."""
    ids = select(GroupChat.owner_employee_id).where(GroupChat.tenant_id == tenant_id,
                                                    GroupChat.status == ChatStatus.NORMAL)
    return list(session.exec(select(Employee).where(Employee.tenant_id == tenant_id,
                                                    Employee.status == EmployeeStatus.LEFT,
                                                    Employee.id.in_(ids)).order_by(Employee.name)))


def pending_takeovers(session: Session, tenant_id: int, chat_ids: Sequence[int]) -> dict[int, Employee | None]:
    """``{chat pk: takeover employee}`` of the chats with a waiting assignment."""
    if not chat_ids:
        return {}
    rows = session.exec(select(GroupAssignment.group_chat_id, Employee).outerjoin(
        Employee, Employee.id == GroupAssignment.takeover_employee_id).where(
        GroupAssignment.tenant_id == tenant_id, GroupAssignment.group_chat_id.in_(list(chat_ids)),
        GroupAssignment.status == AssignmentStatus.WAITING).order_by(GroupAssignment.id))
    return {chat_id: employee for chat_id, employee in rows}


def active_employees(session: Session, tenant_id: int, search: str = "", limit: int = PICKER_SIZE,
                     include: int | None = None) -> list[Employee]:
    """Active employees of the tenant whose name or userid contains ``search``, by name, at most ``limit`` (the
    "new owner" picker); employee ``include`` comes first when it is active (a choice made before)."""
    query = select(Employee).where(Employee.tenant_id == tenant_id, Employee.status == EmployeeStatus.ACTIVE)
    needle = search.strip()
    if needle:
        query = query.where(or_(Employee.name.contains(needle, autoescape=True),
                                Employee.userid.contains(needle, autoescape=True)))
    found = list(session.exec(query.order_by(Employee.name, Employee.id).limit(limit)))
    if include and all(e.id != include for e in found):
        chosen = session.exec(select(Employee).where(Employee.tenant_id == tenant_id, Employee.id == include,
                                                     Employee.status == EmployeeStatus.ACTIVE)).first()
        if chosen is not None:
            found.insert(0, chosen)
    return found


# -- assigning -----------------------------------------------------------------------------------------------------------

@dataclass
class AssignOutcome:
    waiting: int = 0
    failed: int = 0
    errors: list[str] = field(default_factory=list)


def validate(session: Session, tenant_id: int, chat_ids: Sequence[int],
             takeover_id: int | None) -> tuple[list[GroupChat], Employee]:
    """The selected unassigned chats and the takeover employee, or ``AssignmentError``."""
    errors: dict[str, str] = {}
    chats: list[GroupChat] = []
    if chat_ids:
        query = unassigned_query(tenant_id, ChatFilter()).where(GroupChat.id.in_(list(chat_ids)))
        chats = [chat for chat, _owner in session.exec(query)]
    if not chats:
        errors["chat_ids"] = _("Select at least one group chat.")
    takeover = session.get(Employee, takeover_id) if takeover_id else None
    if takeover is None or takeover.tenant_id != tenant_id:
        errors["takeover_id"] = _("Choose the employee who takes the group chats over.")
    elif takeover.status != EmployeeStatus.ACTIVE:
        errors["takeover_id"] = _("The new owner must be an active employee.")
    if errors:
        raise AssignmentError(errors)
    return chats, takeover  # type: ignore[return-value]


def _record(chat: GroupChat, takeover: Employee, operator: str, **extra: Any) -> GroupAssignment:
    return GroupAssignment(tenant_id=chat.tenant_id, group_chat_id=chat.id, chat_name=chat.name,
                           handover_userid=chat.owner_userid, handover_employee_id=chat.owner_employee_id,
                           takeover_userid=takeover.userid, takeover_employee_id=takeover.id,
                           member_count=chat.member_count, operator=operator[:200], **extra)


def assign(session: Session, clients: Any, chats: Sequence[GroupChat], takeover: Employee,
           operator: str) -> AssignOutcome:
    """Transfer ``chats`` to ``takeover`` through WeCom (``clients(account_id)`` gives an open client) and record
    each. Commits after every chunk; no transaction stays open across a WeCom call."""
    from ..client import WeComUnavailable

    outcome = AssignOutcome()
    disabled = _disabled_owners(session, takeover.tenant_id, chats)
    by_call: dict[tuple[int, bool], list[GroupChat]] = {}
    for chat in chats:  # a disabled owner is still a member: WeCom transfers their chats as on the job
        by_call.setdefault((chat.account_id, (chat.account_id, chat.owner_userid) not in disabled), []).append(chat)
    session.commit()
    for (account_id, resigned), account_chats in by_call.items():
        for start in range(0, len(account_chats), CHUNK):
            chunk = account_chats[start:start + CHUNK]
            try:
                failed = {str(f.get("chat_id")): f for f in clients(account_id).transfer_group_chats(
                    [c.chat_id for c in chunk], takeover.userid, resigned=resigned)}
            except WeChatAPIError as exc:
                failed = {c.chat_id: {"errcode": exc.errcode, "errmsg": exc.errmsg} for c in chunk}
                outcome.errors.append(f"{exc.errcode} {exc.errmsg or ''}".strip())
            except WeComUnavailable as exc:
                failed = {c.chat_id: {"errcode": None, "errmsg": str(exc)} for c in chunk}
                outcome.errors.append(str(exc))
            superseded = session.exec(select(GroupAssignment).where(
                GroupAssignment.tenant_id == takeover.tenant_id, GroupAssignment.status == AssignmentStatus.WAITING,
                GroupAssignment.group_chat_id.in_([c.id for c in chunk if c.chat_id not in failed])))
            for record in superseded:
                record.status, record.error, record.finished_at = AssignmentStatus.FAILED, SUPERSEDED, utcnow()
                session.add(record)
            for chat in chunk:
                refusal = failed.get(chat.chat_id)
                if refusal is None:
                    session.add(_record(chat, takeover, operator))
                    outcome.waiting += 1
                else:
                    errcode = refusal.get("errcode")
                    session.add(_record(chat, takeover, operator, status=AssignmentStatus.FAILED,
                                        errcode=int(errcode) if errcode is not None else None,
                                        error=str(refusal.get("errmsg") or "")[:200], finished_at=utcnow()))
                    outcome.failed += 1
            session.commit()
    return outcome


def _disabled_owners(session: Session, tenant_id: int, chats: Sequence[GroupChat]) -> set[tuple[int, str]]:
    """(account id, userid) of the chats' owners that WeCom has disabled (status 2) rather than removed: WeCom's
    resigned transfer refuses their chats (90500), the on-the-job transfer takes them."""
    owners = {c.owner_userid for c in chats if c.owner_userid}
    if not owners:
        return set()
    rows = session.execute(select(SyncMember.account_id, SyncMember.userid).where(
        SyncMember.tenant_id == tenant_id, SyncMember.userid.in_(owners), SyncMember.wecom_status == DISABLED_STATUS,
        SyncMember.account_id.in_({c.account_id for c in chats}))).all()
    return {(account_id, userid) for account_id, userid in rows}


# -- records -------------------------------------------------------------------------------------------------------------

@dataclass
class RecordFilter:
    name: str = ""
    takeover_id: int | None = None
    start: date | None = None
    end: date | None = None


def _local_midnight(day: date) -> datetime:
    """The start of a China-time day, in UTC (stored times are UTC; SQLite compares them as text)."""
    return datetime.combine(day, time.min, current_zone()).astimezone(UTC)


def records_query(tenant_id: int, filters: RecordFilter):
    """``select(GroupAssignment, takeover Employee, GroupChat)`` of the tenant, newest first; dates are
    Asia/Shanghai days, both ends included."""
    takeover = aliased(Employee)
    query = (select(GroupAssignment, takeover, GroupChat)
             .outerjoin(takeover, takeover.id == GroupAssignment.takeover_employee_id)
             .join(GroupChat, GroupChat.id == GroupAssignment.group_chat_id)
             .where(GroupAssignment.tenant_id == tenant_id))
    if filters.name.strip():
        needle = filters.name.strip()
        query = query.where(or_(GroupAssignment.chat_name.contains(needle, autoescape=True),
                                GroupChat.name.contains(needle, autoescape=True)))
    if filters.takeover_id:
        query = query.where(GroupAssignment.takeover_employee_id == filters.takeover_id)
    if filters.start:
        query = query.where(GroupAssignment.assigned_at >= _local_midnight(filters.start))
    if filters.end:
        query = query.where(GroupAssignment.assigned_at < _local_midnight(filters.end + timedelta(days=1)))
    return query.order_by(GroupAssignment.assigned_at.desc(), GroupAssignment.id.desc())


def takeover_choices(session: Session, tenant_id: int) -> list[Employee]:
    """Employees who took chats over (the records filter's choices), any status."""
    ids = select(GroupAssignment.takeover_employee_id).where(GroupAssignment.tenant_id == tenant_id)
    return list(session.exec(select(Employee).where(Employee.tenant_id == tenant_id, Employee.id.in_(ids))
                             .order_by(Employee.name)))
