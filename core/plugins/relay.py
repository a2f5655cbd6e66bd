"""The per-tenant hook relay: hook calls that reach only the plugins a tenant enabled.

Relays are cached per (tenant id, tenant plugin revision); enabling or disabling a plugin bumps the revision, so a
stale relay is never used. Built-in plugins (the host's own features) are always part of the relay.
"""

from __future__ import annotations

import logging
from typing import Any

from . import hookspecs
from .registry import PluginRegistry

log = logging.getLogger(__name__)


class TenantHooks:
    """Hook calls for one tenant. ``enabled`` holds the names of the plugins that take part.

    Relays are cached across requests and jobs: they keep the tenant's id, never its (session-bound) row; callers pass
    a live tenant in the hook arguments."""

    def __init__(self, registry: PluginRegistry, tenant: Any, enabled: frozenset[str]) -> None:
        self.registry = registry
        self.tenant_id = tenant.id
        self.enabled = enabled | registry.builtin_names()
        excluded = [
            r.plugin for r in registry.records.values()
            if r.plugin is not None and r.active and r.name not in self.enabled
        ]
        self._excluded = excluded
        self._subset: dict[str, Any] = {}

    def _caller(self, hook: str):
        caller = self._subset.get(hook)
        if caller is None:
            pm = self.registry.pm
            caller = pm.subset_hook_caller(hook, remove_plugins=self._excluded) if self._excluded else getattr(
                pm.hook, hook)
            self._subset[hook] = caller
        return caller

    def contribute(self, hook: str, **kwargs: Any) -> list[Any]:
        """Call a contribution hook robustly; results that are lists are flattened, None is dropped.

        An implementation that raises is logged, recorded on the plugin's record, and skipped.
        """
        if hook not in hookspecs.CONTRIBUTION_HOOKS:
            raise ValueError(f"{hook} is not a contribution hook")
        results: list[Any] = []
        for impl in reversed(self._caller(hook).get_hookimpls()):
            if impl.plugin_name not in self.enabled:
                continue
            try:
                value = impl.function(*[kwargs[name] for name in impl.argnames])
            except Exception as exc:
                log.exception("hook %s of plugin %s failed", hook, impl.plugin_name)
                self.registry.record_failure(impl.plugin_name, f"{hook}: {type(exc).__name__}: {exc}")
                continue
            if value is None:
                continue
            if isinstance(value, list | tuple):
                results.extend(v for v in value if v is not None)
            else:
                results.append(value)
        return results

    def contribute_by_plugin(self, hook: str, plugin: str, **kwargs: Any) -> Any:
        """Call one enabled plugin's implementation of ``hook`` and let its exception propagate (event delivery)."""
        if plugin not in self.enabled:
            return None
        for impl in self._caller(hook).get_hookimpls():
            if impl.plugin_name == plugin:
                return impl.function(*[kwargs[name] for name in impl.argnames])
        return None

    def subscribers(self, hook: str) -> list[str]:
        """Names of the enabled plugins that implement ``hook``."""
        return [i.plugin_name for i in self._caller(hook).get_hookimpls() if i.plugin_name in self.enabled]

    def decide(self, hook: str, **kwargs: Any) -> Any:
        """Call a decision hook: fail fast, first non-None result."""
        if hook not in hookspecs.DECISION_HOOKS:
            raise ValueError(f"{hook} is not a decision hook")
        return self._caller(hook)(**kwargs)

    def lifecycle(self, hook: str, **kwargs: Any) -> list[Any]:
        """Call a lifecycle hook on the enabled plugins: fail fast, all results."""
        if hook not in hookspecs.LIFECYCLE_HOOKS:
            raise ValueError(f"{hook} is not a lifecycle hook")
        return self._caller(hook)(**kwargs)


class RelayCache:
    """Relays keyed by (tenant id, creation time, plugin revision); a bounded dict, oldest dropped first.

    The creation time guards against SQLite reusing the id of a deleted tenant."""

    def __init__(self, registry: PluginRegistry, size: int = 512) -> None:
        self.registry = registry
        self.size = size
        self._cache: dict[tuple, TenantHooks] = {}

    def get(self, tenant: Any, enabled_loader) -> TenantHooks:
        key = (tenant.id, tenant.created_at, tenant.plugin_revision)
        relay = self._cache.get(key)
        if relay is None:
            relay = TenantHooks(self.registry, tenant, frozenset(enabled_loader()))
            if len(self._cache) >= self.size:
                self._cache.pop(next(iter(self._cache)))
            self._cache[key] = relay
        return relay
