"""The callback gateway ``/callbacks/<plugin>/<account_id>``: the tenant comes from the channel account, and the
request goes to the channel plugin that owns the account (404 when the tenant has not enabled it)."""

from __future__ import annotations

from flask import Blueprint, abort, request
from flask.sessions import SecureCookieSessionInterface
from sqlalchemy import bindparam, select

from scrm.core.models import ChannelAccount, Tenant
from scrm.core.plugins.base import ChannelPlugin

from .platform_ext import db, platform

bp = Blueprint("callbacks", __name__, url_prefix="/callbacks")
PREFIX = "/callbacks/"


class SessionInterface(SecureCookieSessionInterface):
    """The host's cookie session, except under ``/callbacks/``: a provider's servers send no cookie, so a callback
    starts with an empty session (no cookie read, no signing serializer built; ``g.user`` stays None) and never sets
    one (an error page that wrote a CSRF token into it must not replace a browser's real session). Every other path
    works as before."""

    def open_session(self, app, request):
        if request.path.startswith(PREFIX):
            return self.session_class()
        return super().open_session(app, request)

    def save_session(self, app, session, response):
        if request.path.startswith(PREFIX):
            return
        super().save_session(app, session, response)


ACCOUNT_AND_TENANT = (select(ChannelAccount, Tenant).join(Tenant, Tenant.id == ChannelAccount.tenant_id)
                      .where(ChannelAccount.id == bindparam("account_id")))
"""One round trip for the account and its tenant, built once: callbacks are the platform's hottest requests."""


@bp.route("/<plugin>/<int:account_id>", methods=["GET", "POST"])
def callback(plugin: str, account_id: int):
    found = db().execute(ACCOUNT_AND_TENANT, {"account_id": account_id}).first()
    account, tenant = found if found is not None else (None, None)
    if account is None or account.plugin != plugin or not account.active:
        abort(404)
    channel = platform().registry.plugin(plugin)
    if tenant is None or not tenant.active or not isinstance(channel, ChannelPlugin):
        abort(404)
    if plugin not in platform().hooks(db(), tenant).enabled:
        abort(404)
    response = channel.handle_callback(account=account, request=request, session=db())
    db().commit()
    return response
