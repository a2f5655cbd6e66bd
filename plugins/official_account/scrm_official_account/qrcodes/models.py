"""Parameter QR codes (lineage ``official_account_qrcodes``): temporary and permanent scene codes of an account and
their scans (each scan or follow through a code is one row, so statistics are counts over an index)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Index
from sqlmodel import Field, UniqueConstraint

from scrm.sdk import TenantScoped, utcnow


class QrCode(TenantScoped, table=True):
    """A scene code created through ``qrcode/create``: ``temporary`` with ``expires_at``, or permanent; its scene is
    ``scene_id`` (an integer) or ``scene_str``. ``purpose`` says what uses it (a store, a campaign, general)."""

    __tablename__ = "official_account_qrcode"
    __table_args__ = (
        Index("ix_official_account_qrcode_scene_id", "account_id", "scene_id"),
        Index("ix_official_account_qrcode_scene_str", "account_id", "scene_str"),
        Index("ix_official_account_qrcode_list", "tenant_id", "account_id", "id"),
    )
    id: int | None = Field(default=None, primary_key=True)
    account_id: int = Field(foreign_key="channel_account.id", ondelete="CASCADE")
    name: str = Field(max_length=60)
    temporary: bool = False
    scene_id: int | None = None
    scene_str: str | None = Field(default=None, max_length=64)
    expire_seconds: int | None = None
    expires_at: datetime | None = None
    ticket: str = Field(default="", max_length=200)
    url: str = Field(default="", max_length=300, description="the content of the QR image (qrcode/create's url)")
    with_logo: bool = True
    purpose: str = Field(default="general", max_length=20, description="general, store or campaign")
    department_id: int | None = Field(default=None, foreign_key="department.id", ondelete="SET NULL")
    created_by: str = Field(default="", max_length=200)
    created_at: datetime = Field(default_factory=utcnow)


class QrScan(TenantScoped, table=True):
    """One scan of a code: ``new_follow`` when the scan made the user follow (subscribe with ``qrscene_``)."""

    __tablename__ = "official_account_qrcode_scan"
    __table_args__ = (
        Index("ix_official_account_qrcode_scan_code", "tenant_id", "qrcode_id", "scanned_at"),
        UniqueConstraint("account_id", "dedupe_key"),
    )
    id: int | None = Field(default=None, primary_key=True)
    account_id: int = Field(foreign_key="channel_account.id", ondelete="CASCADE")
    qrcode_id: int = Field(foreign_key="official_account_qrcode.id", ondelete="CASCADE")
    openid: str = Field(max_length=64)
    new_follow: bool = False
    dedupe_key: str = Field(max_length=120, description="openid and CreateTime of the event: a redelivery counts once")
    scanned_at: datetime = Field(default_factory=utcnow)
