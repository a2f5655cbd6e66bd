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
from scrm.sdk.web import code_label

from ..groupchats.models import ChatStatus, GroupChat, GroupMember
from ..labels import add_way_label, follow_status_label, live_code_names, state_label
from ..livecodes.models import LiveCode, LiveCodeFriendEvent
from ..sync.models import Follow, FollowStatus

ORDER = 25
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
    by_state = live_code_names(session, tenant_id, (f.state for f in follows))
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
            live_code=adds.get((follow.userid, follow.external_userid)) or state_label(follow.state, by_state),
            status=follow.status, status_label=follow_status_label(follow.status),
            ended_at=follow.churned_at if follow.status == FollowStatus.CHURNED else follow.deleted_at,
            welcome=code_label("delivery.status", welcome) if welcome else None, remark=follow.remark))
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
