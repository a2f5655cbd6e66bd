"""The plugin's public, customer-facing pages (``register_public_routes``), mounted by the host at
``/p/<tenant>/official_account/`` without sign-in; endpoints ``official_account_public.*``.

* ``oauth/<account_id>``: where WeChat's web authorisation returns (:mod:`.oauth`);
* ``share/...``: the share-for-gift pages (:mod:`.share.public`).

Every row shown belongs to the tenant of the URL; anything else answers the host's friendly 404 (phone layout).
"""

from __future__ import annotations

from flask import Blueprint, abort, redirect, render_template, request
from flask_babel import gettext as _

from scrm.sdk import utcnow
from scrm.sdk.web import current_tenant, db, platform, safe_redirect_target
from scrm.sdk.wechat import WeChatAPIError

from . import oauth
from .accounts import find_account
from .client import OAClient, OAUnavailable


def message(title: str, text: str, status: int):
    """A page of the phone layout that explains what went wrong and what to do."""
    return render_template("official_account/public/message.html", title=title, text=text), status


def build_public_blueprint() -> Blueprint:
    from .share.public import bp as share_bp

    bp = Blueprint("official_account_public", __name__, template_folder="templates")
    bp.add_url_rule("/oauth/<int:account_id>", "oauth_return", oauth_return)
    bp.register_blueprint(share_bp)
    return bp


def oauth_return(account_id: int):
    """WeChat returns here with ``code`` and ``state``: the visitor's openid is exchanged and remembered."""
    tenant = current_tenant()
    account = find_account(db(), tenant.id, account_id)
    if account is None or not account.active:
        abort(404)
    try:
        next_path = oauth.pending_return(account, request.args.get("state", ""))
    except oauth.OAuthFailed:
        return message(_("The sign-in with WeChat expired"), _("Open the link again from WeChat."), 400)
    prefix = f"/p/{tenant.slug}/official_account/"
    target = safe_redirect_target(next_path, "")
    code = request.args.get("code", "")
    if not target.startswith(prefix) or not code or len(code) > 512:
        return message(_("The sign-in with WeChat expired"), _("Open the link again from WeChat."), 400)
    try:
        with OAClient.for_account(account, platform(), backoff=()) as client:
            openid = oauth.exchange(client, code)
    except (WeChatAPIError, OAUnavailable, oauth.OAuthFailed):
        db().rollback()
        return message(_("WeChat could not confirm who you are"), _("Open the link again from WeChat."), 400)
    oauth.remember(account, openid)
    from .fans.service import record_visitor

    record_visitor(db(), account, openid, utcnow())  # a web-authorised visitor: the visitor list knows them
    db().commit()
    return redirect(target)
