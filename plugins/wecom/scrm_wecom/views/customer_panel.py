"""The "WeCom relations" panel of the customer 360 profile (the ``customer_panels`` hook): who added the customer
(employee and department), when (tenant time), through which live code, whether the welcome went out, whether the
friendship still stands, and the group chats the customer is in. Everything is read for the profile's tenant only."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from flask import has_request_context, render_template
from flask_babel import lazy_gettext as _l
from markupsafe import Markup
from sqlalchemy import select
from sqlmodel import Session

from scrm.sdk import Department, Employee, MessageDelivery, ProfilePanel

from ..groupchats.models import ChatStatus, GroupChat, GroupMember
from ..livecodes.models import LiveCode, LiveCodeFriendEvent
from ..sync.models import Follow, FollowStatus

ORDER = 25
FOLLOW_STATUS_LABELS = {FollowStatus.ACTIVE: _l("Friends"), FollowStatus.CHURNED: _l("Customer deleted the employee"),
                        FollowStatus.DELETED: _l("Employee deleted the customer"),
                        FollowStatus.TRANSFERRED: _l("Transferred to another employee")}
WELCOME_LABELS = {"queued": _l("Sending"), "sent": _l("Sent"), "delivered": _l("Sent"), "failed": _l("Failed"),
                  "skipped": _l("Not sent")}
ADD_WAY_LABELS = {0: _l("Unknown"), 1: _l("Scanned a QR code"), 2: _l("Searched the mobile number"),
                  3: _l("Shared business card"), 4: _l("Group chat"), 5: _l("Phone contacts"),
                  6: _l("WeChat contacts"), 8: _l("Third-party service"), 9: _l("Searched the email"),
                  10: _l("Video channel"), 201: _l("Shared by a colleague"), 202: _l("Assigned by an admin")}


def follow_status_label(status: str) -> str:
    """The friendship status in the reader's language."""
    return str(FOLLOW_STATUS_LABELS.get(status, status))


def add_way_label(add_way: int) -> str:
    """How the customer was added (WeCom's ``add_way`` code) in the reader's language."""
    return str(ADD_WAY_LABELS.get(add_way, ADD_WAY_LABELS[0]))


@dataclass
class Relation:
    """One employee ↔ customer friendship as the panel shows it."""

    employee: str
    department: str
    added_at: datetime | None
    live_code: str
    add_way: str
    status: str
    status_label: str
    ended_at: datetime | None
    welcome: str | None
    remark: str


@dataclass
class ChatMembership:
    name: str
    owner: str
    joined_at: datetime | None
    dismissed: bool


def relations(session: Session, tenant_id: int, customer_id: int) -> list[Relation]:
    """The customer's WeCom friendships, the earliest added first."""
    follows = list(session.execute(select(Follow).where(Follow.tenant_id == tenant_id,
                                                        Follow.customer_id == customer_id)
                                   .order_by(Follow.added_at, Follow.id)).scalars())
    if not follows:
        return []
    employees = {e.id: e for e in session.execute(select(Employee).where(
        Employee.tenant_id == tenant_id, Employee.id.in_({f.employee_id for f in follows if f.employee_id})))
        .scalars()}
    departments = dict(session.execute(select(Department.id, Department.name).where(
        Department.tenant_id == tenant_id,
        Department.id.in_({e.department_id for e in employees.values() if e.department_id}))).all())
    exts = {f.external_userid for f in follows}
    adds: dict[tuple[str, str], str] = {}
    for userid, ext, name in session.execute(
            select(LiveCodeFriendEvent.userid, LiveCodeFriendEvent.external_userid, LiveCode.name)
            .join(LiveCode, LiveCode.id == LiveCodeFriendEvent.live_code_id)
            .where(LiveCodeFriendEvent.tenant_id == tenant_id, LiveCodeFriendEvent.kind == "add",
                   LiveCodeFriendEvent.external_userid.in_(exts)).order_by(LiveCodeFriendEvent.id)):
        adds[(userid, ext)] = name
    states = {f.state for f in follows if f.state}
    by_state = dict(session.execute(select(LiveCode.state, LiveCode.name).where(
        LiveCode.tenant_id == tenant_id, LiveCode.state.in_(states))).all()) if states else {}
    welcomes: dict[tuple[str, str], str] = {}
    for recipient, task_ref, status in session.execute(
            select(MessageDelivery.recipient, MessageDelivery.task_ref, MessageDelivery.status)
            .where(MessageDelivery.tenant_id == tenant_id, MessageDelivery.kind == "welcome",
                   MessageDelivery.recipient.in_(exts)).order_by(MessageDelivery.id)):
        welcomes[((task_ref or "").rpartition("@")[2], recipient)] = str(status)
    out = []
    for follow in follows:
        employee = employees.get(follow.employee_id or 0)
        welcome = welcomes.get((follow.userid, follow.external_userid))
        out.append(Relation(
            employee=employee.name if employee else follow.userid,
            department=departments.get(employee.department_id or 0, "") if employee else "",
            added_at=follow.added_at, add_way=add_way_label(follow.add_way),
            live_code=adds.get((follow.userid, follow.external_userid)) or by_state.get(follow.state, ""),
            status=follow.status, status_label=follow_status_label(follow.status),
            ended_at=follow.churned_at if follow.status == FollowStatus.CHURNED else follow.deleted_at,
            welcome=str(WELCOME_LABELS.get(welcome, welcome)) if welcome else None, remark=follow.remark))
    return out


def group_chats(session: Session, tenant_id: int, customer_id: int) -> list[ChatMembership]:
    """The group chats the customer is a member of, the latest joined first."""
    rows = session.execute(select(GroupChat.name, GroupChat.status, GroupMember.join_time, Employee.name)
                           .join(GroupChat, GroupChat.id == GroupMember.group_chat_id)
                           .outerjoin(Employee, Employee.id == GroupChat.owner_employee_id)
                           .where(GroupMember.tenant_id == tenant_id, GroupChat.tenant_id == tenant_id,
                                  GroupMember.customer_id == customer_id)
                           .order_by(GroupMember.join_time.desc())).all()
    return [ChatMembership(name or "—", owner or "", joined, status == ChatStatus.DISMISSED)
            for name, status, joined, owner in rows]


def relations_panel(tenant, customer, user, session: Session) -> list[ProfilePanel]:
    """The panel, or nothing for a customer who never was a WeCom friend nor in a group chat."""
    if not has_request_context():
        return []
    friends = relations(session, tenant.id, customer.id)
    chats = group_chats(session, tenant.id, customer.id)
    if not friends and not chats:
        return []
    html = render_template("wecom/profile/_relations_panel.html", relations=friends, chats=chats)
    return [ProfilePanel(str(_l("WeCom relations")), Markup(html), order=ORDER, key="wecom.relations")]
