"""SOP tasks survive a killed delivery process with nothing lost or doubled: a separate process delivers due tasks
in small committed batches and is killed (SIGKILL) after two of them; the scheduler's next tick (the durable SOP
schedule and the outbound relay) delivers the rest. Every task ends reminded with exactly one card, every card is
one ledger row sent once to WeCom."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from collections import Counter
from datetime import timedelta
from pathlib import Path

import pytest
from scrm_wecom.sop.jobs import schedule_key
from scrm_wecom.sop.models import SopTask
from sqlalchemy import insert, select, update
from wecom_churn_fixtures import *  # noqa: F403
from wecom_churn_fixtures import app_messages, deliveries, employee
from wecom_foundation_fixtures import *  # noqa: F403
from wecom_sop_fixtures import PUBLIC, in_writer, make_rule, tasks
from wecom_sync_fixtures import *  # noqa: F403

from scrm.core.jobs.scheduler import tick as scheduler_tick
from scrm.core.outbound.jobs import relay_deliveries
from scrm.sdk import Customer, ScheduledJob, utcnow

TASKS = 40
BATCH = 4
CHILD = Path(__file__).with_name("sop_restart_child.py")


@pytest.fixture(autouse=True)
def public_url(monkeypatch):
    monkeypatch.setenv("SCRM_PUBLIC_URL", PUBLIC)


def _seed(db, tenant_id: int, rule_id: int, employees: list[int]) -> None:
    from scrm_wecom.sop.models import SopNode

    node_id = db.execute(select(SopNode.id).where(SopNode.rule_id == rule_id)).scalar_one()
    now = utcnow()

    def write(session):
        customers = session.execute(insert(Customer).returning(Customer.id), [
            {"tenant_id": tenant_id, "name": f"顾客{i:02d}", "source": "wecom", "attributes": {}}
            for i in range(TASKS)]).scalars().all()
        session.execute(insert(SopTask), [
            {"tenant_id": tenant_id, "rule_id": rule_id, "node_id": node_id, "revision": 1, "customer_id": c,
             "employee_id": employees[i % len(employees)], "dedupe": f"restart.{c}", "anchor_at": now,
             "due_at": now - timedelta(seconds=TASKS - i), "status": "pending", "sent_by": "", "created_at": now}
            for i, c in enumerate(customers)])
    in_writer(db, write)


def _child_args(app, tenant_id: int) -> str:
    plat = app.extensions["scrm"]
    settings = plat.settings
    namespace = getattr(plat.bus.broker, "namespace", "scrm")
    return json.dumps({"settings": {"database_url": settings.database_url, "broker_url": settings.broker_url,
                                    "redis_url": settings.redis_url, "secret_key": settings.secret_key,
                                    "encryption_key": settings.encryption_key,
                                    "plugins_toml": str(settings.plugins_toml),
                                    "instance_path": str(settings.instance_path)},
                       "namespace": namespace, "tenant_id": tenant_id, "batch": BATCH, "pause": 2.0})


def test_a_killed_delivery_run_loses_and_doubles_nothing(app, db, platform, tenant, churn_account, sandbox, worker):
    lisi, zhangsan = employee(db, tenant.id, "lisi").id, employee(db, tenant.id, "zhangsan").id
    rule_id = make_rule(app, db, tenant.id, name="重启测试", employees=[lisi, zhangsan])
    _seed(db, tenant.id, rule_id, [lisi, zhangsan])
    child = subprocess.Popen([sys.executable, str(CHILD), _child_args(app, tenant.id)], stdout=subprocess.PIPE,
                             stderr=subprocess.PIPE, text=True, env=os.environ.copy())
    try:
        deadline = time.monotonic() + 60
        batches = 0
        while batches < 2:
            assert time.monotonic() < deadline, child.stderr.read() if child.poll() is not None else "no batch"
            line = child.stdout.readline()
            assert line, child.stderr.read()
            batches += line.startswith("batch")
        child.send_signal(signal.SIGKILL)  # mid-run: two batches committed, the third one sleeping or under way
        child.wait(timeout=10)
    finally:
        if child.poll() is None:
            child.kill()
    done = [t for t in tasks(db, tenant.id) if t.status == "reminded"]
    assert BATCH * 2 <= len(done) < TASKS  # the run was cut short
    # the scheduler restarts: its tick relays the sends the broker never took (their hand-over stamp is stale by
    # then) and runs the tenant's due SOP schedule, which delivers the tasks the killed run left pending
    relay_deliveries(platform.engine, now=utcnow() + timedelta(minutes=16))
    in_writer(db, lambda s: s.execute(update(ScheduledJob).where(ScheduledJob.key == schedule_key(tenant.id))
                                      .values(due_at=utcnow() - timedelta(seconds=1))))
    scheduler_tick(platform.engine, platform.bus)
    worker.join(timeout=120)
    rows = tasks(db, tenant.id)
    assert {t.status for t in rows} == {"reminded"} and all(t.delivery_id for t in rows)
    cards = deliveries(db, tenant.id)
    assert {c.id for c in cards} == {t.delivery_id for t in rows}  # every card is some tasks' card, and only one
    assert {c.status for c in cards} == {"sent"}
    sent = app_messages(sandbox[1])
    assert len(sent) == len(cards)  # none twice
    assert Counter(m["msgid"] for m in sent) == Counter(c.provider_id for c in cards)
