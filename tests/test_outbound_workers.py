"""The outbound path across real worker processes (PostgreSQL + Redis only): a worker killed with SIGKILL during the
provider call never sends twice, and two workers together hold an account to its declared rate.

The rate is judged on the moments the channel put each request on the wire (sent with the request): the provider
simulator shares this machine's CPUs with everything else, and the moment it gets to read a request says more about
its own scheduling than about the workers (its receipt times are printed alongside)."""
# ruff: noqa: F811  (fixtures imported from outbound_support are named as test arguments)

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
from datetime import timedelta
from pathlib import Path

import pytest
from outbound_support import CHANNEL_PATH, make_account, outtest, provider, write_distribution  # noqa: F401
from sqlmodel import select

from scrm.core.models import DeliveryStatus, MessageDelivery
from scrm.core.outbound import jobs as outbound_jobs
from scrm.core.timeutil import utcnow
from scrm.sdk import OutboundMessage, plan_bulk_send, send_message

RATE = 20.0
MESSAGES = 200
WORKER_NAMESPACE = "scrm"  # what `scrm worker` uses
# `scrm worker` processes always use that namespace: each parallel test worker gives its own a Redis database
# of their own (12 + the test worker's number), so two of these tests never share queues, acks or rate slots
WORKER_REDIS_DB = 12


@pytest.fixture
def services(scrm_settings):
    if not (scrm_settings.broker_url and scrm_settings.database_url.startswith("postgresql")):
        # the SQLite leg runs without services on purpose; the PostgreSQL + Redis leg runs these tests (and fails
        # under CI=true when the services are unreachable, in the session fixtures)
        pytest.skip("worker processes run in the PostgreSQL + Redis leg (SCRM_TEST_DATABASE_URL, SCRM_TEST_REDIS_URL)")
    return scrm_settings


@pytest.fixture
def worker_redis_url(services) -> str:
    """The Redis of this test worker's `scrm worker` processes: the session's server, a database of their own."""
    from urllib.parse import urlsplit, urlunsplit

    index = int(os.environ.get("PYTEST_XDIST_WORKER", "gw0").removeprefix("gw") or 0)
    parts = urlsplit(services.broker_url)
    return urlunsplit(parts._replace(path=f"/{WORKER_REDIS_DB + index}"))


@pytest.fixture
def worker_broker(services, worker_redis_url):
    """The broker of `scrm worker` processes (its own namespace), emptied before and after, with no stale rate slot."""
    import redis
    from dramatiq.brokers.redis import RedisBroker

    broker = RedisBroker(url=worker_redis_url, namespace=WORKER_NAMESPACE)
    broker.declare_queue("outbound")
    client = redis.Redis.from_url(worker_redis_url)

    def clean():
        # the whole namespace: queues, throttle slots, and the acks and heartbeats a killed worker leaves behind
        # (another worker's maintenance would requeue those messages into the next test)
        broker.flush_all()
        for key in client.scan_iter(f"{WORKER_NAMESPACE}:*"):
            client.delete(key)

    clean()
    yield broker
    clean()
    broker.close()


@pytest.fixture
def start_worker(services, worker_redis_url, tmp_path):
    """``start_worker()`` runs `scrm worker` in a process of its own (the test channel installed) and returns it once
    it is consuming; every process still running is stopped afterwards."""
    folder = write_distribution(tmp_path / "dist")
    manifest = tmp_path / "plugins.toml"
    manifest.write_text("[plugins.outtest]\n", encoding="utf-8")
    env = {**os.environ, "SCRM_DATABASE_URL": services.database_url, "SCRM_BROKER_URL": worker_redis_url,
           "SCRM_REDIS_URL": worker_redis_url, "SCRM_PLUGINS_TOML": str(manifest),
           "SCRM_ENCRYPTION_KEY": services.encryption_key, "SCRM_SECRET_KEY": "worker-test",
           "SCRM_INSTANCE_PATH": str(tmp_path / "instance"),
           "PYTHONPATH": os.pathsep.join([str(folder), str(CHANNEL_PATH), os.environ.get("PYTHONPATH", "")])}
    processes: list[subprocess.Popen] = []

    def start(threads: int = 8) -> subprocess.Popen:
        process = subprocess.Popen([str(Path(sys.executable).with_name("scrm")), "worker", "--threads", str(threads),
                                    "--queues", "outbound"], env=env, stdout=subprocess.PIPE,
                                   stderr=subprocess.STDOUT, text=True)
        processes.append(process)
        ready = threading.Event()
        output: list[str] = []

        def read():
            for line in process.stdout:
                output.append(line)
                if "worker started" in line:
                    ready.set()

        threading.Thread(target=read, daemon=True).start()
        if not ready.wait(60):
            process.kill()
            raise AssertionError("the worker did not start:\n" + "".join(output[-40:]))
        return process

    yield start
    for process in processes:
        if process.poll() is None:
            process.terminate()
            try:
                process.wait(15)
            except subprocess.TimeoutExpired:
                process.kill()


def _enqueue(broker, tenant_id: int, delivery_ids: list[int], account_id: int | None = None) -> None:
    """Send jobs as the platform enqueues them: with ``account_id`` the job takes the fast path (the account from
    the process's directory, the claim returning the row), without it the reading path."""
    import dramatiq

    for delivery_id in delivery_ids:
        kwargs = {"delivery_id": delivery_id} | ({"account_id": account_id} if account_id is not None else {})
        broker.enqueue(dramatiq.Message(queue_name="outbound", actor_name=outbound_jobs.SEND_ACTOR,
                                        args=(tenant_id,), kwargs=kwargs,
                                        options={"scrm_tenant_id": tenant_id, "scrm_plugin": None}))


def _busiest_second(times: list[float]) -> int:
    """The most of ``times`` (sorted) inside any window of one second."""
    return max(sum(1 for t in times[i:i + 1000] if t - start < 1.0) for i, start in enumerate(times))


def _row(db, delivery_id: int) -> MessageDelivery:
    db.expire_all()
    return db.exec(select(MessageDelivery).where(MessageDelivery.id == delivery_id)).one()


@pytest.mark.slow
@pytest.mark.parametrize("fast", [False, True], ids=["reading-path", "fast-path"])
def test_a_worker_killed_during_the_provider_call_never_sends_twice(db, tenant, make_account, provider, broker,
                                                                    worker_broker, start_worker, fast):
    account = make_account(tenant)
    via = account.id if fast else None
    provider.block = threading.Event()  # the provider holds the request: the worker is mid-call
    row = send_message(db, tenant.id, account=account, recipient="13800000001", purpose="notification",
                       message=OutboundMessage.text("once"))
    db.commit()
    broker.flush()  # the test process's own bus has no worker; the worker processes get the job below
    first = start_worker()
    _enqueue(worker_broker, tenant.id, [row.id], via)
    assert provider.arrived.wait(30), "the provider never got the request"
    assert _row(db, row.id).status == DeliveryStatus.SENDING
    first.send_signal(signal.SIGKILL)
    first.wait(10)
    provider.block.set()
    assert provider.count() == 1
    # the job comes back (the broker redelivers a dead worker's message; the relay would too): nothing is resent
    second = start_worker()
    marker = send_message(db, tenant.id, account=account, recipient="13800000002", purpose="notification",
                          message=OutboundMessage.text("after"))
    db.commit()
    broker.flush()
    _enqueue(worker_broker, tenant.id, [row.id, marker.id], via)
    deadline = time.monotonic() + 30
    while _row(db, marker.id).status != DeliveryStatus.SENT and time.monotonic() < deadline:
        time.sleep(0.1)
    time.sleep(0.5)  # the redelivered job, taken before the marker's, has finished too
    assert _row(db, marker.id).status == DeliveryStatus.SENT
    assert outbound_jobs.relay_deliveries(broker.engine, now=utcnow() + timedelta(hours=1)) == 0
    assert provider.count("13800000001") == 1 and _row(db, row.id).status == DeliveryStatus.SENDING
    # the tick settles the unknown outcome without sending
    assert outbound_jobs.resolve_unknown(broker.engine, broker.platform, now=utcnow() + timedelta(minutes=10)) == 1
    settled = _row(db, row.id)
    assert settled.status == DeliveryStatus.FAILED and settled.error_code == outbound_jobs.UNKNOWN_OUTCOME
    assert provider.count("13800000001") == 1 and second.poll() is None


@pytest.mark.slow
def test_two_workers_hold_an_account_to_its_declared_rate(db, tenant, make_account, provider, broker, worker_broker,
                                                          start_worker):
    account = make_account(tenant, rate_limit=RATE)
    plan = plan_bulk_send(db, tenant.id, account=account, message=OutboundMessage.text("promo"),
                          purpose="notification", task_ref="rate:1",
                          audience=((None, f"1390000{i:04d}") for i in range(MESSAGES)))
    assert plan.queued == MESSAGES
    broker.flush()
    ids = list(db.exec(select(MessageDelivery.id).where(MessageDelivery.tenant_id == tenant.id)))
    start_worker(threads=4), start_worker(threads=4)
    _enqueue(worker_broker, tenant.id, ids)
    deadline = time.monotonic() + MESSAGES / RATE * 3
    while provider.count() < MESSAGES and time.monotonic() < deadline:
        time.sleep(0.2)
    assert provider.count() == MESSAGES
    # each request carries the moment the channel put it on the wire; the provider notes when it read it
    sent = sorted(r["sent_at"] for r in provider.requests)
    received = sorted(provider.times)
    rate = (len(sent) - 1) / (sent[-1] - sent[0])
    busiest = _busiest_second(sent)
    lag = sorted(t - r["sent_at"] for t, r in zip(provider.times, provider.requests, strict=True))
    print(f"\nmeasured {rate:.2f}/s for a declared {RATE}/s ({(len(received) - 1) / (received[-1] - received[0]):.2f}/s"
          f" as received); busiest 1-second window: {busiest} sent, {_busiest_second(received)} received"
          f" (wire to provider: median {lag[len(lag) // 2] * 1000:.1f} ms, max {lag[-1] * 1000:.1f} ms)")
    assert abs(rate - RATE) / RATE <= 0.05, rate
    assert busiest <= RATE, busiest
    assert len({r["pid"] for r in provider.requests}) == 2  # both workers sent
    worker_broker.join("outbound", timeout=30_000)
    db.expire_all()
    statuses = set(db.exec(select(MessageDelivery.status).where(MessageDelivery.tenant_id == tenant.id)))
    assert statuses == {DeliveryStatus.SENT}
