"""Jobs of the loyalty area (queue ``members``) and their durable schedules.

Per tenant, enabling the plugin registers three recurring schedules: the dashboard statistics every 10 minutes, the
stage evaluation hourly, and the delivery of due (delayed) notifications every minute; each distinct follow-up send
time adds a daily schedule (see ``reminders``). "Refresh" buttons enqueue the same jobs at once. Jobs of a tenant that
disabled the plugin are skipped by the job bus.
"""

from __future__ import annotations

import logging
from datetime import timedelta

from sqlmodel import Session

from scrm.sdk import actor, cancel_schedule, job_session, schedule, utcnow

from ..tenants import active_tenant
from . import dashboard, reminders, stages
from .order_import import run_import

log = logging.getLogger(__name__)

DASHBOARD_INTERVAL = 600
STAGES_INTERVAL = 3600
NOTIFICATIONS_INTERVAL = 60



@actor
def refresh_dashboard(tenant_id: int) -> None:
    """Recompute the tenant's home-dashboard snapshot."""
    with job_session() as session:
        if active_tenant(session, tenant_id) is not None:
            dashboard.refresh(session, tenant_id)


@actor
def evaluate_stages(tenant_id: int) -> None:
    """Move customers into the stages their rules give them; remind about the changes."""
    with job_session() as session:
        tenant = active_tenant(session, tenant_id)
        if tenant is None:
            return
        changes = stages.pending_changes(session, tenant_id, stages.tenant_filter_types(session, tenant))
        now = utcnow()
        stages.apply_changes(session, tenant_id, changes, now)
        reminders.change_reminders(session, tenant_id, changes, now)
        log.info("stages of tenant %s: %s customers moved", tenant_id, len(changes))


@actor
def deliver_notifications(tenant_id: int) -> None:
    """Send the tenant's due delayed notifications."""
    with job_session() as session:
        if active_tenant(session, tenant_id) is not None:
            reminders.deliver_due(session, tenant_id)


@actor
def stage_follow_up(tenant_id: int, *, send_time: str) -> None:
    """The follow-up reminders of the rules that send at ``send_time``."""
    with job_session() as session:
        if active_tenant(session, tenant_id) is not None:
            reminders.follow_up(session, tenant_id, send_time)


@actor
def import_orders(tenant_id: int, *, import_id: int) -> None:
    """Apply an order import (resumable: orders are matched on source and number)."""
    run_import(tenant_id, import_id)


def schedule_keys(tenant_id: int) -> dict[str, str]:
    return {"dashboard": f"members:dashboard:{tenant_id}", "stages": f"members:stages:{tenant_id}",
            "notifications": f"members:notifications:{tenant_id}"}


def ensure_schedules(session: Session, tenant_id: int) -> None:
    keys = schedule_keys(tenant_id)
    now = utcnow()
    schedule(session, refresh_dashboard.name, now, tenant_id=tenant_id, key=keys["dashboard"],
             interval_seconds=DASHBOARD_INTERVAL)
    schedule(session, evaluate_stages.name, now + timedelta(minutes=5), tenant_id=tenant_id, key=keys["stages"],
             interval_seconds=STAGES_INTERVAL)
    schedule(session, deliver_notifications.name, now + timedelta(seconds=NOTIFICATIONS_INTERVAL),
             tenant_id=tenant_id, key=keys["notifications"], interval_seconds=NOTIFICATIONS_INTERVAL)
    reminders.ensure_follow_up_schedules(session, tenant_id, stage_follow_up.name)


def cancel_schedules(session: Session, tenant_id: int) -> None:
    for key in schedule_keys(tenant_id).values():
        cancel_schedule(session, key)
    reminders.cancel_follow_up_schedules(session, tenant_id)
