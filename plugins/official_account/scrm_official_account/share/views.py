"""分享有礼 (share-for-gift) under ``/t/<tenant>/official_account/share/`` (endpoints ``official_account.share.*``):
campaigns (account, period, follow switch, reward tiers), their statistics of valid help, the sharers' ranking, the
rewards to fulfil, and a fan's personal code (parameter QR code + short link) made from the campaign page."""

from __future__ import annotations

from datetime import datetime

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from scrm.sdk import MenuItem, local_datetime, utcnow
from scrm.sdk.web import (
    ADMIN,
    STAFF,
    audit_action,
    current_tenant,
    current_user,
    db,
    platform,
    role_required,
)
from scrm.sdk.wechat import WeChatAPIError

from ..accounts import find_account, list_accounts
from ..client import OAClient, OAUnavailable
from ..fans import labels  # noqa: F401  (reward status labels)
from ..fans.models import Fan
from . import service
from .models import ShareCampaign, ShareParticipant, ShareReward

bp = Blueprint("share", __name__, url_prefix="/share")

ERRORS = {
    "name_required": _l("Enter a campaign name."),
    "name_too_long": _l("A campaign name is at most 60 characters."),
    "bad_period": _l("The campaign ends after it starts."),
    "bad_threshold": _l("A reward threshold is 1 to 1,000 valid helps."),
    "bad_reward": _l("Describe each reward in at most 200 characters."),
    "tiers_required": _l("Give at least one reward tier."),
    "too_many_tiers": _l("At most 5 reward tiers."),
    "duplicate_threshold": _l("Two tiers have the same threshold."),
    "not_running": _l("The campaign is not running."),
    "sharer_not_following": _l("Only a follower of the account can share."),
    "excluded": _l("This customer is excluded from campaigns (blacklist)."),
    "wrong_account": _l("This fan follows another account."),
}


def menu_items(tenant, user):
    return [MenuItem(_l("Share for gift"), "official_account.share.index", order=10, group="marketing.campaigns")]


def _campaign_or_404(campaign_id: int) -> ShareCampaign:
    campaign = db().get(ShareCampaign, campaign_id)
    if campaign is None or campaign.tenant_id != current_tenant().id:
        abort(404)
    return campaign


@bp.get("/")
@role_required(*STAFF)
def index():
    tenant = current_tenant()
    campaigns = list(db().execute(select(ShareCampaign).where(ShareCampaign.tenant_id == tenant.id)
                                  .order_by(ShareCampaign.id.desc())).scalars())
    stats = {c.id: service.statistics(db(), c) for c in campaigns}
    return render_template("official_account/share/index.html", campaigns=campaigns, stats=stats,
                           names={a.id: a.name for a in list_accounts(db(), tenant.id, enabled_only=False)},
                           now=utcnow())


def _form(errors=None, form=None, status=200):
    return render_template("official_account/share/form.html", accounts=list_accounts(db(), current_tenant().id),
                           errors=errors or {}, form=form or {}), status


def _moment(raw: str | None) -> datetime | None:
    try:
        if not raw:
            return None
        moment = datetime.fromisoformat(raw)  # a datetime-local field: the tenant's local time
        return local_datetime(moment.date(), moment.time())
    except ValueError:
        return None


@bp.get("/new")
@role_required(*ADMIN)
def new():
    return _form(form={"require_follow": "1"})


@bp.post("/new")
@role_required(*ADMIN)
def create():
    form = request.form.to_dict()
    raw = form.get("account_id", "")
    account = find_account(db(), current_tenant().id, int(raw)) if raw.isdigit() and len(raw) < 10 else None
    if account is None:
        return _form({"account_id": _("Choose an official account.")}, form, 422)
    tiers = []
    for index in range(1, service.MAX_TIERS + 2):
        threshold, reward = form.get(f"threshold_{index}", "").strip(), form.get(f"reward_{index}", "").strip()
        if threshold or reward:
            tiers.append({"threshold": threshold, "reward": reward})
    try:
        campaign = service.create_campaign(
            db(), account, name=form.get("name", ""), starts_at=_moment(form.get("starts_at")),
            ends_at=_moment(form.get("ends_at")), tiers=tiers, require_follow=form.get("require_follow") == "1",
            description=form.get("description", ""), created_by=getattr(current_user(), "email", ""))
    except service.ShareError as exc:
        return _form({"form": str(ERRORS.get(str(exc), exc))}, form, 422)
    audit_action("official_account.share_created", f"official_account_share_campaign:{campaign.id}")
    db().commit()
    flash(_("Campaign created."), "success")
    return redirect(url_for("official_account.share.detail", campaign_id=campaign.id))


@bp.get("/<int:campaign_id>")
@role_required(*STAFF)
def detail(campaign_id: int):
    campaign = _campaign_or_404(campaign_id)
    rewards = list(db().execute(select(ShareReward, ShareParticipant, Fan).join(
        ShareParticipant, ShareParticipant.id == ShareReward.participant_id).join(
        Fan, Fan.id == ShareParticipant.fan_id).where(ShareReward.campaign_id == campaign.id)
        .order_by(ShareReward.reached_at.desc()).limit(100)).all())
    from flask import current_app

    from scrm.sdk.web import public_url

    from .progress import campaign_token

    entry_url = public_url(current_tenant(), "official_account",
                           f"share/c/{campaign_token(current_app.config['SECRET_KEY'], campaign)}")
    return render_template("official_account/share/detail.html", campaign=campaign, entry_url=entry_url,
                           account=find_account(db(), campaign.tenant_id, campaign.account_id),
                           stats=service.statistics(db(), campaign), ranking=service.ranking(db(), campaign),
                           rewards=rewards, running=service.is_running(campaign), errors=ERRORS)


@bp.post("/<int:campaign_id>/join")
@role_required(*STAFF)
def join(campaign_id: int):
    """Make the personal code of a follower (found by openid) for them to share."""
    campaign = _campaign_or_404(campaign_id)
    openid = (request.form.get("openid") or "").strip()[:64]
    fan = db().execute(select(Fan).where(Fan.tenant_id == campaign.tenant_id, Fan.account_id == campaign.account_id,
                                         Fan.openid == openid)).scalars().first()
    if fan is None:
        flash(_("No follower of this account has this OpenID."), "error")
        return redirect(url_for("official_account.share.detail", campaign_id=campaign.id)), 422
    account = find_account(db(), campaign.tenant_id, campaign.account_id) or abort(404)
    try:
        with OAClient.for_account(account, platform(), backoff=(0.5,)) as client:
            participant = service.join(db(), campaign, fan, client)
    except service.ShareError as exc:
        db().rollback()
        flash(str(ERRORS.get(str(exc), exc)), "error")
        return redirect(url_for("official_account.share.detail", campaign_id=campaign.id)), 422
    except (WeChatAPIError, OAUnavailable):
        db().rollback()
        flash(_("WeChat cannot make the code now; nothing was changed."), "error")
        return redirect(url_for("official_account.share.detail", campaign_id=campaign.id)), 422
    db().commit()
    flash(_("Personal link: %(url)s", url=participant.short_url), "success")
    return redirect(url_for("official_account.share.detail", campaign_id=campaign.id))


@bp.post("/rewards/<int:reward_id>/fulfil")
@role_required(*STAFF)
def fulfil(reward_id: int):
    reward = db().get(ShareReward, reward_id)
    if reward is None or reward.tenant_id != current_tenant().id:
        abort(404)
    if reward.status != "fulfilled":
        reward.status, reward.fulfilled_at = "fulfilled", utcnow()
        db().add(reward)
        audit_action("official_account.share_reward_fulfilled", f"official_account_share_reward:{reward.id}")
        db().commit()
    flash(_("Reward marked fulfilled."), "success")
    return redirect(url_for("official_account.share.detail", campaign_id=reward.campaign_id))
