"""Quota tables (branch ``sms_quota``): the balance per tenant and category, the purchase ledger (充值记录) and the
holds of single sends.

``sms_quota`` keeps four counters, all in billed messages (segments): ``available`` (free to spend), ``reserved``
(held for bulk sends planned and single sends in flight), ``sent`` (consumed: the provider accepted) and
``purchased`` (every top-up). ``available`` and ``reserved`` are never negative (CHECK constraints, and every change
is one conditional UPDATE). Invariant at every commit: ``available + reserved + sent == purchased`` (a top-up adds to
available and purchased, a reservation moves available to reserved, a consumption reserved to sent, a release
reserved back to available)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import CheckConstraint, UniqueConstraint
from sqlmodel import Field

from scrm.sdk import TenantScoped, Timestamped, utcnow


class SmsQuota(TenantScoped, table=True):
    __tablename__ = "sms_quota"
    __table_args__ = (UniqueConstraint("tenant_id", "category"),
                      CheckConstraint("available >= 0", name="ck_sms_quota_available"),
                      CheckConstraint("reserved >= 0", name="ck_sms_quota_reserved"))
    id: int | None = Field(default=None, primary_key=True)
    category: str = Field(max_length=20, description="marketing or notification")
    available: int = 0
    reserved: int = 0
    sent: int = 0
    purchased: int = 0
    updated_at: datetime = Field(default_factory=utcnow)


class SmsRecharge(TenantScoped, Timestamped, table=True):
    """One top-up (充值记录): a package or a manual amount, by a tenant admin (also in the audit log)."""

    __tablename__ = "sms_recharge"
    id: int | None = Field(default=None, primary_key=True)
    category: str = Field(max_length=20)
    amount: int = Field(description="billed messages added")
    package: str = Field(default="", max_length=20, description="package key, empty for a manual top-up")
    price_fen: int = Field(default=0, description="the package price in fen (0 for a manual top-up)")
    note: str = Field(default="", max_length=200)
    created_by: int | None = Field(default=None, foreign_key="user.id", ondelete="SET NULL")


class SmsQuotaHold(TenantScoped, Timestamped, table=True):
    """The quota a single send (not part of a bulk send) holds while its provider call is in flight: one row per
    ledger row; ``state`` held -> consumed or released, each move one conditional UPDATE with the quota change."""

    __tablename__ = "sms_quota_hold"
    id: int | None = Field(default=None, primary_key=True)
    delivery_id: int = Field(foreign_key="message_delivery.id", unique=True, ondelete="CASCADE")
    category: str = Field(max_length=20)
    segments: int
    state: str = Field(default="held", max_length=10, index=True)
