"""Channel live codes ("contact me" QR codes): the WeCom contact way, its employees, tags, welcome and statistics."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Column, Index, LargeBinary
from sqlmodel import Field, UniqueConstraint

from scrm.sdk import TenantScoped, json_column, utcnow

SINGLE, MULTI = 1, 2  # contact_way "type": one employee, several employees


class LiveCode(TenantScoped, table=True):
    """One WeCom contact way (scene 2, a QR code) of an account. ``state`` (``lc:<random>``) comes back in every
    add-friend event through the code; ``welcome`` is the code's own welcome content (empty: none)."""

    __tablename__ = "wecom_live_code"
    __table_args__ = (UniqueConstraint("tenant_id", "state"),)
    id: int | None = Field(default=None, primary_key=True)
    account_id: int = Field(foreign_key="channel_account.id", index=True, ondelete="CASCADE")
    name: str = Field(max_length=50)
    kind: int = Field(default=SINGLE, description="1 single employee, 2 several employees")
    state: str = Field(max_length=30)
    skip_verify: bool = True
    config_id: str | None = Field(default=None, max_length=64)
    qr_code: str | None = Field(default=None, max_length=500, description="the URL WeCom returned for the QR code")
    welcome: dict[str, Any] = json_column()
    logo: bytes | None = Field(default=None, sa_column=Column(LargeBinary, nullable=True))
    created_by: str = Field(default="", max_length=200)
    created_at: datetime = Field(default_factory=utcnow)
    updated_at: datetime = Field(default_factory=utcnow)


class LiveCodeEmployee(TenantScoped, table=True):
    __tablename__ = "wecom_live_code_employee"
    __table_args__ = (UniqueConstraint("live_code_id", "employee_id"),)
    id: int | None = Field(default=None, primary_key=True)
    live_code_id: int = Field(foreign_key="wecom_live_code.id", ondelete="CASCADE")
    employee_id: int = Field(foreign_key="employee.id", index=True, ondelete="CASCADE")


class LiveCodeTag(TenantScoped, table=True):
    """A core tag given to every customer who adds an employee through the code."""

    __tablename__ = "wecom_live_code_tag"
    __table_args__ = (UniqueConstraint("live_code_id", "tag_id"),)
    id: int | None = Field(default=None, primary_key=True)
    live_code_id: int = Field(foreign_key="wecom_live_code.id", ondelete="CASCADE")
    tag_id: int = Field(foreign_key="tag.id", index=True, ondelete="CASCADE")


class LiveCodeFriendEvent(TenantScoped, table=True):
    """One friend added through a code, or one such friendship ended: the rows per-code statistics count.
    ``event_id`` (the domain event's) makes a redelivered event count once."""

    __tablename__ = "wecom_live_code_friend_event"
    __table_args__ = (
        Index("ix_wecom_live_code_friend_event_code", "live_code_id", "occurred_at"),
        Index("ix_wecom_live_code_friend_event_pair", "tenant_id", "userid", "external_userid"),
    )
    id: int | None = Field(default=None, primary_key=True)
    live_code_id: int = Field(foreign_key="wecom_live_code.id", ondelete="CASCADE")
    kind: str = Field(max_length=10, description="add or delete")
    userid: str = Field(max_length=64)
    external_userid: str = Field(max_length=128)
    customer_id: int | None = Field(default=None, foreign_key="customer.id", ondelete="SET NULL")
    event_id: str = Field(max_length=36, unique=True)
    occurred_at: datetime = Field(default_factory=utcnow)


class LiveCodeLogo(TenantScoped, table=True):
    """The brand logo drawn in the centre of an account's live-code QR images (a code may carry its own)."""

    __tablename__ = "wecom_live_code_logo"
    __table_args__ = (UniqueConstraint("account_id"),)
    id: int | None = Field(default=None, primary_key=True)
    account_id: int = Field(foreign_key="channel_account.id", ondelete="CASCADE")
    image: bytes = Field(sa_column=Column(LargeBinary, nullable=False))
    updated_at: datetime = Field(default_factory=utcnow)
