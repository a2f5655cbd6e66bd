"""Customers, their identities (One-ID) and their timeline."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Index
from sqlmodel import Field, UniqueConstraint

from ..timeutil import utcnow
from .base import TenantScoped, Timestamped, json_column


class Customer(TenantScoped, Timestamped, table=True):
    """One person the brand reaches (One-ID): identities, tags, events and plugin rows point to it; a merged
    customer keeps ``merged_into_id``."""

    __table_args__ = (
        Index("ix_customer_tenant_created", "tenant_id", "created_at", "id"),
        Index("ix_customer_tenant_mobile", "tenant_id", "mobile"),
        Index("ix_customer_tenant_source", "tenant_id", "source"),
        Index("ix_customer_merged_into", "merged_into_id"),
    )
    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(default="", max_length=100)
    mobile: str | None = Field(default=None, max_length=20)
    gender: int = Field(default=0, description="0 unknown, 1 male, 2 female (WeChat convention)")
    avatar: str | None = Field(default=None, max_length=500)
    source: str = Field(default="manual", max_length=50, index=True)
    owner_employee_id: int | None = Field(default=None, foreign_key="employee.id", index=True, ondelete="SET NULL")
    is_member: bool = False
    merged_into_id: int | None = Field(default=None, foreign_key="customer.id", ondelete="SET NULL")
    attributes: dict[str, Any] = json_column()
    updated_at: datetime = Field(default_factory=utcnow)


class IdentityKind:
    """Identity kinds; channel-scoped kinds carry their account: ``openid@<appid>``, ``external_userid@<corpid>``."""

    MOBILE = "mobile"
    UNIONID = "unionid"

    @staticmethod
    def openid(appid: str) -> str:
        return f"openid@{appid}"

    @staticmethod
    def external_userid(corpid: str) -> str:
        return f"external_userid@{corpid}"


class CustomerIdentity(TenantScoped, Timestamped, table=True):
    """One way to reach a customer: ``kind`` (``mobile``, ``unionid``, ``openid@<appid>``,
    ``external_userid@<corpid>``, ...) and ``value``, unique per tenant."""

    __tablename__ = "customer_identity"
    __table_args__ = (UniqueConstraint("tenant_id", "kind", "value"),)
    id: int | None = Field(default=None, primary_key=True)
    customer_id: int = Field(foreign_key="customer.id", index=True, ondelete="CASCADE")
    kind: str = Field(max_length=80)
    value: str = Field(max_length=128)


class CustomerEvent(TenantScoped, table=True):
    """One entry of a customer's timeline. ``plugin`` says who renders it."""

    __tablename__ = "customer_event"
    __table_args__ = (Index("ix_customer_event_customer_time", "customer_id", "occurred_at"),)
    id: int | None = Field(default=None, primary_key=True)
    customer_id: int = Field(foreign_key="customer.id", ondelete="CASCADE")
    plugin: str = Field(default="core", max_length=40)
    kind: str = Field(max_length=60)
    summary: str = Field(default="", max_length=500)
    data: dict[str, Any] = json_column()
    occurred_at: datetime = Field(default_factory=utcnow)
