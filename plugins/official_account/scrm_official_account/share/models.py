"""Share-for-gift campaigns (分享有礼, lineage ``official_account_share``): a fan shares a personal link or poster,
friends help, rewards at thresholds. Only valid help counts (the friend followed when the campaign asks for it)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Index
from sqlmodel import Field, UniqueConstraint

from scrm.sdk import TenantScoped, json_column, utcnow


class ShareCampaign(TenantScoped, table=True):
    """A campaign on one account. ``tiers`` is ``[{"threshold": 3, "reward": "..."}, ...]`` ascending."""

    __tablename__ = "official_account_share_campaign"
    id: int | None = Field(default=None, primary_key=True)
    account_id: int = Field(foreign_key="channel_account.id", ondelete="CASCADE")
    name: str = Field(max_length=60)
    description: str = Field(default="", max_length=500)
    starts_at: datetime
    ends_at: datetime
    require_follow: bool = True
    tiers: list[dict[str, Any]] = json_column(default_factory=list)
    status: str = Field(default="active", max_length=10, description="active or ended")
    created_by: str = Field(default="", max_length=200)
    created_at: datetime = Field(default_factory=utcnow)


class ShareParticipant(TenantScoped, table=True):
    """A sharer: a fan of the campaign's account with a personal code (the short link and poster carry it)."""

    __tablename__ = "official_account_share_participant"
    __table_args__ = (UniqueConstraint("campaign_id", "fan_id"), UniqueConstraint("code"))
    id: int | None = Field(default=None, primary_key=True)
    campaign_id: int = Field(foreign_key="official_account_share_campaign.id", ondelete="CASCADE")
    fan_id: int = Field(foreign_key="official_account_fan.id", ondelete="CASCADE")
    code: str = Field(max_length=24)
    short_url: str = Field(default="", max_length=300)
    valid_helps: int = 0
    created_at: datetime = Field(default_factory=utcnow)


class ShareHelp(TenantScoped, table=True):
    """A friend's help: one per friend per campaign (unique); ``valid`` once the friend follows (or at once when the
    campaign does not ask for a follow)."""

    __tablename__ = "official_account_share_help"
    __table_args__ = (UniqueConstraint("campaign_id", "helper_openid"),
                      Index("ix_official_account_share_help_participant", "participant_id", "valid"))
    id: int | None = Field(default=None, primary_key=True)
    campaign_id: int = Field(foreign_key="official_account_share_campaign.id", ondelete="CASCADE")
    participant_id: int = Field(foreign_key="official_account_share_participant.id", ondelete="CASCADE")
    helper_openid: str = Field(max_length=64)
    valid: bool = False
    helped_at: datetime = Field(default_factory=utcnow)
    validated_at: datetime | None = None


class ShareReward(TenantScoped, table=True):
    """A reward reached: one per (participant, tier threshold); ``status`` sent (a message went out through the
    outbound path), pending (to fulfil by hand) or fulfilled."""

    __tablename__ = "official_account_share_reward"
    __table_args__ = (UniqueConstraint("participant_id", "threshold"),)
    id: int | None = Field(default=None, primary_key=True)
    campaign_id: int = Field(foreign_key="official_account_share_campaign.id", ondelete="CASCADE")
    participant_id: int = Field(foreign_key="official_account_share_participant.id", ondelete="CASCADE")
    threshold: int
    reward: str = Field(max_length=200)
    status: str = Field(default="pending", max_length=10)
    reached_at: datetime = Field(default_factory=utcnow)
    fulfilled_at: datetime | None = None
