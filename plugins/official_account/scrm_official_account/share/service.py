"""Share-for-gift (分享有礼, spec D.3): a fan of the campaign's account joins and gets a personal parameter QR code
(temporary, scene ``sh<code>``) and a short link to their public share page with the poster; a friend who scans the
poster's code, or opens the page and taps help, helps (:mod:`.public`).

Rules (each tested):

* one help per friend per campaign (a unique row; a second help, for the same or another sharer, is refused);
* the sharer cannot help themselves;
* with ``require_follow`` (the default) a help counts only once the friend follows the account: a help by a visitor
  waits (``valid`` false) and counts when the follow event arrives; switched off, every help counts at once;
* only valid help counts: ``valid_helps`` and every statistic read valid rows only;
* customers the participation rules refuse for a task fission (the blacklist) can neither share nor help;
* the campaign counts helps only between its start and end;
* reaching a tier's threshold records one reward per (sharer, tier) and tells the sharer through the outbound path
  (``send_message``, a customer-service text within the 48-hour window); when that message cannot go out the reward
  stays "to fulfil by hand" on the campaign page.
"""

from __future__ import annotations

import logging
import secrets
from datetime import datetime
from typing import Any

from sqlalchemy import func, select, update
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session

from scrm.sdk import (
    ChannelAccount,
    OutboundError,
    OutboundMessage,
    participation,
    send_message,
    utcnow,
)

from ..fans.models import Fan
from .models import ShareCampaign, ShareHelp, ShareParticipant, ShareReward

log = logging.getLogger(__name__)

PURPOSE = "share_gift"
SCENE_PREFIX = "sh"
MAX_NAME = 60
MAX_TIERS = 5
MAX_THRESHOLD = 1000
MAX_REWARD = 200
QR_MAX_SECONDS = 2_592_000


class ShareError(ValueError):
    """``str(exc)`` is the broken rule's code (translated by the views)."""


def validate_campaign(name: str, starts_at: datetime | None, ends_at: datetime | None,
                      tiers: list[dict[str, Any]]) -> tuple[str, list[dict[str, Any]]]:
    name = (name or "").strip()
    if not name:
        raise ShareError("name_required")
    if len(name) > MAX_NAME:
        raise ShareError("name_too_long")
    if starts_at is None or ends_at is None or ends_at <= starts_at:
        raise ShareError("bad_period")
    clean: list[dict[str, Any]] = []
    for tier in tiers:
        try:
            threshold = int(tier.get("threshold"))
        except (TypeError, ValueError):
            raise ShareError("bad_threshold") from None
        reward = str(tier.get("reward") or "").strip()
        if not 1 <= threshold <= MAX_THRESHOLD:
            raise ShareError("bad_threshold")
        if not reward or len(reward) > MAX_REWARD:
            raise ShareError("bad_reward")
        clean.append({"threshold": threshold, "reward": reward})
    if not clean:
        raise ShareError("tiers_required")
    if len(clean) > MAX_TIERS:
        raise ShareError("too_many_tiers")
    thresholds = [t["threshold"] for t in clean]
    if len(set(thresholds)) != len(thresholds):
        raise ShareError("duplicate_threshold")
    return name, sorted(clean, key=lambda t: t["threshold"])


def create_campaign(session: Session, account: ChannelAccount, *, name: str, starts_at: datetime, ends_at: datetime,
                    tiers: list[dict[str, Any]], require_follow: bool = True, description: str = "",
                    created_by: str = "") -> ShareCampaign:
    name, tiers = validate_campaign(name, starts_at, ends_at, tiers)
    campaign = ShareCampaign(tenant_id=account.tenant_id, account_id=account.id, name=name,
                             description=(description or "")[:500], starts_at=starts_at, ends_at=ends_at,
                             require_follow=require_follow, tiers=tiers, created_by=created_by[:200])
    session.add(campaign)
    session.flush()
    return campaign


def is_running(campaign: ShareCampaign, at: datetime | None = None) -> bool:
    at = at or utcnow()
    return campaign.status == "active" and campaign.starts_at <= at < campaign.ends_at


def _excluded(session: Session, tenant_id: int, customer_id: int | None) -> str | None:
    """Why the customer may not take part: share-for-gift is a task fission (members-2 §4.6), refused for
    blacklisted customers while the brand's task-fission switch is on (``scrm.sdk.participation``)."""
    if customer_id is None:
        return None
    return participation.refusal(session, tenant_id, customer_id, participation.TASK_FISSION)


def join(session: Session, campaign: ShareCampaign, fan: Fan, client: Any, *,
         base_url: str | None = None) -> ShareParticipant:
    """The fan's participation (created once): a personal code, its parameter QR code (scene ``sh<code>``) and a
    short link to the fan's share page (``/p/<tenant>/official_account/share/<code>``, which shows the poster)."""
    existing = session.execute(select(ShareParticipant).where(
        ShareParticipant.campaign_id == campaign.id, ShareParticipant.fan_id == fan.id)).scalars().first()
    if existing is not None:
        return existing
    if fan.account_id != campaign.account_id or fan.tenant_id != campaign.tenant_id:
        raise ShareError("wrong_account")
    if not is_running(campaign):
        raise ShareError("not_running")
    if not fan.subscribed:
        raise ShareError("sharer_not_following")
    if _excluded(session, campaign.tenant_id, fan.customer_id):
        raise ShareError("excluded")
    code = secrets.token_hex(6)
    participant = ShareParticipant(tenant_id=campaign.tenant_id, campaign_id=campaign.id, fan_id=fan.id, code=code)
    session.add(participant)
    session.flush()
    from ..qrcodes import service as qrcodes

    account = session.get(ChannelAccount, campaign.account_id)
    seconds = max(1, min(QR_MAX_SECONDS, int((campaign.ends_at - utcnow()).total_seconds())))
    qrcodes.create(session, account, client, name=f"{campaign.name[:40]}·{code}", temporary=True,
                   scene_str=f"{SCENE_PREFIX}{code}", expire_seconds=seconds, purpose="campaign",
                   created_by=f"share:{campaign.id}")
    from scrm.sdk import Tenant, shortlinks
    from scrm.sdk.web import public_url

    page = public_url(session.get(Tenant, campaign.tenant_id), "official_account", f"share/{code}", base_url)
    link = shortlinks.create(session, campaign.tenant_id, page, channel="official_account",
                             campaign=f"share:{campaign.id}", campaign_label=campaign.name[:60],
                             created_by="plugin:official_account")
    participant.short_url = shortlinks.short_url(link, base_url)[:300]
    session.add(participant)
    session.flush()
    return participant


def participant_by_scene(session: Session, account: ChannelAccount, scene: str) -> ShareParticipant | None:
    if not scene.startswith(SCENE_PREFIX):
        return None
    row = session.execute(select(ShareParticipant).join(
        ShareCampaign, ShareCampaign.id == ShareParticipant.campaign_id).where(
        ShareParticipant.code == scene[len(SCENE_PREFIX):], ShareCampaign.account_id == account.id,
        ShareParticipant.tenant_id == account.tenant_id)).scalars().first()
    return row


def record_help(session: Session, participant: ShareParticipant, helper: Fan,
                at: datetime | None = None) -> ShareHelp:
    """A friend's help for ``participant`` (raises :class:`ShareError` with the rule it breaks)."""
    at = at or utcnow()
    campaign = session.get(ShareCampaign, participant.campaign_id)
    sharer = session.get(Fan, participant.fan_id)
    if campaign is None or sharer is None or helper.tenant_id != campaign.tenant_id or \
            helper.account_id != campaign.account_id:
        raise ShareError("wrong_account")
    if not is_running(campaign, at):
        raise ShareError("not_running")
    if helper.openid == sharer.openid or (helper.customer_id is not None and helper.customer_id == sharer.customer_id):
        raise ShareError("self_help")
    if _excluded(session, campaign.tenant_id, helper.customer_id) or \
            _excluded(session, campaign.tenant_id, sharer.customer_id):
        raise ShareError("excluded")
    valid = helper.subscribed or not campaign.require_follow
    help_row = ShareHelp(tenant_id=campaign.tenant_id, campaign_id=campaign.id, participant_id=participant.id,
                         helper_openid=helper.openid, valid=valid, helped_at=at, validated_at=at if valid else None)
    try:
        with session.begin_nested():
            session.add(help_row)
    except IntegrityError:
        raise ShareError("already_helped") from None
    if valid:
        _count(session, campaign, participant)
    return help_row


def _count(session: Session, campaign: ShareCampaign, participant: ShareParticipant) -> None:
    session.execute(update(ShareParticipant).where(ShareParticipant.id == participant.id)
                    .values(valid_helps=ShareParticipant.valid_helps + 1))
    session.flush()
    session.refresh(participant)
    for tier in campaign.tiers:
        if participant.valid_helps >= int(tier["threshold"]):
            _reward(session, campaign, participant, int(tier["threshold"]), str(tier["reward"]))


def _reward(session: Session, campaign: ShareCampaign, participant: ShareParticipant, threshold: int,
            reward: str) -> None:
    try:
        with session.begin_nested():
            row = ShareReward(tenant_id=campaign.tenant_id, campaign_id=campaign.id, participant_id=participant.id,
                              threshold=threshold, reward=reward[:200])
            session.add(row)
    except IntegrityError:
        return  # already reached
    sharer = session.get(Fan, participant.fan_id)
    if sharer is None:
        return
    text = f"恭喜！您在「{campaign.name}」中已获得 {threshold} 位好友助力，奖励：{reward}"
    try:
        delivery = send_message(session, campaign.tenant_id, account=campaign.account_id, recipient=sharer.openid,
                                message=OutboundMessage.text(text), purpose=PURPOSE,
                                customer_id=sharer.customer_id,
                                idempotency_key=f"share_reward:{participant.id}:{threshold}",
                                task_ref=f"share_campaign:{campaign.id}")
    except OutboundError as exc:
        log.warning("share reward message not queued: %s", type(exc).__name__)
        return
    if str(getattr(delivery, "status", "")) not in ("skipped", "failed"):
        row.status = "sent"
        session.add(row)


def on_scene(session: Session, account: ChannelAccount, openid: str, scene: str, at: datetime) -> None:
    """A scan of a sharer's code (a follow through it, or a scan by a follower): the scanner helps."""
    participant = participant_by_scene(session, account, scene)
    if participant is None:
        return
    helper = session.execute(select(Fan).where(Fan.account_id == account.id, Fan.openid == openid)).scalars().first()
    if helper is None:
        return
    try:
        record_help(session, participant, helper, at)
    except ShareError as exc:
        log.info("share help not counted: %s", exc)


def on_follow(session: Session, account: ChannelAccount, openid: str, at: datetime) -> int:
    """The friend followed: their waiting helps in running campaigns of the account count now. Returns how many."""
    rows = session.execute(select(ShareHelp, ShareCampaign).join(
        ShareCampaign, ShareCampaign.id == ShareHelp.campaign_id).where(
        ShareCampaign.account_id == account.id, ShareHelp.tenant_id == account.tenant_id,
        ShareHelp.helper_openid == openid, ShareHelp.valid.is_(False))).all()
    counted = 0
    for help_row, campaign in rows:
        if not is_running(campaign, at):
            continue
        claimed = session.execute(update(ShareHelp).where(ShareHelp.id == help_row.id, ShareHelp.valid.is_(False))
                                  .values(valid=True, validated_at=at)).rowcount
        if claimed:
            participant = session.get(ShareParticipant, help_row.participant_id)
            _count(session, campaign, participant)
            counted += 1
    return counted


def statistics(session: Session, campaign: ShareCampaign) -> dict[str, Any]:
    """Valid help only: sharers, valid helps, helpers who followed, rewards reached (per tier)."""
    sharers = session.execute(select(func.count()).select_from(ShareParticipant).where(
        ShareParticipant.campaign_id == campaign.id)).scalar_one()
    valid = session.execute(select(func.count()).select_from(ShareHelp).where(
        ShareHelp.campaign_id == campaign.id, ShareHelp.valid.is_(True))).scalar_one()
    rewards = dict(session.execute(select(ShareReward.threshold, func.count()).where(
        ShareReward.campaign_id == campaign.id).group_by(ShareReward.threshold)).all())
    return {"sharers": sharers, "valid_helps": valid, "rewards": rewards}


def ranking(session: Session, campaign: ShareCampaign, limit: int = 50) -> list[tuple[ShareParticipant, Fan]]:
    return [tuple(r) for r in session.execute(select(ShareParticipant, Fan).join(
        Fan, Fan.id == ShareParticipant.fan_id).where(ShareParticipant.campaign_id == campaign.id)
        .order_by(ShareParticipant.valid_helps.desc(), ShareParticipant.id).limit(limit)).all()]
