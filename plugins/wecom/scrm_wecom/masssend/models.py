"""Tables of mass messaging (lineage branch ``wecom_masssend``)."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlmodel import Field, Index, UniqueConstraint

from scrm.sdk import TenantScoped, json_column, utcnow


class ChatType(StrEnum):
    SINGLE = "single"  # 客户群发: to customers
    GROUP = "group"  # 社群群发: to customer group chats


class SendType(StrEnum):
    IMMEDIATE = "immediate"
    SCHEDULED = "scheduled"


class TaskStatus(StrEnum):
    PENDING = "pending"  # 待发送: scheduled, not yet due
    SENDING = "sending"  # being handed to WeCom
    SENT = "sent"  # 已发送: WeCom has the employees' tasks
    CANCELLED = "cancelled"  # 已取消
    FAILED = "failed"  # nothing could be handed to WeCom (no recipient, quota, WeCom refused every task)


class MemberStatus(StrEnum):
    UNSENT = "unsent"  # 未发送
    SENT = "sent"  # 已发送 (the employee confirmed in WeCom)
    FAILED = "failed"  # WeCom refused the task (error kept)
    CANCELLED = "cancelled"


class RecipientStatus(StrEnum):
    UNSENT = "unsent"  # 未发送 / 未送达: the employee has not sent yet
    DELIVERED = "delivered"  # 已送达 (WeCom status 1)
    NOT_FRIEND = "not_friend"  # 已不是好友客户 (WeCom status 2, or in the task's fail_list)
    LIMIT = "limit"  # 客户接收已达上限 (WeCom status 3, or left out by the frequency limits before the task)
    EXCLUDED = "excluded"  # left out by an exclusion rule (blacklist ...)
    CANCELLED = "cancelled"  # the send was cancelled before the employee sent it
    FAILED = "failed"  # WeCom refused the employee's task


class MassTask(TenantScoped, table=True):
    """One mass send. ``audience``: the customer filters (tags, segment, owners, added between, genders) or the
    group filters (owners, departments, group tags, name) as submitted; ``attachment_ids``: material ids."""

    __tablename__ = "wecom_mass_task"
    __table_args__ = (Index("ix_wecom_mass_task_list", "tenant_id", "chat_type", "created_at"),)
    id: int | None = Field(default=None, primary_key=True)
    chat_type: str = Field(default=ChatType.SINGLE, max_length=10)
    text: str = Field(default="", max_length=4000)
    attachment_ids: list[Any] = json_column()
    audience: dict[str, Any] = json_column()
    send_type: str = Field(default=SendType.IMMEDIATE, max_length=10)
    send_at: datetime | None = Field(default=None, description="the scheduled time (UTC)")
    status: str = Field(default=TaskStatus.PENDING, max_length=10)
    #: what the confirm page showed, and what the dispatch found: matched targets, those handed to employees and
    #: those left out (limit, exclusion, no WeCom friend)
    matched: int = 0
    targeted: int = 0
    excluded_limit: int = 0
    excluded_rule: int = 0
    no_friend: int = 0
    error: str = Field(default="", max_length=500)
    created_by: str = Field(default="", max_length=200)
    created_at: datetime = Field(default_factory=utcnow)
    dispatched_at: datetime | None = None
    cancelled_at: datetime | None = None
    polled_at: datetime | None = None


class MassMember(TenantScoped, table=True):
    """The WeCom task of one sending employee (成员 / 群主) in one send."""

    __tablename__ = "wecom_mass_member"
    __table_args__ = (UniqueConstraint("task_id", "userid", "account_id"),
                      Index("ix_wecom_mass_member_task", "task_id", "status"))
    id: int | None = Field(default=None, primary_key=True)
    task_id: int = Field(foreign_key="wecom_mass_task.id", ondelete="CASCADE")
    employee_id: int | None = Field(default=None, foreign_key="employee.id", ondelete="SET NULL")
    account_id: int = Field(foreign_key="channel_account.id", ondelete="CASCADE")
    userid: str = Field(max_length=64)
    #: WeCom's task ids (one per ``add_msg_template`` call; more than one above 10,000 customers / 2,000 chats)
    msgids: list[Any] = json_column(default_factory=list)
    status: str = Field(default=MemberStatus.UNSENT, max_length=10)
    target_count: int = 0
    sent_at: datetime | None = None
    #: when reminders were sent (WeCom allows 3 per task in 24 hours)
    reminded_at: list[Any] = json_column(default_factory=list)
    error: str = Field(default="", max_length=200)


class MassRecipient(TenantScoped, table=True):
    """One target of a send: a customer (``external_userid``) or a group chat (``chat_id``) in ``target``; its member
    task is the send's :class:`MassMember` of the same ``account_id`` and ``userid``."""

    __tablename__ = "wecom_mass_recipient"
    __table_args__ = (UniqueConstraint("task_id", "target"),
                      Index("ix_wecom_mass_recipient_sender", "task_id", "userid", "status"),
                      Index("ix_wecom_mass_recipient_status", "task_id", "status"),
                      # a customer's sends by an employee: the SOP "no communication" trigger reads them per pair
                      Index("ix_wecom_mass_recipient_customer", "customer_id", "employee_id"))
    id: int | None = Field(default=None, primary_key=True)
    task_id: int = Field(foreign_key="wecom_mass_task.id", ondelete="CASCADE")
    employee_id: int | None = Field(default=None, foreign_key="employee.id", ondelete="SET NULL")
    account_id: int = Field(foreign_key="channel_account.id", ondelete="CASCADE")
    userid: str = Field(default="", max_length=64, description="the sending employee's WeCom userid")
    customer_id: int | None = Field(default=None, foreign_key="customer.id", ondelete="SET NULL")
    group_chat_id: int | None = Field(default=None, foreign_key="wecom_group_chat.id", ondelete="SET NULL")
    target: str = Field(max_length=64)
    status: str = Field(default=RecipientStatus.UNSENT, max_length=12)
    sent_at: datetime | None = None
