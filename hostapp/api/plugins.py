"""The plugin catalogue as seen by a tenant, and per-tenant enablement."""

from __future__ import annotations

from flask import g

from scrm.core.plugins.enablement import (
    EnablementError,
    disable_plugin,
    enable_plugin,
    tenant_settings,
    update_settings,
)
from scrm.core.services import audit

from ..platform_ext import db, platform
from . import ApiError, api_actor, body, bp, tenant_required
from .openapi import registry
from .schemas import PluginList, PluginOut, PluginUpdate


def _out(record, enabled: set[str]) -> dict:
    on = record.name in enabled
    return PluginOut(
        name=record.name, title=record.title, version=record.version, category=record.category,
        status=record.status, reason=record.reason, requires=list(record.requires), enabled=on,
        settings=tenant_settings(db(), platform().registry, g.tenant.id, record.name) if on else {},
    ).model_dump(mode="json")


@bp.get("/plugins")
@registry.operation("/plugins", "get", "Installed plugins with their state for the tenant", "plugins",
                    response=PluginList)
@tenant_required
def list_plugins():
    enabled = platform().enabled_plugins(db(), g.tenant.id)
    records = sorted((r for r in platform().registry.records.values() if not r.builtin), key=lambda r: r.name)
    return {"items": [_out(r, enabled) for r in records]}


@bp.patch("/plugins/<name>")
@registry.operation("/plugins/{name}", "patch", "Enable, disable or configure a plugin for the tenant", "plugins",
                    request=PluginUpdate, response=PluginOut)
@tenant_required
def update_plugin(name: str):
    data = body(PluginUpdate)
    registry_ = platform().registry
    record = registry_.get(name)
    if record is None or record.builtin:
        raise ApiError(404, "not_found", f"no plugin named '{name}'")
    try:
        enabled = name in platform().enabled_plugins(db(), g.tenant.id)
        if data.enabled is False:
            if enabled:
                disable_plugin(db(), registry_, g.tenant, name)
                audit.record(db(), "plugin.disable", tenant_id=g.tenant.id, actor=api_actor(), target=name)
        elif data.enabled or enabled:
            if not enabled:
                enable_plugin(db(), registry_, g.tenant, name, data.settings)
                audit.record(db(), "plugin.enable", tenant_id=g.tenant.id, actor=api_actor(), target=name)
            elif data.settings is not None:
                update_settings(db(), registry_, g.tenant, name, data.settings)
                audit.record(db(), "plugin.settings", tenant_id=g.tenant.id, actor=api_actor(), target=name)
        elif data.settings is not None:
            raise ApiError(409, "not_enabled", f"enable '{name}' before changing its settings")
    except EnablementError as exc:
        raise ApiError(422 if exc.field_errors else 409, "plugin_error", str(exc), exc.field_errors) from exc
    db().flush()
    return _out(record, platform().enabled_plugins(db(), g.tenant.id))
