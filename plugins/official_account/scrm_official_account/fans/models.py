"""Tables of the fans area (lineage ``official_account_fans``): fans and visitors of each account, the account's OA
tags, and fan sync runs.

A fan row exists per (account, openid): a follower (``subscribed``), a former follower (``unsubscribe_time`` kept)
or a visitor who never followed (web authorisation, a share page; ``subscribed`` false, no ``subscribe_time``).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Index
from sqlmodel import Field, UniqueConstraint

from scrm.sdk import TenantScoped, json_column, utcnow


class Fan(TenantScoped, table=True):
    """One WeChat user as one official account sees them (``openid`` is per account)."""

    __tablename__ = "official_account_fan"
    __table_args__ = (
        UniqueConstraint("account_id", "openid"),
        Index("ix_official_account_fan_list", "tenant_id", "account_id", "subscribed", "first_visit_at"),
        Index("ix_official_account_fan_customer", "tenant_id", "customer_id"),
    )
    id: int | None = Field(default=None, primary_key=True)
    account_id: int = Field(foreign_key="channel_account.id", ondelete="CASCADE")
    customer_id: int | None = Field(default=None, foreign_key="customer.id", ondelete="SET NULL")
    openid: str = Field(max_length=64)
    unionid: str | None = Field(default=None, max_length=64)
    subscribed: bool = False
    subscribe_time: datetime | None = None
    unsubscribe_time: datetime | None = None
    subscribe_scene: str = Field(default="", max_length=40, description="ADD_SCENE_QR_CODE, ADD_SCENE_SEARCH, ...")
    qr_scene: int | None = None
    qr_scene_str: str = Field(default="", max_length=64)
    qrcode_id: int | None = Field(default=None, description="the parameter QR code the fan followed through")
    nickname: str = Field(default="", max_length=100)
    remark: str = Field(default="", max_length=30)
    avatar: str = Field(default="", max_length=500)
    sex: int = Field(default=0, description="0 unknown, 1 male, 2 female")
    language: str = Field(default="", max_length=20)
    country: str = Field(default="", max_length=40)
    province: str = Field(default="", max_length=40)
    city: str = Field(default="", max_length=40)
    mobile: str = Field(default="", max_length=20)
    tagid_list: list[int] = json_column(default_factory=list)
    first_visit_at: datetime = Field(default_factory=utcnow)
    last_interaction_at: datetime | None = None
    synced_at: datetime | None = None
    updated_at: datetime = Field(default_factory=utcnow)


class OATag(TenantScoped, table=True):
    """An OA tag of one account (``tags/get``): distinct from member tags; id 0-2 are WeChat's reserved tags."""

    __tablename__ = "official_account_tag"
    __table_args__ = (UniqueConstraint("account_id", "wechat_id"),)
    id: int | None = Field(default=None, primary_key=True)
    account_id: int = Field(foreign_key="channel_account.id", ondelete="CASCADE")
    wechat_id: int
    name: str = Field(max_length=30)
    count: int = 0
    updated_at: datetime = Field(default_factory=utcnow)


class FanSyncRun(TenantScoped, table=True):
    """One follower sync of an account: resumable (``next_openid`` is the cursor of the last page applied)."""

    __tablename__ = "official_account_fan_sync"
    __table_args__ = (Index("ix_official_account_fan_sync_account", "tenant_id", "account_id", "id"),)
    id: int | None = Field(default=None, primary_key=True)
    account_id: int = Field(foreign_key="channel_account.id", ondelete="CASCADE")
    status: str = Field(default="queued", max_length=10, description="queued, running, done or failed")
    total: int = 0
    done: int = 0
    next_openid: str = Field(default="", max_length=64)
    stats: dict[str, Any] = json_column()
    error: str | None = Field(default=None, max_length=500)
    requested_by: str = Field(default="", max_length=200)
    created_at: datetime = Field(default_factory=utcnow)
    started_at: datetime | None = None
    finished_at: datetime | None = None
    heartbeat_at: datetime | None = None

    @property
    def progress(self) -> int:
        if self.status == "done":
            return 100
        return min(99, 100 * self.done // self.total) if self.total else 0


class FanEvent(TenantScoped, table=True):
    """One interaction of a fan with an account (followed, unfollowed, scanned, message, menu click), kept for the
    fan detail page and the "interacted within N days" audience filter."""

    __tablename__ = "official_account_fan_event"
    __table_args__ = (Index("ix_official_account_fan_event_fan", "tenant_id", "fan_id", "occurred_at"),)
    id: int | None = Field(default=None, primary_key=True)
    account_id: int = Field(foreign_key="channel_account.id", ondelete="CASCADE")
    fan_id: int = Field(foreign_key="official_account_fan.id", ondelete="CASCADE")
    kind: str = Field(max_length=20, description="subscribe, unsubscribe, scan, message, click, view")
    detail: str = Field(default="", max_length=200)
    occurred_at: datetime = Field(default_factory=utcnow)
