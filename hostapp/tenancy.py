"""Tenant routing: ``/t/<tenant>/...``. The tenant comes from the URL, never from a request parameter.

Every tenant blueprint (the host's and each plugin's) gets the same treatment: the slug is taken from the URL,
the tenant loaded, the user's membership checked, and the tenant's hook relay put on ``g.hooks``. A plugin's
blueprint also answers 404 when the tenant has not enabled the plugin.
"""

from __future__ import annotations

from flask import Blueprint, Flask, abort, g, has_app_context, redirect, request, url_for

from scrm.core.services.users import find_tenant, membership_of
from scrm.core.timeutil import reset_zone, set_zone, set_zone_resolver

from .platform_ext import db, platform


def _pull_tenant(endpoint, values) -> None:
    if values is not None:
        g.tenant_slug = values.pop("tenant", None)


def _add_tenant(endpoint, values) -> None:
    if "tenant" not in values and g.get("tenant_slug"):
        app = _current_app()
        if app.url_map.is_endpoint_expecting(endpoint, "tenant"):
            values["tenant"] = g.tenant_slug


def _current_app() -> Flask:
    from flask import current_app

    return current_app


def load_tenant() -> None:
    """before_request of tenant blueprints: tenant, login, membership, hook relay."""
    slug = g.get("tenant_slug")
    tenant = find_tenant(db(), slug) if slug else None
    if tenant is None or not tenant.active:
        abort(404)
    if g.get("user") is None:
        return redirect(url_for("auth.login", next=request.path))
    membership = membership_of(db(), tenant.id, g.user.id)
    if membership is None and not g.user.is_platform_admin:
        abort(404)
    g.tenant = tenant
    g.membership = membership
    g.zone_token = set_zone(tenant.timezone)
    g.hooks = platform().hooks(db(), tenant)
    return None


def plugin_gate(plugin: str):
    def gate():
        if plugin not in g.hooks.enabled:
            abort(404)

    return gate


def mount_tenant_blueprint(app: Flask, bp: Blueprint, url_prefix: str, plugin: str | None = None) -> None:
    """Register ``bp`` under ``/t/<tenant>`` + ``url_prefix`` with tenant loading (and the plugin gate)."""
    app.register_blueprint(bp, url_prefix=f"/t/<tenant>{url_prefix}")
    name = bp.name
    app.url_value_preprocessors.setdefault(name, []).insert(0, _pull_tenant)
    app.url_default_functions.setdefault(name, []).append(_add_tenant)
    funcs = app.before_request_funcs.setdefault(name, [])
    funcs.insert(0, load_tenant)
    if plugin is not None:
        funcs.insert(1, plugin_gate(plugin))


def _reset_zone(_exc=None) -> None:
    """Leave the tenant's time zone with its request (the thread serves other tenants next)."""
    token = g.pop("zone_token", None)
    if token is not None:
        reset_zone(token)


def _request_zone() -> str | None:
    """The time zone of the request's tenant, when there is one."""
    tenant = g.get("tenant") if has_app_context() else None
    return getattr(tenant, "timezone", None)


def init_tenancy(app: Flask) -> None:
    app.url_default_functions.setdefault(None, []).append(_add_tenant)
    app.teardown_request(_reset_zone)
    set_zone_resolver(_request_zone)
