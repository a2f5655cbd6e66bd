"""Tag groups, tags and tag links. ``source`` lets channel plugins own synced tags (e.g. WeCom corp tags)."""

from __future__ import annotations

from sqlalchemy import Index
from sqlmodel import Field, UniqueConstraint

from .base import TenantScoped, Timestamped


class TagGroup(TenantScoped, Timestamped, table=True):
    """A tag category. ``parent_id`` makes a sub-category (two levels); ``source`` says which tab owns it
    ('manual', 'auto', or a channel such as 'wecom')."""

    __tablename__ = "tag_group"
    __table_args__ = (UniqueConstraint("tenant_id", "name"),)
    id: int | None = Field(default=None, primary_key=True)
    parent_id: int | None = Field(default=None, foreign_key="tag_group.id", index=True, ondelete="CASCADE")
    name: str = Field(max_length=30)
    order: int = 0
    source: str = Field(default="manual", max_length=40)
    external_id: str | None = Field(default=None, max_length=64)


class Tag(TenantScoped, Timestamped, table=True):
    """A customer tag in a ``TagGroup``; ``source`` names its owner (``manual``, or a channel such as ``wecom``,
    whose tags only the channel changes) and ``external_id`` the channel's tag id."""

    __table_args__ = (UniqueConstraint("tenant_id", "group_id", "name"),)
    id: int | None = Field(default=None, primary_key=True)
    group_id: int = Field(foreign_key="tag_group.id", index=True, ondelete="CASCADE")
    name: str = Field(max_length=30)
    order: int = 0
    source: str = Field(default="manual", max_length=40)
    external_id: str | None = Field(default=None, max_length=64)


class CustomerTag(TenantScoped, Timestamped, table=True):
    """A tag on a customer. ``employee_id`` is set when the tag was marked by one employee (WeCom per-follow tags)."""

    __tablename__ = "customer_tag"
    __table_args__ = (
        UniqueConstraint("customer_id", "tag_id", "employee_key"),
        Index("ix_customer_tag_tag", "tag_id", "customer_id"),
    )
    id: int | None = Field(default=None, primary_key=True)
    customer_id: int = Field(foreign_key="customer.id", index=True, ondelete="CASCADE")
    tag_id: int = Field(foreign_key="tag.id", ondelete="CASCADE")
    employee_id: int | None = Field(default=None, foreign_key="employee.id", ondelete="SET NULL")
    # 0 when no employee: NULLs never collide in a unique constraint, so the key column stands in for employee_id
    employee_key: int = 0
    source: str = Field(default="manual", max_length=40)
