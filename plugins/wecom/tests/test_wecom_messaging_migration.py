"""Migration ``wecom_messaging_0002``: app messages queued by the plugin's former sender are handed to the platform's
outbound path (purpose and message set, so the relay sends them), the former retry and sweep schedules go, and
``sending_since`` is dropped; other rows are left alone."""

from __future__ import annotations

from datetime import timedelta

from alembic import command
from scrm_wecom.messaging.models import AppMessage
from sqlalchemy import inspect, select
from wecom_churn_fixtures import *  # noqa: F403
from wecom_churn_fixtures import app_messages, deliveries, employee, to
from wecom_foundation_fixtures import *  # noqa: F403
from wecom_sync_fixtures import *  # noqa: F403

from scrm.core import migrate
from scrm.core.models import ScheduledJob
from scrm.sdk import DeliveryStatus, MessageDelivery, utcnow


def _wecom(platform):
    return next(lin for lin in migrate.lineages(platform.registry) if lin.name == "wecom")


def _columns(platform) -> set[str]:
    return {c["name"] for c in inspect(platform.engine).get_columns("wecom_app_message")}


def test_queued_app_messages_of_the_former_sender_go_through_the_outbound_path(db, platform, tenant, churn_account,
                                                                                sandbox, worker):
    lisi = employee(db, tenant.id, "lisi")
    db.commit()
    with platform.engine.begin() as conn:
        command.downgrade(_wecom(platform).config(conn), "wecom_messaging_0001")
    try:
        assert "sending_since" in _columns(platform)
        old = utcnow() - timedelta(minutes=5)
        rows = {}
        for key, status in (("old:queued", DeliveryStatus.QUEUED), ("old:sent", DeliveryStatus.SENT)):
            row = MessageDelivery(tenant_id=tenant.id, channel="wecom", account_id=churn_account.id,
                                  recipient="lisi", idempotency_key=key, kind="app_message", status=status,
                                  created_at=old)
            db.add(row)
            db.flush()
            db.add(AppMessage(tenant_id=tenant.id, delivery_id=row.id, account_id=churn_account.id,
                              employee_id=lisi.id, msgtype="text", content={"content": f"from {key}"}))
            rows[key] = row.id
        for key in (f"wecom:app_message:{rows['old:queued']}", f"wecom:app_message_sweep:{tenant.id}",
                    "someone.else:1"):
            db.add(ScheduledJob(key=key, actor="scrm_wecom.messaging.dispatch.sweep_queued", plugin="wecom",
                                due_at=utcnow(), tenant_id=tenant.id))
        db.commit()
    finally:
        with platform.engine.begin() as conn:
            command.upgrade(_wecom(platform).config(conn), "heads")
    assert "sending_since" not in _columns(platform)
    db.expire_all()
    keys = set(db.execute(select(ScheduledJob.key)).scalars())
    assert "someone.else:1" in keys and not any(k.startswith("wecom:app_message") for k in keys)
    by_key = {r.idempotency_key: r for r in deliveries(db, tenant.id)}
    queued, sent = by_key["old:queued"], by_key["old:sent"]
    assert (queued.purpose, queued.message) == ("notification", {"kind": "text", "payload": {"content": "from "
                                                                                                      "old:queued"}})
    assert (sent.purpose, sent.message) == (None, {})
    platform.tick(now=utcnow() + timedelta(minutes=1))  # the outbound relay takes the queued one
    worker.join()
    assert {r.idempotency_key: r.status for r in deliveries(db, tenant.id)} == {"old:queued": "sent",
                                                                               "old:sent": "sent"}
    assert [m["text"]["content"] for m in to(app_messages(sandbox[1]), "lisi")] == ["from old:queued"]
