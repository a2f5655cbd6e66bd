"""Auto replies (自动回复管理) of an official account: the three switches with the default (received-message) and
subscribe replies, and the keyword rules with their keywords (branch ``official_account_autoreply``)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Index, UniqueConstraint
from sqlmodel import Field

from scrm.sdk import TenantScoped, json_column, utcnow

FULL, HALF = "full", "half"
MATCH_MODES = (FULL, HALF)


class ReplySettings(TenantScoped, table=True):
    """The account's three independent switches and its two single replies. ``default_reply`` and
    ``subscribe_reply`` are ``{"type": "text"|"image"|"voice"|"video", "text": str, "material_id": int|None}``
    (empty: not set). ``revision`` grows with every change of the settings or the rules: the compiled matcher of a
    process is rebuilt when it sees a newer one."""

    __tablename__ = "official_account_reply_settings"
    __table_args__ = (UniqueConstraint("account_id"),)
    id: int | None = Field(default=None, primary_key=True)
    account_id: int = Field(foreign_key="channel_account.id", ondelete="CASCADE")
    keyword_enabled: bool = True
    message_enabled: bool = False
    subscribe_enabled: bool = False
    default_reply: dict[str, Any] = json_column()
    subscribe_reply: dict[str, Any] = json_column()
    revision: int = 1
    updated_at: datetime = Field(default_factory=utcnow)


class KeywordRule(TenantScoped, table=True):
    """A keyword reply rule. The reply is ``reply_type`` with ``reply_text`` (text) or ``material_id``;
    ``forward_to_service`` also hands the fan's message to customer service (marketing rules D.5). When several rules
    match, the one created last wins (``created_at``, then ``id``)."""

    __tablename__ = "official_account_keyword_rule"
    __table_args__ = (Index("ix_official_account_keyword_rule_account", "tenant_id", "account_id", "created_at"),)
    id: int | None = Field(default=None, primary_key=True)
    account_id: int = Field(foreign_key="channel_account.id", ondelete="CASCADE")
    name: str = Field(max_length=60)
    reply_type: str = Field(max_length=10)
    reply_text: str = Field(default="", max_length=2000)
    material_id: int | None = Field(default=None, foreign_key="official_account_material.id", index=True)
    forward_to_service: bool = False
    created_at: datetime = Field(default_factory=utcnow)
    updated_at: datetime = Field(default_factory=utcnow)


class Keyword(TenantScoped, table=True):
    """One keyword of a rule: unique within the account (spec 4.3 rule 5), ``mode`` full (全匹配) or half (半匹配,
    the message contains the keyword)."""

    __tablename__ = "official_account_keyword"
    __table_args__ = (UniqueConstraint("account_id", "text"),)
    id: int | None = Field(default=None, primary_key=True)
    account_id: int = Field(foreign_key="channel_account.id", ondelete="CASCADE")
    rule_id: int = Field(foreign_key="official_account_keyword_rule.id", index=True, ondelete="CASCADE")
    text: str = Field(max_length=30)
    mode: str = Field(default=HALF, max_length=4)
