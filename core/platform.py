"""The platform of one process: settings, engine, plugin registry, job bus, secrets and cache, wired together.

The Flask host builds one in its app factory; workers and the CLI build one the same way.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from datetime import datetime

from sqlmodel import Session, select

from .cache import make_cache
from .config import Settings
from .db import make_engine
from .events import relay_outbox
from .inbox import CallbackInbox
from .inbox_recovery import ensure_schedule as ensure_inbox_recovery
from .jobs import (
    JobBus,
    core_actors,  # noqa: F401  (declares the core jobs)
    scheduler,
)
from .models import Tenant, TenantPlugin
from .outbound import jobs as outbound_jobs  # declares the send job
from .plugins.manifest import Manifest
from .plugins.registry import Candidate, PluginRegistry
from .plugins.relay import RelayCache, TenantHooks
from .secrets import SecretBox
from .services.account_directory import AccountDirectory

log = logging.getLogger(__name__)

CORE = "core"


class Platform:
    def __init__(self, settings: Settings, candidates: Iterable[Candidate] | None = None,
                 builtins: Iterable[Candidate] = (), broker_namespace: str = "scrm") -> None:
        self.settings = settings
        self.engine = make_engine(settings.database_url)
        self.manifest = Manifest.load(settings.plugins_toml)
        self.registry = PluginRegistry(self.manifest)
        self.registry.load(candidates, builtins)
        self.secrets = SecretBox(settings.encryption_key)
        self.cache = make_cache(settings.redis_url, prefix=f"{broker_namespace}:")
        self.relays = RelayCache(self.registry)
        self.bus = JobBus(self.engine, settings.broker_url, namespace=broker_namespace,
                          plugin_resolver=self.registry.plugin_for_module, enabled_checker=self.plugin_enabled)
        self.bus.platform = self
        self.inbox = CallbackInbox(self.engine, self.bus)
        self.accounts = AccountDirectory(self.engine)

    # -- tenancy and hooks -------------------------------------------------------------------------------------------

    def enabled_plugins(self, session: Session, tenant_id: int) -> set[str]:
        active = {r.name for r in self.registry.active()}
        rows = session.exec(select(TenantPlugin.plugin).where(
            TenantPlugin.tenant_id == tenant_id, TenantPlugin.enabled == True))  # noqa: E712
        return {name for name in rows if name in active}

    def plugin_enabled(self, tenant_id: int, plugin: str) -> bool:
        if plugin in (CORE, "") or plugin in self.registry.builtin_names():
            return True
        with Session(self.engine) as session:
            return plugin in self.enabled_plugins(session, tenant_id)

    def hooks(self, session: Session, tenant: Tenant) -> TenantHooks:
        """The hook relay of ``tenant``: calls reach the plugins it enabled (and the host's built-ins)."""
        return self.relays.get(tenant, lambda: self.enabled_plugins(session, tenant.id))

    # -- periodic work -----------------------------------------------------------------------------------------------

    def tick(self, now: datetime | None = None) -> int:
        """One scheduler tick: enqueue due jobs, relay outbox events and send jobs the broker never took, and settle
        sends a dead worker left with an unknown outcome. The platform's own recurring jobs (the inbox recovery)
        are scheduled first when their row is missing."""
        ensure_inbox_recovery(self.engine, now=now)
        enqueued = scheduler.tick(self.engine, self.bus, now=now)
        relay_outbox(self.engine, now=now)
        outbound_jobs.relay_deliveries(self.engine, now=now)
        outbound_jobs.resolve_unknown(self.engine, self, now=now)
        outbound_jobs.prune_early_reports(self.engine, now=now)
        return enqueued

    def close(self) -> None:
        self.inbox.close()
        self.bus.close()
        self.engine.dispose()
