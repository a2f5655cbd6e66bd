"""Two delivery runs at once (two workers) share the due tasks without taking one twice: on PostgreSQL the claim
skips rows the other run holds (FOR UPDATE SKIP LOCKED), on SQLite the runs take the single write lock in turn.
Every task ends reminded with exactly one card; every card is sent once."""

from __future__ import annotations

import threading
from datetime import timedelta

import pytest
from scrm_wecom.sop.delivery import deliver_due
from scrm_wecom.sop.models import SopNode, SopTask
from sqlalchemy import insert, select
from sqlmodel import Session
from wecom_churn_fixtures import *  # noqa: F403
from wecom_churn_fixtures import app_messages, deliveries, employee
from wecom_foundation_fixtures import *  # noqa: F403
from wecom_sop_fixtures import PUBLIC, in_writer, make_rule, tasks
from wecom_sync_fixtures import *  # noqa: F403

from scrm.core.db import writer
from scrm.sdk import Customer, utcnow

TASKS = 60


@pytest.fixture(autouse=True)
def public_url(monkeypatch):
    monkeypatch.setenv("SCRM_PUBLIC_URL", PUBLIC)


def test_two_runs_at_once_deliver_each_task_once(app, db, tenant, churn_account, sandbox, worker):
    lisi, zhangsan = employee(db, tenant.id, "lisi").id, employee(db, tenant.id, "zhangsan").id
    rule_id = make_rule(app, db, tenant.id, name="并发测试", employees=[lisi, zhangsan])
    node_id = db.execute(select(SopNode.id).where(SopNode.rule_id == rule_id)).scalar_one()
    now = utcnow()

    def seed(session):
        customers = session.execute(insert(Customer).returning(Customer.id), [
            {"tenant_id": tenant.id, "name": f"并发{i}", "source": "wecom", "attributes": {}}
            for i in range(TASKS)]).scalars().all()
        session.execute(insert(SopTask), [
            {"tenant_id": tenant.id, "rule_id": rule_id, "node_id": node_id, "revision": 1, "customer_id": c,
             "employee_id": (lisi, zhangsan)[i % 2], "dedupe": f"both.{c}", "anchor_at": now,
             "due_at": now - timedelta(seconds=1), "status": "pending", "sent_by": "", "created_at": now}
            for i, c in enumerate(customers)])
    in_writer(db, seed)
    runs, errors = [], []

    def run() -> None:
        try:
            with Session(writer(db.get_bind())) as session:
                runs.append(deliver_due(session, tenant.id, batch=7))
        except Exception as exc:  # noqa: BLE001 - reported by the assertion below
            errors.append(exc)

    threads = [threading.Thread(target=run) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert errors == [] and len(runs) == 2
    assert sum(r.tasks for r in runs) == TASKS
    worker.join()
    rows = tasks(db, tenant.id)
    assert {t.status for t in rows} == {"reminded"}
    cards = deliveries(db, tenant.id)
    assert {c.id for c in cards} == {t.delivery_id for t in rows} and {c.status for c in cards} == {"sent"}
    assert len(app_messages(sandbox[1])) == len(cards) == sum(r.cards for r in runs)
