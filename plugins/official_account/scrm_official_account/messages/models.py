"""The tables of 消息管理 (branch ``official_account_messages``)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Column, Index, Text, UniqueConstraint
from sqlmodel import Field

from scrm.sdk import TenantScoped, json_column, utcnow


class Conversation(TenantScoped, table=True):
    """One fan's conversation with one account: when the fan last wrote (the 48-hour window) and the last message."""

    __tablename__ = "official_account_conversation"
    __table_args__ = (UniqueConstraint("account_id", "openid"),
                      Index("ix_official_account_conversation_window", "tenant_id", "account_id", "last_inbound_at"))
    id: int | None = Field(default=None, primary_key=True)
    account_id: int = Field(foreign_key="channel_account.id", ondelete="CASCADE")
    openid: str = Field(max_length=64)
    last_inbound_at: datetime = Field(default_factory=utcnow)
    last_message_at: datetime = Field(default_factory=utcnow)
    last_preview: str = Field(default="", max_length=120)


class ChatMessage(TenantScoped, table=True):
    """One message of a conversation: a fan's (``in``) or the account's (``out``: a passive reply, an automatic
    customer-service message or an employee's reply, sent through the ledger row ``delivery_id``)."""

    __tablename__ = "official_account_chat_message"
    __table_args__ = (UniqueConstraint("inbound_id", "direction"),
                      Index("ix_official_account_chat_message_fan", "tenant_id", "account_id", "openid", "id"))
    id: int | None = Field(default=None, primary_key=True)
    account_id: int = Field(foreign_key="channel_account.id", ondelete="CASCADE")
    openid: str = Field(max_length=64)
    direction: str = Field(max_length=3, description="in or out")
    msg_type: str = Field(max_length=30)
    content: str = Field(default="", sa_column=Column(Text, nullable=False, default=""))
    data: dict[str, Any] = json_column()
    source: str = Field(default="", max_length=80, description="fan, passive:<who>, staff, script:<id>, auto_reply")
    sent_by_user_id: int | None = Field(default=None, foreign_key="user.id", ondelete="SET NULL")
    delivery_id: int | None = Field(default=None, foreign_key="message_delivery.id", ondelete="SET NULL")
    inbound_id: int | None = Field(default=None, description="the stored callback (fan messages, passive replies)")
    created_at: datetime = Field(default_factory=utcnow)


class QuickReply(TenantScoped, table=True):
    """A quick-reply script (话术) of the tenant; only enabled ones are offered in the reply box."""

    __tablename__ = "official_account_quick_reply"
    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(max_length=30)
    content: str = Field(max_length=600)
    enabled: bool = True
    created_at: datetime = Field(default_factory=utcnow, index=True)
    updated_at: datetime = Field(default_factory=utcnow)
