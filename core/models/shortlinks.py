"""Short links (``/s/<code>``): a tenant's promotion links per channel and campaign, the personalised links of a bulk
send (one per recipient), their clicks, and the tenant's logo for QR codes (basic settings: "logo on QR codes").

Codes are unique platform-wide: 7 base62 characters for a link, 8 for a personalised link, so the redirect reads
one table by the code's length (one indexed lookup)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Index, LargeBinary
from sqlmodel import Column, Field, SQLModel

from ..timeutil import utcnow
from .base import TenantScoped


class ShortLink(TenantScoped, table=True):
    """A short link: ``code`` redirects to ``target_url`` until ``expires_at`` (None: a permanent long link)."""

    __tablename__ = "short_link"
    __table_args__ = (
        Index("ix_short_link_list", "tenant_id", "created_at"),
        Index("ix_short_link_campaign", "tenant_id", "campaign"),
    )
    id: int | None = Field(default=None, primary_key=True)
    code: str = Field(max_length=8, unique=True)
    target_url: str = Field(max_length=2048)
    #: ``short`` (valid 5 years) or ``long`` (permanent)
    kind: str = Field(default="short", max_length=10)
    expires_at: datetime | None = None
    #: where the link is published: sms, official_account, wecom, poster, other ...
    channel: str = Field(default="other", max_length=40)
    #: the campaign key (free text, e.g. ``sms_task:12`` or ``双12会员日``) and an optional label shown in lists
    campaign: str = Field(default="", max_length=80)
    campaign_label: str = Field(default="", max_length=100)
    #: who created it: ``user:<id>``, ``api:<prefix>``, ``plugin:<name>``
    created_by: str = Field(default="", max_length=80)
    #: personalised links issued under this link (one per recipient), kept up to date by ``create_many_personalised``
    recipients: int = 0
    created_at: datetime = Field(default_factory=utcnow)


class ShortLinkRecipient(TenantScoped, table=True):
    """A personalised link: its own 8-character code, the recipient it was sent to, its click counter."""

    __tablename__ = "short_link_recipient"
    __table_args__ = (Index("ix_short_link_recipient_link", "link_id", "first_clicked_at"),
                      # the deliver-time lookup of a recipient's personalised link (migration 0014_core)
                      Index("ix_short_link_recipient_lookup", "link_id", "recipient"))
    id: int | None = Field(default=None, primary_key=True)
    link_id: int = Field(foreign_key="short_link.id", ondelete="CASCADE")
    code: str = Field(max_length=8, unique=True)
    customer_id: int | None = Field(default=None, foreign_key="customer.id", ondelete="SET NULL")
    #: the address the link was sent to (a mobile number, an openid ...), as the sender gave it
    recipient: str = Field(default="", max_length=128)
    clicks: int = 0
    first_clicked_at: datetime | None = None


class ShortLinkClick(TenantScoped, table=True):
    """One visit of a short link: the personalised link when there was one, the client kind, a keyed hash of the
    address (never the address itself)."""

    __tablename__ = "short_link_click"
    __table_args__ = (Index("ix_short_link_click_link", "link_id", "clicked_at"),)
    id: int | None = Field(default=None, primary_key=True)
    link_id: int = Field(foreign_key="short_link.id", ondelete="CASCADE")
    recipient_id: int | None = Field(default=None, foreign_key="short_link_recipient.id", ondelete="CASCADE")
    customer_id: int | None = Field(default=None, foreign_key="customer.id", ondelete="SET NULL")
    clicked_at: datetime = Field(default_factory=utcnow)
    #: wechat, mobile, desktop, bot, other
    agent: str = Field(default="other", max_length=10)
    ip_hash: str = Field(default="", max_length=32)


class TenantLogo(SQLModel, table=True):
    """The brand logo (PNG, at most 512 px a side) and the basic-settings switch that draws it in the centre of every
    marketing and poster QR code of the tenant."""

    __tablename__ = "tenant_logo"
    tenant_id: int = Field(foreign_key="tenant.id", primary_key=True, ondelete="CASCADE")
    image: bytes | None = Field(default=None, sa_column=Column(LargeBinary, nullable=True))
    on_qr_codes: bool = False
    updated_at: datetime = Field(default_factory=utcnow)
