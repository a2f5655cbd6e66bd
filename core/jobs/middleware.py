"""Dramatiq middleware: sets the tenant context (its id and its time zone) and skips messages of plugins the tenant has
disabled, recording each skip (``skips.record_skip``: a ``skipped_job`` row, and its ledger row ended as skipped)."""

from __future__ import annotations

import contextvars
import logging

import dramatiq
from dramatiq.middleware import Middleware, SkipMessage

from ..timeutil import reset_zone, set_zone
from .skips import record_skip

log = logging.getLogger(__name__)

current_tenant_id: contextvars.ContextVar[int | None] = contextvars.ContextVar("scrm_tenant_id", default=None)


class TenantMiddleware(Middleware):
    def __init__(self, bus) -> None:
        self.bus = bus
        self._tokens: dict[str, contextvars.Token] = {}
        self._zone_tokens: dict[str, contextvars.Token] = {}

    def before_process_message(self, broker: dramatiq.Broker, message: dramatiq.Message) -> None:
        tenant_id = message.options.get("scrm_tenant_id")
        plugin = message.options.get("scrm_plugin")
        if tenant_id is not None and plugin and not self.bus.plugin_enabled(tenant_id, plugin):
            log.info("skipping %s: plugin %s is disabled for tenant %s", message.actor_name, plugin, tenant_id)
            self.bus.skipped.append((message.actor_name, tenant_id))
            try:
                record_skip(self.bus.engine, tenant_id, plugin, message.actor_name, message.message_id,
                            message.kwargs)
            except Exception:  # the skip stands; only its record is missing
                log.exception("could not record the skip of %s for tenant %s", message.actor_name, tenant_id)
            raise SkipMessage()
        self._tokens[message.message_id] = current_tenant_id.set(tenant_id)
        if tenant_id is not None:  # the tenant's "today" and shown times are in its zone
            self._zone_tokens[message.message_id] = set_zone(self.bus.tenant_zone(tenant_id))

    def after_process_message(self, broker, message, *, result=None, exception=None) -> None:
        zone_token = self._zone_tokens.pop(message.message_id, None)
        if zone_token is not None:
            reset_zone(zone_token)
        token = self._tokens.pop(message.message_id, None)
        if token is not None:
            try:
                current_tenant_id.reset(token)
            except ValueError:  # set in another thread's context
                pass

    after_skip_message = after_process_message
