"""The employee's Moments page customers open from the business card (历史朋友圈), without sign-in:
``/p/<tenant>/wecom/moments/<token>`` (endpoint ``wecom_public.moments.page``). Every open counts a visit. The page
shows its background wall and signature (:mod:`.appearance`: the brand's when unified, else the employee's own),
the image served by ``<token>/background`` with an ETag. The employee's own phone page is :mod:`.mobile`
(``/p/<tenant>/wecom/moments/me``), nested here.

While the brand has behaviour rules, the first open in a browser session asks WeCom who the visitor is
(:mod:`.visitor`); an identified customer's opens then feed the rules (:mod:`.behaviour`)."""

from __future__ import annotations

import logging

from flask import Blueprint, abort, redirect, render_template, request, url_for

from scrm.sdk.web import current_tenant, db, platform
from scrm.sdk.wechat import WeChatAPIError

from . import appearance, behaviour, mobile, pages, records, visitor
from .images import image_response

log = logging.getLogger(__name__)

bp = Blueprint("moments", __name__, url_prefix="/moments", template_folder="../templates")
bp.register_blueprint(mobile.bp)


def _identify(token: str):
    """None when the page may render now, else the redirect that identifies the visitor."""
    from ..client import WeComClient, WeComUnavailable

    tenant_id = current_tenant().id
    if visitor.known(tenant_id) is not None or not behaviour.rules_of(db(), tenant_id):
        return None
    account = visitor.account_for(db(), tenant_id)
    if account is None:
        visitor.remember(tenant_id, None)
        return None
    here = url_for(".page", token=token)
    try:
        with WeComClient.for_account(account, platform()) as client:
            if "code" not in request.args:
                return redirect(visitor.authorize_url(account, url_for(".page", token=token, _external=True),
                                                      client.agent_id))
            customer_id = None
            if visitor.state_ok(request.args.get("state")):
                customer_id = visitor.customer_for(db(), client, account, request.args["code"])
    except (WeComUnavailable, visitor.AccountNotConfigured, WeChatAPIError) as exc:
        log.info("Moments page visitor of tenant %s not identified: %s", tenant_id, exc)
        customer_id = None
    visitor.remember(tenant_id, customer_id)
    return redirect(here)


@bp.get("/<token>")
def page(token: str):
    found = pages.by_token(db(), current_tenant().id, token)
    if found is None:
        abort(404)
    row, employee = found
    asked = _identify(token)
    if asked is not None:
        return asked
    pages.count_view(db(), row)
    customer_id = visitor.known(current_tenant().id)
    if customer_id:
        behaviour.record_open(db(), row, customer_id)
    db().commit()
    posts = pages.posts_of(db(), employee)
    synced = records.synced_posts(db(), employee)
    entries = sorted([(at, task, None) for task, at in posts] + [(r.created_in_wecom_at, None, r) for r in synced],
                     key=lambda e: e[0].timestamp() if e[0] else 0, reverse=True)
    return render_template("wecom/moments/public_page.html", employee=employee, entries=entries,
                           media=pages.media_of(db(), [task for task, _at in posts]), page=row,
                           look=appearance.look_of(db(), row))


@bp.get("/<token>/background")
def background(token: str):
    """The background wall the page ``token`` shows (the brand's or the employee's), cached by its ETag."""
    found = pages.by_token(db(), current_tenant().id, token)
    shown = appearance.background_of(db(), found[0]) if found else None
    if shown is None:
        abort(404)
    return image_response(*shown)
