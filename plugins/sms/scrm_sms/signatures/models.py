"""The signature table (branch ``sms_templates``)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Index, UniqueConstraint
from sqlmodel import Field

from scrm.sdk import TenantScoped, utcnow

PENDING, APPROVED, REJECTED = "pending", "approved", "rejected"
REVIEW_STATES = (PENDING, APPROVED, REJECTED)

#: what a signature names (the providers' SignSource / SignType, in words): the filing asks for one
SOURCES = ("company", "trademark", "app", "official_account", "shop", "website")


class SmsSignature(TenantScoped, table=True):
    """A signature filed on one provider account. ``text`` is written without 【】 (the platform adds them);
    ``status`` moves pending → approved / rejected (``reason`` says why) from the provider's review callback or the
    poll; an edit of a rejected signature resubmits it (pending again). ``provider_ref`` is the provider's handle of
    the application (Aliyun: the sign name; Tencent: the SignId)."""

    __tablename__ = "sms_signature"
    __table_args__ = (UniqueConstraint("tenant_id", "account_id", "text"),
                      Index("ix_sms_signature_status", "tenant_id", "status"))
    id: int | None = Field(default=None, primary_key=True)
    account_id: int = Field(foreign_key="channel_account.id", ondelete="CASCADE")
    text: str = Field(max_length=30)
    source: str = Field(default="company", max_length=20)
    remark: str = Field(default="", max_length=200, description="what the signature is for, read by the reviewer")
    status: str = Field(default=PENDING, max_length=10)
    reason: str = Field(default="", max_length=500)
    provider_ref: str = Field(default="", max_length=64)
    #: the provider call failed (network, credentials): the poll submits it again; empty once submitted
    submit_error: str = Field(default="", max_length=200)
    submitted_at: datetime | None = None
    reviewed_at: datetime | None = None
    created_by: str = Field(default="", max_length=200)
    created_at: datetime = Field(default_factory=utcnow)
    updated_at: datetime = Field(default_factory=utcnow)
