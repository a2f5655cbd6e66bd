"""The share-for-gift H5 pages a fan and their friends open in WeChat, under ``/p/<tenant>/official_account/share/``
(endpoints ``official_account_public.share.*``):

* ``<code>``: a sharer's page (the personal short link opens it). The visitor is identified by web authorisation
  (``snsapi_base``, :mod:`..oauth`). The sharer sees their progress toward each reward tier and their poster; a
  friend sees whom they help, the help button and, when the campaign counts a help only after a follow, the poster
  to follow through; a follower who is no sharer yet can join and gets a page of their own.
* ``<code>/help`` (POST): the visitor helps, once per campaign (a second tap, or a tap for another sharer, changes
  nothing and says so); the rules are :mod:`.service`'s (no self-help, blacklist, period, follow requirement).
* ``<code>/join`` (POST): a follower joins and is sent to their own page.
* ``<code>/poster.png``: the sharer's poster (:mod:`.poster`) while the campaign has not ended.
* ``c/<token>``: the campaign's entry link (signed, :func:`.progress.campaign_token`): a sharer is sent to their page,
  a follower may join.

A code or token that is unknown, malformed, or of another tenant answers the host's friendly 404.
"""

from __future__ import annotations

from flask import Blueprint, Response, abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from scrm.sdk import ChannelAccount, utcnow
from scrm.sdk.qr import tenant_qr_logo
from scrm.sdk.web import current_tenant, db, platform
from scrm.sdk.wechat import WeChatAPIError

from .. import oauth
from ..accounts import find_account
from ..client import OAClient, OAUnavailable
from ..fans.models import Fan
from . import poster, progress, service
from .models import ShareCampaign, ShareParticipant

bp = Blueprint("share", __name__, url_prefix="/share")


def _account(campaign: ShareCampaign) -> ChannelAccount:
    account = find_account(db(), current_tenant().id, campaign.account_id)
    if account is None or not account.active:
        abort(404)
    return account


def _by_code(code: str) -> tuple[ShareParticipant, ShareCampaign, ChannelAccount]:
    found = progress.participant_by_code(db(), current_tenant().id, code)
    if found is None:
        abort(404)
    participant, campaign = found
    return participant, campaign, _account(campaign)


def _fan(account: ChannelAccount, openid: str | None) -> Fan | None:
    if not openid:
        return None
    return db().execute(select(Fan).where(Fan.tenant_id == account.tenant_id, Fan.account_id == account.id,
                                          Fan.openid == openid)).scalars().first()


def _identify(account: ChannelAccount):
    """The visitor's openid, or a redirect to WeChat's authorisation (None when the account cannot authorise: the
    page then works by its poster alone)."""
    openid = oauth.visitor_openid(account)
    if openid is None and oauth.available(account):
        return None, redirect(oauth.start(account, request.path))
    return openid, None


@bp.get("/<code>")
def page(code: str):
    participant, campaign, account = _by_code(code)
    openid, leave = _identify(account)
    if leave is not None:
        return leave
    viewer = _fan(account, openid)
    sharer = db().get(Fan, participant.fan_id)
    own = viewer is not None and viewer.id == participant.fan_id
    my_help = progress.help_of(db(), campaign, openid) if openid and not own else None
    mine = progress.participant_of(db(), campaign, viewer.id) if viewer is not None and not own else None
    excluded = bool(viewer is not None and progress.excluded(db(), campaign, viewer))
    return render_template(
        "official_account/share/public/page.html", campaign=campaign, account=account, participant=participant,
        sharer=sharer, viewer=viewer, own=own, identified=openid is not None, my_help=my_help, mine=mine,
        helped_here=my_help is not None and my_help.participant_id == participant.id, excluded=excluded,
        phase=progress.phase(campaign), progress=progress.progress(campaign, participant))


NOTHING = _l("Nothing was recorded.")
REFUSALS = {
    "self_help": _l("You cannot help yourself. Share the page with your friends."),
    "excluded": _l("You cannot take part in this activity."),
    "not_running": _l("The activity is not running; nothing was recorded."),
    "wrong_account": _l("This activity belongs to another official account."),
    "sharer_not_following": _l("Follow the official account first, then open this page again to join."),
}


@bp.post("/<code>/help")
def help_sharer(code: str):
    participant, campaign, account = _by_code(code)
    openid = oauth.visitor_openid(account)
    if openid is None:
        if not oauth.available(account):
            abort(404)
        return redirect(oauth.start(account, url_for(".page", code=code)))
    from ..fans.service import record_visitor

    viewer = record_visitor(db(), account, openid, utcnow())
    earlier = progress.help_of(db(), campaign, openid)
    if earlier is not None:  # idempotent: the one help per campaign stands, nothing is written
        if earlier.participant_id == participant.id:
            flash(_("You have already helped. Thank you!"), "success")
        else:
            flash(_("You have already helped another friend in this activity: everyone helps once."), "error")
        db().rollback()
        return redirect(url_for(".page", code=code))
    try:
        row = service.record_help(db(), participant, viewer)
    except service.ShareError as exc:
        db().rollback()
        if str(exc) == "already_helped":  # a concurrent tap won the race: the same outcome
            flash(_("You have already helped. Thank you!"), "success")
        else:
            flash(str(REFUSALS.get(str(exc), NOTHING)), "error")
        return redirect(url_for(".page", code=code))
    db().commit()
    if row.valid:
        flash(_("Thank you! Your help counts."), "success")
    else:
        flash(_("Almost done: follow the official account and your help counts."), "success")
    return redirect(url_for(".page", code=code))


def _join(campaign: ShareCampaign, account: ChannelAccount, viewer: Fan | None):
    """The viewer joins and is sent to their own page; a refusal is flashed (returns None)."""
    if viewer is None or not viewer.subscribed:
        flash(str(REFUSALS["sharer_not_following"]), "error")
        return None
    try:
        with OAClient.for_account(account, platform(), backoff=(0.5,)) as client:
            joined = service.join(db(), campaign, viewer, client, base_url=request.url_root)
    except service.ShareError as exc:
        db().rollback()
        flash(str(REFUSALS.get(str(exc), NOTHING)), "error")
        return None
    except (WeChatAPIError, OAUnavailable):
        db().rollback()
        flash(_("WeChat cannot make your poster right now. Try again in a moment."), "error")
        return None
    db().commit()
    return redirect(url_for(".page", code=joined.code))


@bp.post("/<code>/join")
def join(code: str):
    _participant, campaign, account = _by_code(code)
    openid = oauth.visitor_openid(account)
    if openid is None:
        if not oauth.available(account):
            abort(404)
        return redirect(oauth.start(account, url_for(".page", code=code)))
    return _join(campaign, account, _fan(account, openid)) or redirect(url_for(".page", code=code))


@bp.get("/<code>/poster.png")
def poster_png(code: str):
    participant, campaign, _account_row = _by_code(code)
    qr_code = progress.poster_qr(db(), participant, campaign)
    if progress.phase(campaign) == "ended" or qr_code is None or not qr_code.url:
        abort(404)
    sharer = db().get(Fan, participant.fan_id)
    tiers = campaign.tiers or []
    reward = (_("%(n)s friends help: %(reward)s", n=tiers[0]["threshold"], reward=tiers[0]["reward"])
              if tiers else "")
    png = poster.render(title=campaign.name, sharer=_("%(name)s invites you to help",
                                                      name=(sharer.nickname if sharer else "") or _("Your friend")),
                        reward=reward, hint=_("Long-press the code to follow and help"), qr_data=qr_code.url,
                        logo_png=tenant_qr_logo(db(), campaign.tenant_id))
    return Response(png, mimetype="image/png", headers={"Cache-Control": "private, max-age=300"})


@bp.route("/c/<token>", methods=["GET", "POST"])
def campaign_entry(token: str):
    campaign = progress.campaign_by_token(db(), current_app.config["SECRET_KEY"], current_tenant().id, token)
    if campaign is None:
        abort(404)
    account = _account(campaign)
    openid, leave = _identify(account)
    if leave is not None:
        return leave
    viewer = _fan(account, openid)
    mine = progress.participant_of(db(), campaign, viewer.id) if viewer is not None else None
    if mine is not None:
        return redirect(url_for(".page", code=mine.code))
    if request.method == "POST":
        joined = _join(campaign, account, viewer)
        if joined is not None:
            return joined
        return redirect(url_for(".campaign_entry", token=token))
    excluded = bool(viewer is not None and progress.excluded(db(), campaign, viewer))
    return render_template("official_account/share/public/entry.html", campaign=campaign, account=account,
                           viewer=viewer, identified=openid is not None, excluded=excluded,
                           phase=progress.phase(campaign))
