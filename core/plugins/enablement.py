"""Per-tenant enablement of plugins, with settings validated by each plugin's schema."""

from __future__ import annotations

from typing import Any

from pydantic import ValidationError
from sqlmodel import Session, select

from ..jobs.enablement_cache import forget_tenant
from ..jobs.skips import skip_queued_deliveries
from ..models import Tenant, TenantPlugin
from ..timeutil import utcnow
from .registry import PluginRegistry


class EnablementError(ValueError):
    """The plugin cannot be enabled, disabled or configured as asked; the message says why."""

    def __init__(self, message: str, field_errors: dict[str, str] | None = None) -> None:
        super().__init__(message)
        self.field_errors = field_errors or {}


def enabled_plugins(session: Session, tenant_id: int) -> set[str]:
    rows = session.exec(
        select(TenantPlugin.plugin).where(TenantPlugin.tenant_id == tenant_id, TenantPlugin.enabled == True)  # noqa: E712
    )
    return set(rows)


def plugin_row(session: Session, tenant_id: int, name: str) -> TenantPlugin | None:
    return session.exec(
        select(TenantPlugin).where(TenantPlugin.tenant_id == tenant_id, TenantPlugin.plugin == name)
    ).first()


def settings_errors(exc: ValidationError) -> dict[str, str]:
    return {".".join(str(p) for p in err["loc"]) or "__root__": err["msg"] for err in exc.errors()}


def validate_settings(registry: PluginRegistry, name: str, data: dict[str, Any] | None) -> dict[str, Any]:
    plugin = _active(registry, name)
    try:
        return plugin.validate_settings(data)
    except ValidationError as exc:
        errors = settings_errors(exc)
        detail = "; ".join(f"{k}: {v}" for k, v in errors.items())
        raise EnablementError(f"invalid settings for {name}: {detail}", errors) from exc


def _active(registry: PluginRegistry, name: str):
    record = registry.get(name)
    if record is None:
        raise EnablementError(f"unknown plugin '{name}'")
    if record.builtin:
        raise EnablementError(f"'{name}' is part of the host and always enabled")
    if not record.active:
        raise EnablementError(f"plugin '{name}' is {record.status.replace('_', ' ')}: {record.reason}")
    return record.plugin


def enable_plugin(
    session: Session, registry: PluginRegistry, tenant: Tenant, name: str, settings: dict[str, Any] | None = None
) -> TenantPlugin:
    """Enable ``name`` for ``tenant`` (or update its settings). Its requirements must be enabled first."""
    plugin = _active(registry, name)
    enabled = enabled_plugins(session, tenant.id)
    missing = [req for req in plugin.requires if req not in enabled]
    if missing:
        raise EnablementError(f"'{name}' requires {', '.join(repr(m) for m in missing)} to be enabled first")
    row = plugin_row(session, tenant.id, name)
    current = row.settings if row else {}
    values = validate_settings(registry, name, {**current, **(settings or {})} if settings is not None else current)
    was_enabled = bool(row and row.enabled)
    if row is None:
        row = TenantPlugin(tenant_id=tenant.id, plugin=name)
    row.settings = values
    if not was_enabled:
        row.enabled, row.enabled_at, row.disabled_at = True, utcnow(), None
        tenant.plugin_revision += 1
        session.add(tenant)
    session.add(row)
    session.flush()
    if not was_enabled:
        forget_tenant(tenant.id, session)
    if not was_enabled:
        registry.pm.subset_hook_caller(
            "plugin_enabled", remove_plugins=[p for p in registry.pm.get_plugins() if p is not plugin]
        )(tenant=tenant, settings=values, session=session)
    return row


def update_settings(session: Session, registry: PluginRegistry, tenant: Tenant, name: str,
                    settings: dict[str, Any]) -> TenantPlugin:
    row = plugin_row(session, tenant.id, name)
    if row is None or not row.enabled:
        raise EnablementError(f"'{name}' is not enabled for this tenant")
    row.settings = validate_settings(registry, name, settings)
    session.add(row)
    session.flush()
    return row


def disable_plugin(session: Session, registry: PluginRegistry, tenant: Tenant, name: str) -> TenantPlugin:
    """Disable ``name`` for ``tenant``; refused while an enabled plugin requires it. Its data stays."""
    plugin = _active(registry, name)
    enabled = enabled_plugins(session, tenant.id)
    dependants = sorted(
        r.name for r in registry.active() if r.name in enabled and name in r.requires and r.name != name
    )
    if dependants:
        raise EnablementError(f"'{name}' is required by {', '.join(dependants)}: disable those first")
    row = plugin_row(session, tenant.id, name)
    if row is None or not row.enabled:
        raise EnablementError(f"'{name}' is not enabled for this tenant")
    row.enabled, row.disabled_at = False, utcnow()
    tenant.plugin_revision += 1
    session.add_all([row, tenant])
    session.flush()
    forget_tenant(tenant.id, session)
    skip_queued_deliveries(session, tenant.id, name)  # its queued messages will never be sent: skipped, not queued
    registry.pm.subset_hook_caller(
        "plugin_disabled", remove_plugins=[p for p in registry.pm.get_plugins() if p is not plugin]
    )(tenant=tenant, session=session)
    return row


def tenant_settings(session: Session, registry: PluginRegistry, tenant_id: int, name: str) -> dict[str, Any]:
    """The plugin's settings for the tenant, defaults filled in."""
    row = plugin_row(session, tenant_id, name)
    plugin = registry.plugin(name)
    if plugin is None:
        return {}
    return plugin.validate_settings(row.settings if row else {}) if plugin.settings_model else {}
