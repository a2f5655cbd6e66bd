"""What the public share page reads: a sharer's participation by its personal code (within one tenant), the
campaign's phase, the sharer's progress toward the reward tiers, a visitor's help, and the signed campaign link.

Only valid helps count toward the tiers (D.3). A campaign is ``not_started`` before ``starts_at``, ``running`` until
``ends_at`` (while its status is active), ``ended`` after or once ended by hand.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from itsdangerous import BadSignature, URLSafeSerializer
from sqlalchemy import select
from sqlmodel import Session

from scrm.sdk import participation, utcnow

from ..qrcodes.models import QrCode
from .models import ShareCampaign, ShareHelp, ShareParticipant
from .service import SCENE_PREFIX

CODE = re.compile(r"[0-9a-f]{12}")
"""A personal code: 12 hex digits (``secrets.token_hex(6)``); anything else is no code."""
TOKEN_SALT = "official_account.share.campaign"


@dataclass(frozen=True)
class Tier:
    threshold: int
    reward: str
    reached: bool


@dataclass(frozen=True)
class Progress:
    valid_helps: int
    tiers: list[Tier]
    next_tier: Tier | None
    remaining: int  # valid helps still missing for the next tier (0 when every tier is reached)
    percent: int  # toward the highest tier, 0..100


def phase(campaign: ShareCampaign, at: datetime | None = None) -> str:
    at = at or utcnow()
    if campaign.status != "active" or at >= campaign.ends_at:
        return "ended"
    return "not_started" if at < campaign.starts_at else "running"


def progress(campaign: ShareCampaign, participant: ShareParticipant) -> Progress:
    helps = participant.valid_helps
    tiers = [Tier(int(t["threshold"]), str(t["reward"]), helps >= int(t["threshold"])) for t in campaign.tiers]
    upcoming = next((t for t in tiers if not t.reached), None)
    top = max((t.threshold for t in tiers), default=0)
    percent = 100 if top == 0 else min(100, helps * 100 // top)
    return Progress(helps, tiers, upcoming, upcoming.threshold - helps if upcoming else 0, percent)


def participant_by_code(session: Session, tenant_id: int, code: str) -> tuple[ShareParticipant, ShareCampaign] | None:
    """The participation of personal ``code`` in ``tenant_id`` (a code of another tenant is None)."""
    if not CODE.fullmatch(code or ""):
        return None
    row = session.execute(select(ShareParticipant, ShareCampaign).join(
        ShareCampaign, ShareCampaign.id == ShareParticipant.campaign_id).where(
        ShareParticipant.code == code, ShareParticipant.tenant_id == tenant_id,
        ShareCampaign.tenant_id == tenant_id)).first()
    return (row[0], row[1]) if row else None


def excluded(session: Session, campaign: ShareCampaign, fan: Any) -> bool:
    """Whether the participation rules refuse ``fan`` for the campaign, a task fission (the blacklist)."""
    if fan is None or fan.customer_id is None:
        return False
    return participation.refusal(session, campaign.tenant_id, fan.customer_id, participation.TASK_FISSION) is not None


def participant_of(session: Session, campaign: ShareCampaign, fan_id: int) -> ShareParticipant | None:
    return session.execute(select(ShareParticipant).where(
        ShareParticipant.campaign_id == campaign.id, ShareParticipant.fan_id == fan_id)).scalars().first()


def help_of(session: Session, campaign: ShareCampaign, openid: str) -> ShareHelp | None:
    """The visitor's one help in the campaign (for whichever sharer), or None."""
    return session.execute(select(ShareHelp).where(
        ShareHelp.campaign_id == campaign.id, ShareHelp.tenant_id == campaign.tenant_id,
        ShareHelp.helper_openid == openid)).scalars().first()


def poster_qr(session: Session, participant: ShareParticipant, campaign: ShareCampaign) -> QrCode | None:
    """The sharer's parameter QR code (scene ``sh<code>``), made by ``service.join``."""
    return session.execute(select(QrCode).where(
        QrCode.tenant_id == campaign.tenant_id, QrCode.account_id == campaign.account_id,
        QrCode.scene_str == f"{SCENE_PREFIX}{participant.code}")).scalars().first()


def campaign_token(secret: str, campaign: ShareCampaign) -> str:
    """The signed token of the campaign's public entry link (an OA menu or article points to it)."""
    return URLSafeSerializer(secret, salt=TOKEN_SALT).dumps([campaign.tenant_id, campaign.id])


def campaign_by_token(session: Session, secret: str, tenant_id: int, token: str) -> ShareCampaign | None:
    """The campaign a token names, or None: a bad signature, another tenant's campaign, or a campaign deleted."""
    try:
        value: Any = URLSafeSerializer(secret, salt=TOKEN_SALT).loads(token or "")
    except BadSignature:
        return None
    if not (isinstance(value, list) and len(value) == 2 and all(isinstance(v, int) for v in value)):
        return None
    if value[0] != tenant_id:
        return None
    campaign = session.get(ShareCampaign, value[1])
    return campaign if campaign is not None and campaign.tenant_id == tenant_id else None
