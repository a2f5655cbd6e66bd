"""Tables of enterprise Moments tasks (lineage branch ``wecom_moments``): the task sent to WeCom, one row per sending
employee with their publish result, and the comments and likes read back from WeCom."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import Column, Index, LargeBinary, Text
from sqlmodel import Field, UniqueConstraint

from scrm.sdk import TenantScoped, json_column, utcnow


class TaskStatus(StrEnum):
    QUEUED = "queued"  # recorded here, not yet handed to WeCom
    CREATING = "creating"  # add_moment_task answered a jobid; WeCom is still creating the task
    CREATED = "created"  # WeCom created the task (moment_id known); employees publish it from their WeCom
    FAILED = "failed"  # WeCom refused it (``error`` says why); it does not count against the limits
    SCHEDULED = "scheduled"  # 待发布: waits for ``publish_at``, then goes to WeCom (queued) or onto the pages (page)
    PAGE = "page"  # 已发布 on the Moments pages only: not a WeCom task (backdated, pages-only and personal posts)


class PublishType(StrEnum):
    ENTERPRISE = "enterprise"  # 企业发表: written in the back office
    PERSONAL = "personal"  # 个人发表: written by the employee on the phone


class PublishMode(StrEnum):
    NOW = "now"  # 立即发布
    SCHEDULED = "scheduled"  # 定时发布: at ``publish_at`` (future)
    BACKDATED = "backdated"  # 历史时间: dated ``publish_at`` (past), on the pages at once, never sent to WeCom


class MomentTask(TenantScoped, table=True):
    """An enterprise Moments task: content, the employees who publish it and the customer tags that may see it."""

    __tablename__ = "wecom_moment_task"
    __table_args__ = (Index("ix_wecom_moment_task_created", "tenant_id", "created_at"),)
    id: int | None = Field(default=None, primary_key=True)
    account_id: int = Field(foreign_key="channel_account.id", ondelete="CASCADE")
    text: str = Field(default="", sa_column=Column(Text, nullable=False, default=""))
    #: at most one attachment, ``{"type": "link", "title", "url"}``; empty for a text-only task
    attachment: dict[str, Any] = json_column()
    #: core tag ids (WeCom corp tags) whose customers may see the Moment; empty: every customer of the senders
    tag_ids: list[int] = json_column(default_factory=list)
    status: TaskStatus = Field(default=TaskStatus.QUEUED, max_length=20)
    jobid: str | None = Field(default=None, max_length=128)
    moment_id: str | None = Field(default=None, max_length=128)
    error: str = Field(default="", max_length=200)
    invalid_userids: list[str] = json_column(default_factory=list)
    invalid_tag_ids: list[str] = json_column(default_factory=list)
    created_by: str = Field(default="", max_length=200)
    created_at: datetime = Field(default_factory=utcnow)
    publish_type: PublishType = Field(default=PublishType.ENTERPRISE, max_length=20)
    publish_mode: PublishMode = Field(default=PublishMode.NOW, max_length=20)
    #: False: the post goes on the senders' Moments pages only (no WeCom task)
    to_wecom: bool = True
    #: the time the post is dated on the pages (backdated), or goes out (scheduled); None: its creation
    publish_at: datetime | None = None
    #: taken off the senders' Moments pages (a WeCom task stays listed and counted; WeCom keeps the Moment)
    removed_at: datetime | None = None
    submitted_at: datetime | None = None
    created_in_wecom_at: datetime | None = None
    results_at: datetime | None = None  # last read of the publish results, comments and likes


class MomentSender(TenantScoped, table=True):
    """One employee a task is sent to, with what WeCom reports: published or not, customers reached, interactions."""

    __tablename__ = "wecom_moment_sender"
    __table_args__ = (UniqueConstraint("task_id", "employee_id"),)
    id: int | None = Field(default=None, primary_key=True)
    task_id: int = Field(foreign_key="wecom_moment_task.id", ondelete="CASCADE")
    employee_id: int = Field(foreign_key="employee.id", index=True, ondelete="CASCADE")
    userid: str = Field(max_length=64)
    invalid: bool = False  # WeCom listed the employee in invalid_sender_list
    published: bool = False
    published_seen_at: datetime | None = None  # when a read first found it published
    reached: int = 0  # customers the Moment was sent to (get_moment_send_result)
    comments: int = 0
    likes: int = 0


class MomentInteraction(TenantScoped, table=True):
    """A comment or like on a sender's Moment (WeCom gives who and when, not the comment's text)."""

    __tablename__ = "wecom_moment_interaction"
    __table_args__ = (UniqueConstraint("task_id", "sender_userid", "kind", "actor_id", "happened_at"),)
    id: int | None = Field(default=None, primary_key=True)
    task_id: int = Field(foreign_key="wecom_moment_task.id", ondelete="CASCADE")
    sender_userid: str = Field(max_length=64)
    kind: str = Field(max_length=10)  # comment / like
    actor_id: str = Field(max_length=128)  # external_userid of a customer or userid of a member
    from_customer: bool = True
    customer_id: int | None = Field(default=None, foreign_key="customer.id", ondelete="SET NULL")
    happened_at: datetime


class MomentsPage(TenantScoped, table=True):
    """An employee's Moments page (历史朋友圈, spec §2.1.3): the link customers open from the employee's business
    card, and how often they did."""

    __tablename__ = "wecom_moments_page"
    __table_args__ = (UniqueConstraint("tenant_id", "employee_id"),)
    id: int | None = Field(default=None, primary_key=True)
    employee_id: int = Field(foreign_key="employee.id", ondelete="CASCADE")
    token: str = Field(max_length=32, unique=True)
    views: int = 0  # customer visits (every open of the page counts)
    created_at: datetime = Field(default_factory=utcnow)
    #: the employee's own background wall and signature (shown while the brand does not unify them)
    background: bytes | None = Field(default=None, sa_column=Column(LargeBinary, nullable=True))
    background_mime: str = Field(default="", max_length=20)
    signature: str = Field(default="", max_length=100)


class MomentRecord(TenantScoped, table=True):
    """A Moment read from WeCom's Moments list (企微朋友圈 tab, spec §2.1.5): enterprise or personal, with its
    content as WeCom lists it. ``synced_at`` set means it is on the creator's Moments page (已同步)."""

    __tablename__ = "wecom_moment_record"
    __table_args__ = (UniqueConstraint("account_id", "moment_id"),
                      Index("ix_wecom_moment_record_created", "tenant_id", "created_in_wecom_at"))
    id: int | None = Field(default=None, primary_key=True)
    account_id: int = Field(foreign_key="channel_account.id", ondelete="CASCADE")
    moment_id: str = Field(max_length=128)
    creator_userid: str = Field(default="", max_length=64)
    employee_id: int | None = Field(default=None, foreign_key="employee.id", ondelete="SET NULL")
    create_type: int = 0  # 0 enterprise (企业发表), 1 personal (个人发表)
    content_type: str = Field(default="text", max_length=10)  # text / image / video / link
    text: str = Field(default="", sa_column=Column(Text, nullable=False, default=""))
    #: the link of a link Moment, ``{"title", "url"}``; empty otherwise
    link: dict[str, Any] = json_column()
    created_in_wecom_at: datetime
    fetched_at: datetime = Field(default_factory=utcnow)
    synced_at: datetime | None = None


class MomentsRule(TenantScoped, table=True):
    """A customer behaviour rule (朋友圈客户行为追踪, spec §2.1.2): when a customer has opened the brand's Moments
    pages ``threshold`` times, add ``score`` and the tags, once per rule and customer. All rules apply together."""

    __tablename__ = "wecom_moments_rule"
    id: int | None = Field(default=None, primary_key=True)
    threshold: int = 1  # opens of Moments pages (打开朋友圈次数)
    score: int = 0  # 客户评分 added when the rule fires
    tag_ids: list[int] = json_column(default_factory=list)
    created_by: str = Field(default="", max_length=200)
    created_at: datetime = Field(default_factory=utcnow)


class MomentsOpen(TenantScoped, table=True):
    """One open of an employee's Moments page by an identified customer."""

    __tablename__ = "wecom_moments_open"
    __table_args__ = (Index("ix_wecom_moments_open_customer", "tenant_id", "customer_id"),)
    id: int | None = Field(default=None, primary_key=True)
    page_id: int = Field(foreign_key="wecom_moments_page.id", ondelete="CASCADE")
    customer_id: int = Field(foreign_key="customer.id", ondelete="CASCADE")
    opened_at: datetime = Field(default_factory=utcnow)


class MomentsRuleHit(TenantScoped, table=True):
    """A rule that fired for a customer (at most once each): the score it added."""

    __tablename__ = "wecom_moments_rule_hit"
    __table_args__ = (UniqueConstraint("rule_id", "customer_id"),)
    id: int | None = Field(default=None, primary_key=True)
    rule_id: int = Field(foreign_key="wecom_moments_rule.id", ondelete="CASCADE")
    customer_id: int = Field(foreign_key="customer.id", ondelete="CASCADE", index=True)
    score: int = 0
    opens: int = 0  # the customer's opens when it fired
    hit_at: datetime = Field(default_factory=utcnow)


class MomentsSettings(TenantScoped, table=True):
    """The brand's Moments settings (朋友圈设置, spec §2.1.1), one row per tenant; no row means the defaults (off)."""

    __tablename__ = "wecom_moments_settings"
    __table_args__ = (UniqueConstraint("tenant_id"),)
    id: int | None = Field(default=None, primary_key=True)
    #: 自动同步企微朋友圈: every day at 00:00 and 12:00 (brand time zone) read WeCom's Moments and sync them
    auto_sync: bool = False
    #: 统一朋友圈背景: every page shows the brand's background and signature; employees cannot change theirs
    unify_background: bool = False
    background: bytes | None = Field(default=None, sa_column=Column(LargeBinary, nullable=True))
    background_mime: str = Field(default="", max_length=20)
    signature: str = Field(default="", max_length=100)
    #: 员工手机端发表: employees publish and delete their own posts from the phone
    mobile_publish: bool = False
    updated_at: datetime = Field(default_factory=utcnow)
