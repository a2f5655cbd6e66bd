"""The callback gateway ``/callbacks/<plugin>/<account_id>``: the tenant comes from the channel account, and the
request goes to the channel plugin that owns the account (404 when the tenant has not enabled it)."""

from __future__ import annotations

from flask import Blueprint, abort

from scrm.core.models import ChannelAccount, Tenant
from scrm.core.plugins.base import ChannelPlugin

from .platform_ext import db, platform

bp = Blueprint("callbacks", __name__, url_prefix="/callbacks")


@bp.route("/<plugin>/<int:account_id>", methods=["GET", "POST"])
def callback(plugin: str, account_id: int):
    from flask import request

    account = db().get(ChannelAccount, account_id)
    if account is None or account.plugin != plugin or not account.active:
        abort(404)
    tenant = db().get(Tenant, account.tenant_id)
    channel = platform().registry.plugin(plugin)
    if tenant is None or not tenant.active or not isinstance(channel, ChannelPlugin):
        abort(404)
    if plugin not in platform().hooks(db(), tenant).enabled:
        abort(404)
    response = channel.handle_callback(account=account, request=request, session=db())
    db().commit()
    return response
