"""Statistics of one send (spec §5.2 customer sends, §5.3 group sends), the member and target lists of its detail
page, and the rows of its exports. Counts are grouped queries; lists are paged."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from flask_babel import gettext as _
from sqlalchemy import func, select
from sqlmodel import Session

from scrm.sdk import Customer, Employee, format_local, zone_title

from ..groupchats.models import GroupChat
from .models import ChatType, MassMember, MassRecipient, MassTask, MemberStatus, RecipientStatus

BATCH = 1000


@dataclass
class Cards:
    """The detail cards: 已发送成员 / 未发送成员, 已送达 / 未送达 (customers or chats), 客户接收已达上限,
    已不是好友客户; plus what was left out before the task (exclusion rules) and failures."""

    members_total: int = 0
    members_sent: int = 0
    members_unsent: int = 0
    delivered: int = 0
    undelivered: int = 0
    limit: int = 0
    not_friend: int = 0
    excluded: int = 0
    failed: int = 0
    cancelled: int = 0
    targets: int = 0


def cards(session: Session, task: MassTask) -> Cards:
    out = Cards()
    members = dict(session.execute(select(MassMember.status, func.count(func.distinct(MassMember.userid))).where(
        MassMember.task_id == task.id).group_by(MassMember.status)).all())
    out.members_sent = members.get(MemberStatus.SENT.value, 0)
    out.members_unsent = members.get(MemberStatus.UNSENT.value, 0)
    out.members_total = sum(members.values())
    targets = dict(session.execute(select(MassRecipient.status, func.count()).where(
        MassRecipient.task_id == task.id).group_by(MassRecipient.status)).all())
    out.delivered = targets.get(RecipientStatus.DELIVERED.value, 0)
    out.undelivered = targets.get(RecipientStatus.UNSENT.value, 0)
    out.limit = targets.get(RecipientStatus.LIMIT.value, 0)
    out.not_friend = targets.get(RecipientStatus.NOT_FRIEND.value, 0)
    out.excluded = targets.get(RecipientStatus.EXCLUDED.value, 0)
    out.failed = targets.get(RecipientStatus.FAILED.value, 0)
    out.cancelled = targets.get(RecipientStatus.CANCELLED.value, 0)
    out.targets = sum(targets.values())
    return out


def chart(task: MassTask, found: Cards) -> dict[str, Any]:
    """Chart.js ``data`` of the outcome bar chart (``hostapp/static/js/charts.js``)."""
    group = task.chat_type == ChatType.GROUP
    labels = [_("Delivered"), _("Not delivered"), _("Receive limit reached"),
              _("Group chat gone") if group else _("No longer a friend"), _("Excluded"), _("Failed"), _("Cancelled")]
    values = [found.delivered, found.undelivered, found.limit, found.not_friend, found.excluded, found.failed,
              found.cancelled]
    return {"labels": labels, "datasets": [{"label": _("Group chats") if group else _("Customers"), "data": values,
                                            "backgroundColor": ["#2f9e44", "#adb5bd", "#f08c00", "#e03131",
                                                                "#862e9c", "#c92a2a", "#868e96"]}]}


def member_rows(session: Session, task: MassTask, status: str = "", offset: int = 0, limit: int = 50):
    query = (select(MassMember, Employee.name).outerjoin(Employee, Employee.id == MassMember.employee_id)
             .where(MassMember.task_id == task.id, MassMember.tenant_id == task.tenant_id))
    if status:
        query = query.where(MassMember.status == status)
    total = int(session.execute(select(func.count()).select_from(query.subquery())).scalar_one())
    rows = session.execute(query.order_by(MassMember.id).offset(offset).limit(limit)).all()
    return rows, total


def _recipient_query(task: MassTask, status: str = "", keyword: str = ""):
    group = task.chat_type == ChatType.GROUP
    name = GroupChat.name if group else func.coalesce(Customer.name, "")
    query = (select(MassRecipient, name.label("name"), Employee.name.label("employee"),
                    (GroupChat.created_at if group else Customer.created_at).label("created"))
             .outerjoin(Employee, Employee.id == MassRecipient.employee_id)
             .where(MassRecipient.task_id == task.id, MassRecipient.tenant_id == task.tenant_id))
    if group:
        query = query.outerjoin(GroupChat, GroupChat.id == MassRecipient.group_chat_id)
    else:
        query = query.outerjoin(Customer, Customer.id == MassRecipient.customer_id)
    if status:
        query = query.where(MassRecipient.status == status)
    if keyword:
        query = query.where(name.contains(keyword, autoescape=True))
    return query


def recipient_rows(session: Session, task: MassTask, status: str = "", keyword: str = "", offset: int = 0,
                   limit: int = 50):
    query = _recipient_query(task, status, keyword)
    total = int(session.execute(select(func.count()).select_from(query.subquery())).scalar_one())
    rows = session.execute(query.order_by(MassRecipient.id).offset(offset).limit(limit)).all()
    return rows, total


def status_label(status: str, group: bool = False) -> str:
    if group and status == RecipientStatus.NOT_FRIEND.value:
        return _("Group chat gone")
    labels = {
        RecipientStatus.UNSENT.value: _("Not sent"),
        RecipientStatus.DELIVERED.value: _("Delivered"),
        RecipientStatus.NOT_FRIEND.value: _("No longer a friend"),
        RecipientStatus.LIMIT.value: _("Receive limit reached"),
        RecipientStatus.EXCLUDED.value: _("Excluded"),
        RecipientStatus.CANCELLED.value: _("Cancelled"),
        RecipientStatus.FAILED.value: _("Failed"),
    }
    return labels.get(status, status)


def member_status_label(status: str) -> str:
    return {MemberStatus.UNSENT.value: _("Not sent"), MemberStatus.SENT.value: _("Sent"),
            MemberStatus.FAILED.value: _("Failed"), MemberStatus.CANCELLED.value: _("Cancelled")}.get(status, status)


def export_rows(session: Session, task: MassTask) -> tuple[list[str], Iterator[list[Any]]]:
    """Titles and rows of the target list (every status), read in batches by id."""
    group = task.chat_type == ChatType.GROUP
    titles = [_("Group chat") if group else _("Customer"), _("Group owner") if group else _("Employee"), _("Status"),
              zone_title(_("Sent at"))]

    def rows() -> Iterator[list[Any]]:
        last = 0
        while True:
            batch = session.execute(_recipient_query(task).where(MassRecipient.id > last)
                                    .order_by(MassRecipient.id).limit(BATCH)).all()
            if not batch:
                return
            for recipient, name, employee, _created in batch:
                yield [name or recipient.target, employee or recipient.userid,
                       status_label(recipient.status, group), format_local(recipient.sent_at, "%Y-%m-%d %H:%M", "")]
            last = batch[-1][0].id

    return titles, rows()
