"""Jobs skipped because their tenant disabled their plugin: recorded, and their ledger rows ended as skipped.

"Disabled means inert": the tenant middleware does not run a disabled plugin's jobs. So that a skip is visible and a
message never waits in the ledger forever, each skip is written to ``skipped_job`` (tenant, plugin, job, message id,
time), and a job that carries a ledger row (a ``delivery_id`` argument) moves that row from queued to skipped with
the reason ``plugin_disabled``. Disabling a plugin also ends the tenant's queued ledger rows of that channel at once
(:func:`skip_queued_deliveries`, called by ``plugins.enablement.disable_plugin``).
"""

from __future__ import annotations

import logging
from typing import Any

from sqlalchemy import update
from sqlalchemy.engine import Engine
from sqlmodel import Session

from ..models import DeliveryStatus, MessageDelivery, SkippedJob
from ..timeutil import utcnow

log = logging.getLogger(__name__)

REASON_CODE = "plugin_disabled"
REASON = "plugin disabled"


def _skip_deliveries(conn, tenant_id: int, *conditions) -> int:
    table = MessageDelivery.__table__
    return conn.execute(update(table).where(
        table.c.tenant_id == tenant_id, table.c.status == DeliveryStatus.QUEUED, *conditions)
        .values(status=DeliveryStatus.SKIPPED, error_code=REASON_CODE, error=REASON)).rowcount


def record_skip(engine: Engine, tenant_id: int, plugin: str, actor_name: str, message_id: str,
                kwargs: dict[str, Any] | None) -> SkippedJob:
    """Record one skipped job and end its ledger row (``kwargs["delivery_id"]``, when it has one, still queued and
    of the same tenant) as skipped."""
    delivery_id = (kwargs or {}).get("delivery_id")
    delivery_id = delivery_id if isinstance(delivery_id, int) and not isinstance(delivery_id, bool) else None
    row = SkippedJob(tenant_id=tenant_id, plugin=plugin[:40], actor=actor_name[:120], message_id=message_id[:64],
                     delivery_id=delivery_id, created_at=utcnow())
    with Session(engine, expire_on_commit=False) as session:
        session.add(row)
        if delivery_id is not None:
            _skip_deliveries(session.connection(), tenant_id, MessageDelivery.__table__.c.id == delivery_id)
        session.commit()
    return row


def skip_queued_deliveries(session: Session, tenant_id: int, channel: str) -> int:
    """End ``tenant_id``'s queued ledger rows of ``channel`` as skipped (reason ``plugin_disabled``), in the
    caller's transaction; returns how many. Rows already being sent or sent are left to their job."""
    return _skip_deliveries(session.connection(), tenant_id, MessageDelivery.__table__.c.channel == channel)
