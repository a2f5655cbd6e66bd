"""The "no communication" evaluation survives killed processes with nothing lost or doubled: an evaluation killed
before its commit leaves nothing; one killed after committing its plan, before delivering, leaves pending tasks;
the scheduler's next ticks (the tenant's hourly evaluator and the minute SOP run, durable ``scheduled_job`` rows)
deliver each silent customer's to-do once, and later evaluations plan nothing more."""

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
from scrm_wecom.sop.jobs import quiet_key, schedule_key
from scrm_wecom.sync.models import Follow
from sqlalchemy import update
from wecom_churn_fixtures import *  # noqa: F403
from wecom_churn_fixtures import app_messages, deliveries, employee
from wecom_foundation_fixtures import *  # noqa: F403
from wecom_sop_fixtures import PUBLIC, in_writer, make_rule, node, tasks
from wecom_sync_fixtures import *  # noqa: F403

from scrm.core.jobs.scheduler import tick as scheduler_tick
from scrm.sdk import ScheduledJob, utcnow

CHILD = Path(__file__).with_name("sop_quiet_restart_child.py")


@pytest.fixture(autouse=True)
def public_url(monkeypatch):
    monkeypatch.setenv("SCRM_PUBLIC_URL", PUBLIC)


def _child(app, tenant_id: int, mode: str) -> None:
    """Run the child until it says it planned, then kill it (SIGKILL)."""
    plat = app.extensions["scrm"]
    settings = plat.settings
    arg = json.dumps({"settings": {"database_url": settings.database_url, "broker_url": settings.broker_url,
                                   "redis_url": settings.redis_url, "secret_key": settings.secret_key,
                                   "encryption_key": settings.encryption_key,
                                   "plugins_toml": str(settings.plugins_toml),
                                   "instance_path": str(settings.instance_path)},
                      "namespace": getattr(plat.bus.broker, "namespace", "scrm"), "tenant_id": tenant_id,
                      "mode": mode})
    child = subprocess.Popen([sys.executable, str(CHILD), arg], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                             text=True, env=os.environ.copy())
    try:
        deadline = time.monotonic() + 60
        line = ""
        while not line.startswith("planned"):
            assert time.monotonic() < deadline, "the child planned nothing in time"
            line = child.stdout.readline()
            assert line, child.stderr.read()
        assert line.strip() == "planned 2"
        child.send_signal(signal.SIGKILL)
        child.wait(timeout=10)
    finally:
        if child.poll() is None:
            child.kill()


def _due_now(db, tenant_id: int) -> None:
    in_writer(db, lambda s: s.execute(update(ScheduledJob).where(ScheduledJob.key.in_(
        [quiet_key(tenant_id), schedule_key(tenant_id)])).values(due_at=utcnow() - timedelta(seconds=1),
                                                                  status="pending")))


def test_killed_evaluations_lose_and_double_nothing(app, db, platform, tenant, churn_account, sandbox, worker):
    lisi = employee(db, tenant.id, "lisi")
    make_rule(app, db, tenant.id, name="3天未沟通", trigger="no_communication", quiet_days="3",
              employees=[lisi.id], nodes=[node(title="联系 {customer}")])
    in_writer(db, lambda s: s.execute(update(Follow).where(Follow.tenant_id == tenant.id)
                                      .values(added_at=utcnow() - timedelta(days=10))))
    _child(app, tenant.id, "before_commit")
    assert tasks(db, tenant.id) == []  # killed before its commit: nothing was planned
    _child(app, tenant.id, "after_commit")
    assert [t.status for t in tasks(db, tenant.id)] == ["pending", "pending"]  # Bob and Alice, not delivered
    for _round in range(2):  # the scheduler restarts: its ticks run the durable evaluator and the SOP run, twice
        _due_now(db, tenant.id)
        scheduler_tick(platform.engine, platform.bus)
        worker.join(timeout=120)
    rows = tasks(db, tenant.id)
    assert len(rows) == 2 and {t.status for t in rows} == {"reminded"}
    cards = deliveries(db, tenant.id)
    assert len(cards) == 1 and {t.delivery_id for t in rows} == {cards[0].id} and cards[0].status == "sent"
    sent = app_messages(sandbox[1])
    assert Counter(m["touser"] for m in sent) == Counter({"lisi": 1})  # one card for both, none twice
