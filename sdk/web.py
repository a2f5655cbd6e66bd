"""Flask helpers for plugin views and API endpoints: the request's database session, tenant, user and role checks.

A plugin's blueprint (from ``register_routes``) is mounted at ``/t/<tenant>/<plugin>/``; before any of its views run
the host has loaded the tenant from the URL, checked the user's membership and the plugin's enablement. A plugin's
API blueprint (from ``register_api``) is mounted at ``/api/v1/<plugin>/`` behind tenant token authentication. A
plugin's public blueprint (from ``register_public_routes``) is mounted at ``/p/<tenant>/<plugin>/`` for customers:
the tenant is loaded from the URL and the enablement checked, nobody signs in (``current_user()`` is None), pages
extend ``phone.html``, and ``public_url(tenant, plugin, path)`` gives a page's absolute address.

Constants: ``STAFF`` (the roles of the business pages: tenant admin and operator) and ``ADMIN`` (tenant admin only),
for ``role_required(*STAFF)``; ``INT_MAX``, the largest value an INTEGER column holds (the bound of ``parse_int``).
"""

from __future__ import annotations

from typing import Any

from flask import g
from markupsafe import Markup

from scrm.core.models import DataScope, Role
from scrm.hostapp.api import ApiError, api_actor, body, error_response
from scrm.hostapp.api.inputs import INT_MAX, InvalidParameter, parse_int, query_int
from scrm.hostapp.api.openapi import registry as _openapi
from scrm.hostapp.auth import has_role, login_required, role_required
from scrm.hostapp.i18n import seeding_language
from scrm.hostapp.labels import code_label, delivery_reason, translate, translated_filter_types
from scrm.hostapp.pagination import Page, keyset_page
from scrm.hostapp.platform_ext import db
from scrm.hostapp.platform_ext import platform as _platform
from scrm.hostapp.public import public_url
from scrm.hostapp.redirects import next_target, safe_redirect_target

# Redirects: ``safe_redirect_target(target, default)`` and ``next_target(default)`` (the request's ``next``) are the
# one check for a redirect target that comes from the request; a plugin never redirects to request input otherwise.

# Integers from the request: ``parse_int(raw, default)`` (None or ``default`` for anything but an integer an
# INTEGER column holds) and ``query_int(name, default, low=, high=)`` (``InvalidParameter``, answered with a 400, for a bad value).

STAFF = (Role.TENANT_ADMIN, Role.OPERATOR)
ADMIN = (Role.TENANT_ADMIN,)


def platform():
    """The running platform of the current application (in jobs: ``scrm.sdk.current_bus().platform``).

    What a plugin may use of it:

    * ``secrets``: the secret box; ``secrets.encrypt_json`` / ``decrypt_json`` for credentials kept at rest (prefer
      ``scrm.sdk.account_credentials`` / ``set_account_credentials`` for channel accounts);
    * ``cache``: the shared cache (Redis when configured, in process otherwise): ``get``, ``set`` with a TTL,
      ``delete``; keys are namespaced per deployment, prefix yours with the plugin name;
    * ``inbox``: the callback inbox; a channel's ``handle_callback`` stores each callback with
      ``inbox.store(Inbound(...))``;
    * ``hooks(session, tenant)``: the tenant's hook relay (``contribute``, ``decide``, ``lifecycle``), and
      ``plugin_enabled(tenant_id, name)``: whether a tenant enabled a plugin;
    * ``engine``: the SQLAlchemy engine, for a session of one's own outside a request or job (prefer ``db()`` in
      requests and ``scrm.sdk.job_session`` in jobs);
    * ``settings`` and ``registry``: read only (configuration; the plugins loaded and their metadata).

    Everything else (the job bus's internals, the relay cache, the account directory, ``tick``, ``close``) belongs to
    the host and may change without notice."""
    return _platform()


def current_tenant():
    """The tenant of the request (from the URL in pages, from the token in the API)."""
    return g.tenant


def current_user():
    """The signed-in user (None in API requests)."""
    return g.get("user")


def current_membership():
    """The user's membership in the tenant: role, data scope, linked employee (None for platform admins)."""
    return g.get("membership")


def tenant_hooks():
    """The tenant's hook relay: ``contribute``, ``decide`` and ``lifecycle`` reach the plugins it enabled."""
    return g.hooks


def timeline_lines(events: list) -> list[tuple[Any, Markup | str]]:
    """Each of the current tenant's ``CustomerEvent`` rows with its line in the user's language: the HTML its
    plugin renders (``timeline_entries`` hook), else the kind's label (code set ``TIMELINE_KIND``), else the row's
    plain summary. Every page that shows timeline entries renders them through this one function."""
    from scrm.sdk.timeline import TIMELINE_KIND

    entries = tenant_hooks().contribute("timeline_entries", tenant=g.tenant, events=events, session=db())
    html = {entry.event_id: Markup(entry.html) for entry in entries}
    lines = []
    for event in events:
        code = f"{event.plugin}.{event.kind}"
        label = code_label(TIMELINE_KIND, code)
        lines.append((event, html.get(event.id) or (label if label != code else (event.summary or event.kind))))
    return lines


def plugin_settings(name: str) -> dict:
    """The tenant's settings of plugin ``name`` (defaults filled in)."""
    from scrm.core.plugins.enablement import tenant_settings

    return tenant_settings(db(), platform().registry, g.tenant.id, name)


def audit_action(action: str, target: str = "", **detail) -> None:
    """Write an audit entry for the current user (or API token) in the current tenant."""
    from flask import request

    from scrm.core.services import audit

    user = g.get("user")
    actor = user.email if user is not None else (api_actor() if g.get("api_token") else "system")
    audit.record(db(), action, tenant_id=g.tenant.id, user_id=user.id if user is not None else None, actor=actor,
                 target=target, detail=detail, ip=request.remote_addr)


def api_operation(plugin: str, path: str, method: str, summary: str, **kwargs):
    """Describe a plugin API endpoint in the OpenAPI document: ``path`` is relative to ``/api/v1/<plugin>``.

    Keyword arguments: ``request`` and ``response`` (pydantic models), ``status``, ``params`` (OpenAPI parameter
    objects). Use it as a decorator on the view, above the route decorator's function."""
    return _openapi.operation(f"/{plugin}{path}", method, summary, plugin, **kwargs)


def customer_visibility():
    """The SQL condition on ``Customer`` for what the current user may see (None: everything)."""
    from scrm.core.services.scoping import customer_scope

    user = g.get("user")
    if user is None or user.is_platform_admin:
        return None
    return customer_scope(db(), g.get("membership"))


__all__ = [
    "ADMIN", "STAFF", "ApiError", "DataScope", "Page", "Role", "api_actor", "api_operation", "audit_action", "body",
    "current_membership", "current_tenant", "current_user", "customer_visibility", "db", "error_response",
    "has_role", "keyset_page", "login_required", "platform", "plugin_settings", "role_required", "tenant_hooks",
    "timeline_lines",
    # the absolute address of a public page of register_public_routes (scrm.hostapp.public)
    "public_url",
    # core's message ids and code labels in the user's language (scrm.hostapp.labels)
    "code_label", "delivery_reason", "translate", "translated_filter_types", "seeding_language",
    # the one check of a redirect target that comes from the request (scrm.hostapp.redirects)
    "next_target", "safe_redirect_target",
    # integers from the request within an integer column (scrm.hostapp.api.inputs)
    "INT_MAX", "InvalidParameter", "parse_int", "query_int",
]
