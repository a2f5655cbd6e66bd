"""Tables of the customer group chat mirror (lineage branch ``wecom_groupchats``): the chats, their members, the
assignments of chats whose owner left, the full-sync runs, and the local group tags."""

from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import Index
from sqlmodel import Field, UniqueConstraint

from scrm.sdk import TenantScoped, json_column, utcnow


class ChatStatus(StrEnum):
    """Whether a group chat still exists in WeCom (``normal``) or was dismissed."""

    NORMAL = "normal"
    DISMISSED = "dismissed"


class MemberType:
    """WeCom's ``member_list.type``."""

    EMPLOYEE = 1
    EXTERNAL = 2


class AssignmentStatus(StrEnum):
    WAITING = "waiting"  # WeCom accepted the transfer; the new owner is not confirmed yet
    DONE = "done"  # WeCom shows the takeover employee as the owner
    FAILED = "failed"  # refused (failed_chat_list), or not confirmed within the tracking window


class GroupChat(TenantScoped, table=True):
    """A customer group chat of a WeCom corp, as ``groupchat/get`` and the ``change_external_chat`` callbacks showed it.

    ``joined_today`` / ``left_today`` count for ``counter_day`` (Asia/Shanghai); read them through
    :func:`scrm_wecom.groupchats.counters.today_counts`, which gives 0 for another day.
    """

    __tablename__ = "wecom_group_chat"
    __table_args__ = (
        UniqueConstraint("account_id", "chat_id"),
        Index("ix_wecom_group_chat_owner", "tenant_id", "owner_employee_id", "status"),
    )
    id: int | None = Field(default=None, primary_key=True)
    account_id: int = Field(foreign_key="channel_account.id", ondelete="CASCADE")
    chat_id: str = Field(max_length=64)
    name: str = Field(default="", max_length=100)
    owner_userid: str = Field(default="", max_length=64)
    owner_employee_id: int | None = Field(default=None, foreign_key="employee.id", ondelete="SET NULL")
    notice: str = Field(default="", max_length=1000)
    created_at: datetime | None = Field(default=None, description="when the chat was created in WeCom")
    member_count: int = 0
    status: str = Field(default=ChatStatus.NORMAL, max_length=10)
    member_version: str = Field(default="", max_length=64)
    counter_day: date | None = Field(default=None, description="the Asia/Shanghai day the two counters count")
    joined_today: int = 0
    left_today: int = 0
    synced_at: datetime | None = Field(default=None, description="last full read (groupchat/get)")
    updated_at: datetime = Field(default_factory=utcnow)


class GroupMember(TenantScoped, table=True):
    """A member of a group chat: an employee (type 1, ``member_id`` a userid) or an external user (type 2, an
    external_userid; ``customer_id`` when that person is a known customer)."""

    __tablename__ = "wecom_group_member"
    __table_args__ = (
        UniqueConstraint("group_chat_id", "member_id"),
        Index("ix_wecom_group_member_customer", "tenant_id", "customer_id"),
    )
    id: int | None = Field(default=None, primary_key=True)
    group_chat_id: int = Field(foreign_key="wecom_group_chat.id", ondelete="CASCADE")
    member_id: str = Field(max_length=64)
    type: int = Field(default=MemberType.EXTERNAL, description="1 employee, 2 external user")
    name: str = Field(default="", max_length=100)
    group_nickname: str = Field(default="", max_length=100)
    unionid: str = Field(default="", max_length=64)
    join_time: datetime | None = None
    join_scene: int = Field(default=0, description="1 invited directly, 2 invited by link, 3 scanned the group QR")
    invitor_userid: str = Field(default="", max_length=64)
    state: str = Field(default="", max_length=64, description="the join way's state, when joined through one")
    customer_id: int | None = Field(default=None, foreign_key="customer.id", ondelete="SET NULL")
    employee_id: int | None = Field(default=None, foreign_key="employee.id", ondelete="SET NULL")


class GroupAssignment(TenantScoped, table=True):
    """One assignment of a chat whose owner left to a takeover employee (``groupchat/transfer``)."""

    __tablename__ = "wecom_group_assignment"
    __table_args__ = (
        Index("ix_wecom_group_assignment_assigned", "tenant_id", "assigned_at"),
        Index("ix_wecom_group_assignment_chat", "tenant_id", "group_chat_id", "status"),
    )
    id: int | None = Field(default=None, primary_key=True)
    group_chat_id: int = Field(foreign_key="wecom_group_chat.id", ondelete="CASCADE")
    chat_name: str = Field(default="", max_length=100, description="the chat's name at the time")
    handover_userid: str = Field(default="", max_length=64)
    handover_employee_id: int | None = Field(default=None, foreign_key="employee.id", ondelete="SET NULL")
    takeover_userid: str = Field(max_length=64)
    takeover_employee_id: int | None = Field(default=None, foreign_key="employee.id", ondelete="SET NULL")
    member_count: int = Field(default=0, description="members at the time of the assignment")
    status: str = Field(default=AssignmentStatus.WAITING, max_length=10)
    errcode: int | None = None
    error: str = Field(default="", max_length=200)
    operator: str = Field(default="", max_length=200)
    assigned_at: datetime = Field(default_factory=utcnow)
    finished_at: datetime | None = None


class GroupChatSync(TenantScoped, table=True):
    """A full sync of an account's group chats: status queued → running → done / failed, progress and results."""

    __tablename__ = "wecom_group_chat_sync"
    __table_args__ = (Index("ix_wecom_group_chat_sync_account", "tenant_id", "account_id", "id"),)
    id: int | None = Field(default=None, primary_key=True)
    account_id: int = Field(foreign_key="channel_account.id", ondelete="CASCADE")
    status: str = Field(default="queued", max_length=10, description="queued, running, done or failed")
    phase: str = Field(default="", max_length=20)
    progress: int = Field(default=0, description="percent done, 0..100")
    stats: dict[str, Any] = json_column()
    error: str | None = Field(default=None, max_length=500)
    requested_by: str = Field(default="", max_length=200)
    created_at: datetime = Field(default_factory=utcnow)
    started_at: datetime | None = None
    finished_at: datetime | None = None


# -- group tags: local labels of group chats (WeCom has no group-chat tag API); not customer tags ----------------------

TAG_NAME_MAX = 15


class GroupTagGroup(TenantScoped, table=True):
    """A named group of group-chat tags (e.g. "Region"); the name is unique in the tenant."""

    __tablename__ = "wecom_group_tag_group"
    __table_args__ = (UniqueConstraint("tenant_id", "name"),)
    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(max_length=TAG_NAME_MAX)
    created_at: datetime = Field(default_factory=utcnow)


class GroupTag(TenantScoped, table=True):
    """A group-chat tag of a tag group; the name is unique in its group."""

    __tablename__ = "wecom_group_tag"
    __table_args__ = (UniqueConstraint("tag_group_id", "name"),)
    id: int | None = Field(default=None, primary_key=True)
    tag_group_id: int = Field(foreign_key="wecom_group_tag_group.id", ondelete="CASCADE")
    name: str = Field(max_length=TAG_NAME_MAX)
    created_at: datetime = Field(default_factory=utcnow)


class GroupChatTag(TenantScoped, table=True):
    """A tag on a group chat."""

    __tablename__ = "wecom_group_chat_tag"
    __table_args__ = (
        UniqueConstraint("group_chat_id", "tag_id"),
        Index("ix_wecom_group_chat_tag_tag", "tenant_id", "tag_id"),
    )
    id: int | None = Field(default=None, primary_key=True)
    group_chat_id: int = Field(foreign_key="wecom_group_chat.id", ondelete="CASCADE")
    tag_id: int = Field(foreign_key="wecom_group_tag.id", ondelete="CASCADE")
    tagged_by: str = Field(default="", max_length=200)
    tagged_at: datetime = Field(default_factory=utcnow)
