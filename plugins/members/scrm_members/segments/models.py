"""Tables of the segments area (prefixed ``members_``): tag metadata, category visibility, tagging events, segment
categories, segments and their members, blacklist entries and the tenant's blacklist rules.

Tags and tag categories themselves are the core's ``Tag`` / ``TagGroup``; the area keeps what the core does not
(creator and updater, the rule of an automatic tag, who may see a category, every tagging for "tagged times").
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import Index, text
from sqlmodel import Field, UniqueConstraint

from scrm.sdk import TenantScoped, json_column, utcnow


class TagMeta(TenantScoped, table=True):
    """What the members plugin knows about a core tag: who created and last changed it, and for an automatic tag its
    rule (an audience condition tree) and when the evaluator last applied it."""

    __tablename__ = "members_tag_meta"
    id: int | None = Field(default=None, primary_key=True)
    tag_id: int = Field(foreign_key="tag.id", unique=True, ondelete="CASCADE")
    created_by: int | None = Field(default=None, foreign_key="user.id", ondelete="SET NULL")
    updated_by: int | None = Field(default=None, foreign_key="user.id", ondelete="SET NULL")
    updated_at: datetime = Field(default_factory=utcnow)
    rule: dict[str, Any] = json_column()
    evaluated_at: datetime | None = None


class TagCategoryScope(TenantScoped, table=True):
    """One entry of a tag category's visibility: a department (its sub-departments included) or an employee.

    A category without entries is visible to all departments (the default)."""

    __tablename__ = "members_tag_category_scope"
    __table_args__ = (UniqueConstraint("group_id", "department_id", "employee_id"),)
    id: int | None = Field(default=None, primary_key=True)
    group_id: int = Field(foreign_key="tag_group.id", index=True, ondelete="CASCADE")
    department_id: int | None = Field(default=None, foreign_key="department.id", ondelete="CASCADE")
    employee_id: int | None = Field(default=None, foreign_key="employee.id", ondelete="CASCADE")


class TagEvent(TenantScoped, table=True):
    """One tagging: a tag newly put on a customer. Their count per tag is the tag's "tagged times"."""

    __tablename__ = "members_tag_event"
    __table_args__ = (Index("ix_members_tag_event_tag", "tag_id", "customer_id"),)
    id: int | None = Field(default=None, primary_key=True)
    tag_id: int = Field(foreign_key="tag.id", ondelete="CASCADE")
    customer_id: int = Field(foreign_key="customer.id", index=True, ondelete="CASCADE")
    source: str = Field(default="manual", max_length=40)
    user_id: int | None = Field(default=None, foreign_key="user.id", ondelete="SET NULL")
    created_at: datetime = Field(default_factory=utcnow)


class SegmentKind(StrEnum):
    DYNAMIC = "dynamic"
    STATIC = "static"


class SegmentMode(StrEnum):
    CONDITIONS = "conditions"
    MANUAL = "manual"


class SegmentState(StrEnum):
    RUNNING = "running"
    STOPPED = "stopped"


class SegmentCategory(TenantScoped, table=True):
    """A category of segments; each kind (tab) has its own categories with unique names."""

    __tablename__ = "members_segment_category"
    __table_args__ = (UniqueConstraint("tenant_id", "kind", "name"),)
    id: int | None = Field(default=None, primary_key=True)
    kind: str = Field(max_length=10, description="SegmentKind")
    name: str = Field(max_length=30)
    created_at: datetime = Field(default_factory=utcnow)


class Segment(TenantScoped, table=True):
    """A member group. Dynamic segments follow their rule (daily and on demand while running); static segments are a
    snapshot of their rule at save, or the customers picked by hand."""

    __tablename__ = "members_segment"
    id: int | None = Field(default=None, primary_key=True)
    category_id: int = Field(foreign_key="members_segment_category.id", index=True)
    name: str = Field(max_length=50)
    description: str = Field(default="", max_length=250)
    kind: str = Field(max_length=10, description="SegmentKind")
    mode: str = Field(default=SegmentMode.CONDITIONS.value, max_length=12, description="SegmentMode")
    rule: dict[str, Any] = json_column()
    state: str = Field(default=SegmentState.RUNNING.value, max_length=10, description="SegmentState")
    member_count: int = 0
    created_by: int | None = Field(default=None, foreign_key="user.id", ondelete="SET NULL")
    created_at: datetime = Field(default_factory=utcnow)
    updated_at: datetime = Field(default_factory=utcnow)
    refreshed_at: datetime | None = None


class SegmentMember(TenantScoped, table=True):
    """A customer in a segment; ``added_by`` is 'rule' or 'manual'."""

    __tablename__ = "members_segment_member"
    segment_id: int = Field(foreign_key="members_segment.id", primary_key=True, ondelete="CASCADE")
    customer_id: int = Field(foreign_key="customer.id", primary_key=True, index=True, ondelete="CASCADE")
    added_by: str = Field(default="rule", max_length=10)
    added_at: datetime = Field(default_factory=utcnow)


class BlacklistEntry(TenantScoped, table=True):
    """A customer's stay on the blacklist. Active while ``removed_at`` is null; removed entries are the history."""

    __tablename__ = "members_blacklist_entry"
    __table_args__ = (
        Index("ux_members_blacklist_active", "tenant_id", "customer_id", unique=True,
              sqlite_where=text("removed_at IS NULL"), postgresql_where=text("removed_at IS NULL")),
    )
    id: int | None = Field(default=None, primary_key=True)
    customer_id: int = Field(foreign_key="customer.id", index=True, ondelete="CASCADE")
    reason: str = Field(max_length=200)
    created_by: int | None = Field(default=None, foreign_key="user.id", ondelete="SET NULL")
    created_at: datetime = Field(default_factory=utcnow)
    removed_at: datetime | None = None
    removed_by: int | None = Field(default=None, foreign_key="user.id", ondelete="SET NULL")


class BlacklistRules(TenantScoped, table=True):
    """The tenant's blacklist switches. Without a row every switch is on."""

    __tablename__ = "members_blacklist_rules"
    id: int | None = Field(default=None, primary_key=True)
    tenant_id: int = Field(foreign_key="tenant.id", unique=True, nullable=False, ondelete="CASCADE")
    task_fission: bool = True
    redpacket_fission: bool = True
    interactive_fission: bool = True
    marketing_no_win: bool = True
    updated_by: int | None = Field(default=None, foreign_key="user.id", ondelete="SET NULL")
    updated_at: datetime = Field(default_factory=utcnow)
