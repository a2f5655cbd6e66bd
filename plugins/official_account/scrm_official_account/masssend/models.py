"""Tables of the mass sends (branch ``official_account_masssend``): the mass sends of each account and the
template-message templates synced from WeChat.

The recipients of a mass send are rows of the platform's delivery ledger (``message_delivery``, one per fan,
``task_ref`` ``oa_mass:<id>``): the fans it went to, and those it failed for with the reason (the monthly limit,
the blacklist ...). See :mod:`.dispatch`.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import Column, Index, Text, UniqueConstraint
from sqlmodel import Field

from scrm.sdk import TenantScoped, json_column, utcnow

IMMEDIATE, SCHEDULED = "immediate", "scheduled"
ALL_FANS, BY_TAGS = "all", "tags"
NEWS, TEXT, IMAGE, VOICE, VIDEO = "news", "text", "image", "voice", "video"
MSG_TYPES = (NEWS, TEXT, IMAGE, VOICE, VIDEO)

# statuses: waiting for its time, being planned and handed to WeChat, accepted by WeChat (the finished event is
# awaited), finished (WeChat's MASSSENDJOBFINISH said "send success"), failed (refused, or finished with an error)
WAITING, SENDING, SUBMITTED, SENT, FAILED = "waiting", "sending", "submitted", "sent", "failed"
STATUSES = (WAITING, SENDING, SUBMITTED, SENT, FAILED)


class MassSend(TenantScoped, table=True):
    """One mass send (群发) of one account: audience, content, time, and what came of it."""

    __tablename__ = "official_account_mass_send"
    __table_args__ = (Index("ix_official_account_mass_send_list", "tenant_id", "account_id", "send_mode", "id"),
                      Index("ix_official_account_mass_send_msg", "account_id", "msg_id"))
    id: int | None = Field(default=None, primary_key=True)
    account_id: int = Field(foreign_key="channel_account.id", ondelete="CASCADE")
    send_mode: str = Field(default=IMMEDIATE, max_length=10)
    scheduled_at: datetime | None = None
    audience_mode: str = Field(default=ALL_FANS, max_length=10)
    tag_ids: list[int] = json_column(default_factory=list)
    genders: list[int] = json_column(default_factory=list)
    province: str = Field(default="", max_length=40)
    city: str = Field(default="", max_length=40)
    follow_from: date | None = None
    follow_to: date | None = None
    estimated: int = 0
    msg_type: str = Field(default=TEXT, max_length=10)
    text: str = Field(default="", sa_column=Column(Text, nullable=False, default=""))
    material_id: int | None = Field(default=None, foreign_key="official_account_material.id", ondelete="SET NULL")
    material_name: str = Field(default="", max_length=200)
    status: str = Field(default=WAITING, max_length=10)
    #: recipients planned (ledger rows), of them refused before WeChat (monthly limit, blacklist ...), and handed over
    targeted: int = 0
    refused: int = 0
    submitted: int = 0
    #: WeChat's ids and the MASSSENDJOBFINISH figures
    msg_id: str | None = Field(default=None, max_length=40)
    msg_data_id: str | None = Field(default=None, max_length=40)
    wechat_status: str = Field(default="", max_length=40)
    total_count: int | None = None
    filter_count: int | None = None
    sent_count: int | None = None
    error_count: int | None = None
    error_code: str | None = Field(default=None, max_length=40)
    error: str | None = Field(default=None, max_length=300)
    created_by: str = Field(default="", max_length=200)
    created_at: datetime = Field(default_factory=utcnow)
    started_at: datetime | None = None
    submitted_at: datetime | None = None
    finished_at: datetime | None = None


class TemplateMessageTemplate(TenantScoped, table=True):
    """A template of the account's template messages (``template/get_all_private_template``)."""

    __tablename__ = "official_account_template"
    __table_args__ = (UniqueConstraint("account_id", "template_id"),)
    id: int | None = Field(default=None, primary_key=True)
    account_id: int = Field(foreign_key="channel_account.id", ondelete="CASCADE")
    template_id: str = Field(max_length=64)
    title: str = Field(default="", max_length=100)
    content: str = Field(default="", sa_column=Column(Text, nullable=False, default=""))
    example: str = Field(default="", sa_column=Column(Text, nullable=False, default=""))
    primary_industry: str = Field(default="", max_length=40)
    deputy_industry: str = Field(default="", max_length=40)
    fields: list[str] = json_column(default_factory=list)
    synced_at: datetime = Field(default_factory=utcnow)
    extra: dict[str, Any] = json_column()
