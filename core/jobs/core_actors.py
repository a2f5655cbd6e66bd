"""The core's own jobs: event dispatch and delivery, and running scheduled jobs."""

from __future__ import annotations

import logging
import traceback

from ..db import session_scope
from ..events import DomainEvent, mark_delivered, was_delivered
from ..models import Outbox, Tenant
from ..timeutil import utcnow
from . import scheduler
from .actors import ACTORS, actor
from .bus import current_bus

log = logging.getLogger(__name__)


@actor(name="scrm.core.dispatch_event", plugin="core", queue="core")
def dispatch_event(tenant_id, *, outbox_id: int) -> None:
    """Fan an event out: one delivery job per enabled subscriber plugin that has not handled it yet."""
    bus = current_bus()
    with session_scope(bus.engine, immediate=True) as session:
        row = session.get(Outbox, outbox_id)
        if row is None or row.dispatched_at is not None:
            return
        tenant = session.get(Tenant, row.tenant_id)
        hooks = bus.platform.hooks(session, tenant)
        for plugin in hooks.subscribers("domain_event"):
            if not was_delivered(session, outbox_id, plugin):
                bus.send("scrm.core.deliver_event", row.tenant_id, {"outbox_id": outbox_id, "plugin": plugin},
                         scrm_plugin=plugin)
        row.dispatched_at = utcnow()
        row.attempts += 1
        session.add(row)


@actor(name="scrm.core.deliver_event", plugin="core", queue="core")
def deliver_event(tenant_id, *, outbox_id: int, plugin: str) -> None:
    """Hand one event to one plugin; its changes and the delivery record commit together."""
    bus = current_bus()
    with session_scope(bus.engine, immediate=True) as session:
        if was_delivered(session, outbox_id, plugin):
            return
        row = session.get(Outbox, outbox_id)
        if row is None:
            return
        tenant = session.get(Tenant, row.tenant_id)
        hooks = bus.platform.hooks(session, tenant)
        hooks.contribute_by_plugin("domain_event", plugin, event=DomainEvent.from_row(row), session=session)
        mark_delivered(session, outbox_id, plugin)


@actor(name=scheduler.RUN_ACTOR, plugin="core", queue="core", max_retries=0)
def run_scheduled(tenant_id, *, job_id: int) -> None:
    """Run one scheduled job; retries are the schedule's, not the broker's."""
    bus = current_bus()
    job = scheduler.claim_for_run(bus.engine, job_id)
    if job is None:
        return
    target = ACTORS.get(job.actor)
    if target is None:
        scheduler.finish(bus.engine, job, error=f"unknown job '{job.actor}'")
        return
    plugin = bus.platform.registry.plugin_for_module(getattr(target, "module", "")) or target.plugin
    if job.tenant_id is not None and plugin and plugin != "core" and not bus.plugin_enabled(job.tenant_id, plugin):
        scheduler.finish(bus.engine, job)  # a disabled plugin's job is skipped, not failed
        return
    try:
        target.fn(job.tenant_id, **job.kwargs)
    except Exception as exc:
        log.exception("scheduled job %s (%s) failed", job.id, job.actor)
        scheduler.finish(bus.engine, job, error=f"{type(exc).__name__}: {exc}\n{traceback.format_exc(limit=5)}")
        return
    scheduler.finish(bus.engine, job)


@actor(name="scrm.core.relay", plugin="core", queue="core", max_retries=0)
def relay(tenant_id) -> None:
    """The periodic housekeeping job: re-enqueue outbox events and send jobs the broker never took."""
    from ..events import relay_outbox
    from ..outbound.jobs import relay_deliveries

    relay_outbox(current_bus().engine)
    relay_deliveries(current_bus().engine)
