"""Writing WeCom's group chats into the mirror: ``groupchat/get`` answers (full sync and re-reads) and the member
changes that callbacks announce.

* A chat is keyed by (account, chat_id); its owner is linked to the employee of the same userid, members of type 1 to
  their employee, external members to the customer holding the ``external_userid@<corpid>`` identity (else the
  ``unionid`` one). Group members are not made customers here: a group member who is nobody's friend stays a member.
* Member rows follow a diff: a row created for a member whose join time is today counts one join; a row removed counts
  one leave (the day it is seen). A callback and the re-read after it therefore count a change once.
* Nothing here commits; the caller's transaction holds every change. Bulk: one query per kind per batch of chats.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import delete
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlmodel import Session, select

from scrm.sdk import ChannelAccount, CustomerIdentity, Employee, IdentityKind, utcnow

from .. import timeline
from .assignment import confirm_assignments
from .counters import add_counts, local_day
from .models import ChatStatus, GroupChat, GroupMember, MemberType


@dataclass
class MirrorResult:
    chats_created: int = 0
    chats_updated: int = 0
    chats_dismissed: int = 0
    members_joined: int = 0
    members_left: int = 0

    def add(self, other: MirrorResult) -> None:
        for key, value in vars(other).items():
            setattr(self, key, getattr(self, key) + value)

    def as_dict(self) -> dict[str, int]:
        return dict(vars(self))


@dataclass
class ChatChange:
    """What one application changed in one chat."""

    chat: GroupChat
    joined: list[GroupMember] = field(default_factory=list)
    left: list[GroupMember] = field(default_factory=list)
    created: bool = False


def _time(epoch: Any) -> datetime | None:
    try:
        value = int(epoch)
    except (TypeError, ValueError):
        return None
    return datetime.fromtimestamp(value, UTC) if value > 0 else None


def _text(value: Any, size: int) -> str:
    return str(value or "")[:size]


class Mirror:
    """The group chats of one account in one session."""

    def __init__(self, session: Session, account: ChannelAccount) -> None:
        self.session, self.account = session, account
        self.tenant_id = account.tenant_id
        self.corp_id = str(account.external_id)

    # -- lookups -------------------------------------------------------------------------------------------------------

    def chat(self, chat_id: str) -> GroupChat | None:
        return self.session.exec(select(GroupChat).where(GroupChat.tenant_id == self.tenant_id,
                                                         GroupChat.account_id == self.account.id,
                                                         GroupChat.chat_id == chat_id)).first()

    def _chats(self, chat_ids: Sequence[str]) -> dict[str, GroupChat]:
        if not chat_ids:
            return {}
        rows = self.session.exec(select(GroupChat).where(GroupChat.tenant_id == self.tenant_id,
                                                         GroupChat.account_id == self.account.id,
                                                         GroupChat.chat_id.in_(list(chat_ids))))
        return {c.chat_id: c for c in rows}

    def _members(self, chat_pks: Sequence[int]) -> dict[int, dict[str, GroupMember]]:
        out: dict[int, dict[str, GroupMember]] = {pk: {} for pk in chat_pks}
        if chat_pks:
            for member in self.session.exec(select(GroupMember).where(GroupMember.tenant_id == self.tenant_id,
                                                                      GroupMember.group_chat_id.in_(list(chat_pks)))):
                out[member.group_chat_id][member.member_id] = member
        return out

    def employees(self, userids: Iterable[str]) -> dict[str, int]:
        wanted = {u for u in userids if u}
        if not wanted:
            return {}
        return dict(self.session.exec(select(Employee.userid, Employee.id).where(
            Employee.tenant_id == self.tenant_id, Employee.userid.in_(wanted))).all())

    def customers(self, external_userids: Iterable[str], unionids: Iterable[str] = ()) -> dict[str, int]:
        """``{external_userid or unionid: customer_id}`` of the known customers."""
        exts, unions = {e for e in external_userids if e}, {u for u in unionids if u}
        out: dict[str, int] = {}
        for kind, values in ((IdentityKind.external_userid(self.corp_id), exts), (IdentityKind.UNIONID, unions)):
            if values:
                out.update(dict(self.session.exec(select(CustomerIdentity.value, CustomerIdentity.customer_id).where(
                    CustomerIdentity.tenant_id == self.tenant_id, CustomerIdentity.kind == kind,
                    CustomerIdentity.value.in_(values))).all()))
        return out

    def _insert_new(self, chat: GroupChat, rows: list[GroupMember], *, take_values: bool = False
                    ) -> list[GroupMember]:
        """Insert member rows read as missing, race-free: the callback's member change and the re-read it triggers
        may both find a member missing and insert it, so the insert skips a row another transaction inserted since
        the read (``ON CONFLICT (group_chat_id, member_id) DO NOTHING``, SQLite and PostgreSQL) instead of failing on
        the unique key. Returns the rows this call inserted (the joins it counts); with ``take_values`` a row inserted
        meanwhile by the other side takes the values of ``rows`` (a ``groupchat/get`` answer is the fuller one)."""
        if not rows:
            return []
        table = GroupMember.__table__
        values = [{c.name: getattr(row, c.name) for c in table.columns if c.name != "id"} for row in rows]
        dialect = self.session.get_bind().dialect.name
        insert = postgresql_insert if dialect == "postgresql" else sqlite_insert
        statement = insert(table).values(values).on_conflict_do_nothing(
            index_elements=["group_chat_id", "member_id"]).returning(table.c.member_id)
        inserted = set(self.session.execute(statement).scalars())
        wanted = {value["member_id"]: value for value in values}
        order = {member_id: position for position, member_id in enumerate(wanted)}
        loaded = sorted(self.session.exec(select(GroupMember).where(
            GroupMember.group_chat_id == chat.id, GroupMember.member_id.in_(list(wanted)))).all(),
            key=lambda row: order[row.member_id])
        for row in loaded:
            if row.member_id not in inserted and take_values:
                for name, value in wanted[row.member_id].items():
                    setattr(row, name, value)
                self.session.add(row)
        return [row for row in loaded if row.member_id in inserted]

    # -- groupchat/get answers -------------------------------------------------------------------------------------------

    def apply(self, details: Sequence[dict[str, Any]], *, members: bool = True) -> list[ChatChange]:
        """Upsert the chats of ``details`` (``groupchat/get`` ``group_chat`` objects); with ``members`` also their
        member rows (without, only the chat's own fields: used when a re-read predates the callback's change)."""
        now, today = utcnow(), local_day()
        chats = self._chats([str(d.get("chat_id") or "") for d in details])
        rows = self._members([c.id for c in chats.values()]) if members else {}
        userids = {str(d.get("owner") or "") for d in details}
        exts: set[str] = set()
        unions: set[str] = set()
        for detail in details:
            for m in detail.get("member_list") or []:
                (userids if int(m.get("type") or 0) == MemberType.EMPLOYEE else exts).add(str(m.get("userid") or ""))
                if m.get("unionid"):
                    unions.add(str(m["unionid"]))
        employees = self.employees(userids)
        customers = self.customers(exts, unions) if members else {}
        changes = []
        for detail in details:
            chat_id = str(detail.get("chat_id") or "")
            if not chat_id:
                continue
            chat = chats.get(chat_id)
            change = ChatChange(chat or GroupChat(tenant_id=self.tenant_id, account_id=self.account.id,
                                                  chat_id=chat_id), created=chat is None)
            chat = change.chat
            chat.name = _text(detail.get("name"), 100)
            chat.owner_userid = _text(detail.get("owner"), 64)
            chat.owner_employee_id = employees.get(chat.owner_userid)
            chat.notice = _text(detail.get("notice"), 1000)
            chat.created_at = _time(detail.get("create_time")) or chat.created_at
            chat.status = ChatStatus.NORMAL
            chat.synced_at = chat.updated_at = now
            self.session.add(chat)
            if change.created:
                self.session.flush()
            if members:
                chat.member_version = _text(detail.get("member_version"), 64)
                self._apply_members(change, detail.get("member_list") or [], rows.get(chat.id, {}), employees,
                                    customers, today)
            confirm_assignments(self.session, chat)
            changes.append(change)
        self.session.flush()
        for change in changes:
            self._timeline(change, None)
        return changes

    def _timeline(self, change: ChatChange, when: datetime | None) -> None:
        """A timeline entry for each known customer who joined (at the join time) or left (``when``, now)."""
        chat = change.chat
        for member in change.joined:
            timeline.write(self.session, self.tenant_id, member.customer_id, timeline.JOINED_GROUP,
                           member.join_time or when, chat=chat.name, chat_id=chat.chat_id)
        for member in change.left:
            timeline.write(self.session, self.tenant_id, member.customer_id, timeline.LEFT_GROUP, when,
                           chat=chat.name, chat_id=chat.chat_id)

    def _apply_members(self, change: ChatChange, listed: list[dict[str, Any]], existing: dict[str, GroupMember],
                       employees: dict[str, int], customers: dict[str, int], today) -> None:
        chat = change.chat
        seen: set[str] = set()
        new: dict[str, GroupMember] = {}
        for m in listed:
            member_id = _text(m.get("userid"), 64)
            if not member_id or member_id in seen:
                continue
            seen.add(member_id)
            row = existing.get(member_id)
            if row is None:  # inserted below, all at once and race-free
                row = new[member_id] = GroupMember(tenant_id=self.tenant_id, group_chat_id=chat.id,
                                                   member_id=member_id)
            row.type = int(m.get("type") or MemberType.EXTERNAL)
            row.join_time = _time(m.get("join_time")) or row.join_time
            row.join_scene = int(m.get("join_scene") or 0)
            row.invitor_userid = _text((m.get("invitor") or {}).get("userid"), 64)
            row.group_nickname = _text(m.get("group_nickname"), 100)
            row.name = _text(m.get("name"), 100) or row.name
            row.unionid = _text(m.get("unionid"), 64)
            row.state = _text(m.get("state"), 64)
            if row.type == MemberType.EMPLOYEE:
                row.employee_id, row.customer_id = employees.get(member_id), None
            else:
                row.customer_id = customers.get(member_id) or customers.get(row.unionid) or row.customer_id
            if member_id not in new:
                self.session.add(row)
        change.joined = self._insert_new(chat, list(new.values()), take_values=True)
        change.left = [row for member_id, row in existing.items() if member_id not in seen]
        for row in change.left:
            self.session.delete(row)
        joined_today = sum(1 for row in change.joined if row.join_time and local_day(row.join_time) == today)
        if joined_today or (change.left and not change.created):
            add_counts(chat, joined=joined_today, left=len(change.left) if not change.created else 0, today=today)
        chat.member_count = len(seen)

    # -- callbacks -------------------------------------------------------------------------------------------------------

    def member_change(self, chat: GroupChat, *, joined: Sequence[str] = (), left: Sequence[str] = (),
                      when: datetime | None = None, join_scene: int = 0, member_version: str = "") -> ChatChange:
        """Apply an ``add_member`` / ``del_member`` callback: rows added or removed at once, counted on the day of
        ``when`` when it is today. Members already present (or already gone) count nothing: redelivery is harmless."""
        when = when or utcnow()
        change = ChatChange(chat)
        existing = self._members([chat.id])[chat.id]
        new_ids = [m for m in dict.fromkeys(joined) if m and m not in existing]
        employees = self.employees(new_ids)
        customers = self.customers([m for m in new_ids if m not in employees])
        change.joined = self._insert_new(chat, [
            GroupMember(tenant_id=self.tenant_id, group_chat_id=chat.id, member_id=member_id[:64],
                        type=MemberType.EMPLOYEE if member_id in employees else MemberType.EXTERNAL,
                        join_time=when, join_scene=join_scene, employee_id=employees.get(member_id),
                        customer_id=customers.get(member_id))
            for member_id in new_ids])
        gone = [existing[m] for m in dict.fromkeys(left) if m in existing]
        if gone:
            self.session.execute(delete(GroupMember).where(GroupMember.id.in_([row.id for row in gone])))
            change.left = gone
        today = local_day()
        joined_today = len(change.joined) if local_day(when) == today else 0
        if joined_today or change.left:
            add_counts(chat, joined=joined_today, left=len(change.left), today=today)
        chat.member_count = max(0, chat.member_count + len(change.joined) - len(change.left))
        if member_version:
            chat.member_version = member_version[:64]
        chat.updated_at = utcnow()
        self.session.add(chat)
        self._timeline(change, when)
        self.session.flush()
        return change

    def dismiss(self, chat: GroupChat) -> bool:
        """Mark ``chat`` dismissed (its member rows stay as they were); False when it already was."""
        if chat.status == ChatStatus.DISMISSED:
            return False
        chat.status, chat.updated_at = ChatStatus.DISMISSED, utcnow()
        self.session.add(chat)
        self.session.flush()
        return True

    def dismiss_missing(self, listed: set[str]) -> int:
        """After a complete ``groupchat/list``: chats of the account WeCom no longer lists are dismissed."""
        rows = self.session.exec(select(GroupChat).where(GroupChat.tenant_id == self.tenant_id,
                                                         GroupChat.account_id == self.account.id,
                                                         GroupChat.status == ChatStatus.NORMAL))
        gone = [chat for chat in rows if chat.chat_id not in listed]
        for chat in gone:
            self.dismiss(chat)
        return len(gone)



def customer_merged(session: Session, tenant_id: int, survivor_id: int, merged_id: int) -> None:
    """Group memberships of the merged customer now point to the survivor."""
    from sqlalchemy import update

    session.execute(update(GroupMember).where(GroupMember.tenant_id == tenant_id, GroupMember.customer_id == merged_id)
                    .values(customer_id=survivor_id))
