"""The unsubscribe list: one row per (tenant, mobile) that said TD / T / 退订 or was added by an operator."""

from __future__ import annotations

from sqlalchemy import UniqueConstraint
from sqlmodel import Field

from scrm.sdk import TenantScoped, Timestamped

#: how a number got onto the list
SOURCE_UPLINK = "uplink"
SOURCE_MANUAL = "manual"
SOURCE_IMPORT = "import"


class SmsUnsubscribe(TenantScoped, Timestamped, table=True):
    """``mobile`` is the mainland number normalised to 11 digits (``+86``/``86`` prefixes removed); the row excludes
    it from every marketing SMS of the tenant on every SMS account. ``reply`` is the uplink text that opted out."""

    __tablename__ = "sms_unsubscribe"
    __table_args__ = (UniqueConstraint("tenant_id", "mobile"),)
    id: int | None = Field(default=None, primary_key=True)
    mobile: str = Field(max_length=20)
    source: str = Field(max_length=10, description="uplink, manual or import")
    account_id: int | None = Field(default=None, foreign_key="channel_account.id", ondelete="SET NULL")
    reply: str = Field(default="", max_length=70)
    created_by: int | None = Field(default=None, description="the user who added it by hand")
