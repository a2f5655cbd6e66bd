"""Public, customer-facing pages of plugins (``register_public_routes``): ``/p/<tenant>/<plugin>/...``.

A customer opens them from a link, a poster's QR code or a message, in WeChat's browser or any other: nobody signs
in. The tenant still comes from the URL, never from a request parameter: an unknown or deactivated tenant answers
404, and so does a tenant that has not enabled the plugin. No user is loaded (an admin signed in in the same
browser is not seen either) and no role checked; the tenant's hook
relay and time zone are set as on admin pages. CSRF protection is the host's, unchanged: a POST needs the form's
token (the anonymous session cookie carries its secret). Errors of these pages (404, 400 for an expired form)
render in the phone layout (``phone.html``), never the admin shell.
"""

from __future__ import annotations

from flask import Blueprint, Flask, abort, g, request
from werkzeug.urls import iri_to_uri

from scrm.core.services.users import find_tenant
from scrm.core.timeutil import set_zone

from .platform_ext import db, platform
from .tenancy import _add_tenant, _pull_tenant, plugin_gate

PREFIX = "/p"
"""Where public pages live: ``/p/<tenant>/<plugin>/``."""


def load_public_tenant() -> None:
    """before_request of public blueprints: the tenant from the URL and its hook relay, without any sign-in."""
    slug = g.get("tenant_slug")
    tenant = find_tenant(db(), slug) if slug else None
    if tenant is None or not tenant.active:
        abort(404)
    g.user = None  # a staff member's admin session in the same browser changes nothing here
    g.tenant = tenant
    g.membership = None
    g.public_page = True
    g.zone_token = set_zone(tenant.timezone)
    g.hooks = platform().hooks(db(), tenant)


def mount_public_blueprint(app: Flask, bp: Blueprint, plugin: str) -> None:
    """Register ``bp`` under ``/p/<tenant>/<plugin>`` with tenant loading and the plugin's enablement gate."""
    app.register_blueprint(bp, url_prefix=f"{PREFIX}/<tenant>/{plugin}")
    name = bp.name
    app.url_value_preprocessors.setdefault(name, []).insert(0, _pull_tenant)
    app.url_default_functions.setdefault(name, []).append(_add_tenant)
    funcs = app.before_request_funcs.setdefault(name, [])
    funcs.insert(0, load_public_tenant)
    funcs.insert(1, plugin_gate(plugin))


def is_public_request() -> bool:
    """Whether the current request is for a public page (its errors render in the phone layout)."""
    return bool(g.get("public_page")) or request.path.startswith(PREFIX + "/")


def public_url(tenant, plugin: str, path: str = "", base: str | None = None) -> str:
    """The absolute address of a public page: ``<base>/p/<tenant slug>/<plugin>/<path>``. ``tenant`` is a tenant
    or its slug; ``base`` defaults to the request's host root, else ``SCRM_PUBLIC_URL`` (``RuntimeError`` when
    neither is known, e.g. in a job without it)."""
    from scrm.sdk.shortlinks import base_url

    slug = tenant if isinstance(tenant, str) else tenant.slug
    return iri_to_uri(f"{base_url(base).rstrip('/')}{PREFIX}/{slug}/{plugin}/{path.lstrip('/')}")
