"""The template table (branch ``sms_templates``)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Index, UniqueConstraint
from sqlmodel import Field

from scrm.sdk import TenantScoped, utcnow

from ..signatures.models import APPROVED, PENDING, REJECTED, REVIEW_STATES  # noqa: F401  (one review vocabulary)

CUSTOM, SYSTEM = "custom", "system"
KINDS = (CUSTOM, SYSTEM)

#: marketing scenarios a template is chosen by (marketing help centre A.9), plus the notification ones of a retailer
SCENARIOS = ("conference_invitation", "registration_success", "live_broadcast", "event_invitation", "promotion",
             "member_birthday", "member_welcome", "points_expiry", "coupon_expiry", "order_shipped",
             "order_received", "appointment_reminder", "other")


class SmsTemplate(TenantScoped, table=True):
    """A template: ``kind`` custom (reviewed by the carrier through the provider account ``account_id``) or system
    (pre-approved, seeded per tenant with ``system_key``, usable at once, never edited). ``content`` is the body
    with ``${variables}`` (``scrm_sms.content``); ``link_url`` is where ``${link}`` leads (a short link per
    recipient). ``provider_code`` is the provider's template code once submitted (Aliyun SMS_..., Tencent id).
    ``usage_count`` counts the bulk sends that used the template (``count_use``)."""

    __tablename__ = "sms_template"
    __table_args__ = (UniqueConstraint("tenant_id", "system_key"),
                      Index("ix_sms_template_list", "tenant_id", "kind", "status", "created_at"),
                      Index("ix_sms_template_provider", "account_id", "provider_code"))
    id: int | None = Field(default=None, primary_key=True)
    kind: str = Field(default=CUSTOM, max_length=10)
    name: str = Field(max_length=30)
    account_id: int | None = Field(default=None, foreign_key="channel_account.id", ondelete="SET NULL")
    signature_id: int | None = Field(default=None, foreign_key="sms_signature.id", ondelete="SET NULL")
    category: str = Field(default="notification", max_length=20, description="marketing or notification")
    scenario: str = Field(default="other", max_length=30)
    content: str = Field(max_length=494)
    link_url: str = Field(default="", max_length=1000)
    remark: str = Field(default="", max_length=200, description="the application note read by the reviewer")
    status: str = Field(default=PENDING, max_length=10)
    reason: str = Field(default="", max_length=500)
    provider_code: str = Field(default="", max_length=64)
    submit_error: str = Field(default="", max_length=200)
    system_key: str | None = Field(default=None, max_length=40)
    usage_count: int = 0
    submitted_at: datetime | None = None
    reviewed_at: datetime | None = None
    created_by: str = Field(default="", max_length=200)
    created_at: datetime = Field(default_factory=utcnow)
    updated_at: datetime = Field(default_factory=utcnow)
