"""``JobBus.send_many``: a batch of jobs in one broker round trip, most urgent first, each job run once by a worker.

On the Redis broker (``SCRM_TEST_REDIS_URL``) the batch goes through one pipeline of Dramatiq's own dispatch script;
in-process it falls back to one enqueue per message. Both must deliver every job exactly like ``send``.
"""

from __future__ import annotations

import threading

import pytest
from dramatiq.brokers.stub import StubBroker

from scrm.core.jobs import actor
from scrm.core.jobs.batch import _pipelines

RAN: list[tuple[str, int | None, dict]] = []
_lock = threading.Lock()


@actor(name="tests.batch.normal", plugin="core")
def batch_normal(tenant_id, **kwargs):
    with _lock:
        RAN.append(("normal", tenant_id, kwargs))


@actor(name="tests.batch.urgent", plugin="core", priority=-10)
def batch_urgent(tenant_id, **kwargs):
    with _lock:
        RAN.append(("urgent", tenant_id, kwargs))


@pytest.fixture(autouse=True)
def _clear():
    RAN.clear()


def test_every_job_of_a_batch_runs_once_with_its_tenant_and_arguments(broker):
    jobs = [batch_normal.job(1, n=n) for n in range(20)] + [batch_urgent.job(2, codes=["a", "b"])]
    assert broker.send_many(jobs) == 21
    broker.start_worker(threads=2)
    broker.join()
    assert sorted(kwargs["n"] for kind, tenant, kwargs in RAN if kind == "normal" and tenant == 1) == list(range(20))
    assert [(t, k) for kind, t, k in RAN if kind == "urgent"] == [(2, {"codes": ["a", "b"]})]


def test_the_most_urgent_jobs_are_enqueued_first(broker, monkeypatch):
    import scrm.core.jobs.bus as bus_module

    seen = []
    monkeypatch.setattr(bus_module, "enqueue_many", lambda b, messages: seen.extend(messages) or messages)
    broker.send_many([batch_normal.job(1, n=1), batch_urgent.job(1, n=2), batch_normal.job(1, n=3)])
    assert [m.actor_name for m in seen] == ["tests.batch.urgent", "tests.batch.normal", "tests.batch.normal"]
    assert [m.options["scrm_tenant_id"] for m in seen] == [1, 1, 1]


def test_an_empty_batch_sends_nothing(broker):
    assert broker.send_many([]) == 0


def test_the_redis_broker_uses_one_pipeline_and_survives_a_flushed_script_cache(broker):
    if isinstance(broker.broker, StubBroker):
        assert not _pipelines(broker.broker)
        pytest.skip("the in-process broker enqueues one by one (covered above)")
    assert _pipelines(broker.broker)
    broker.broker.client.script_flush()  # as after a Redis restart: the dispatch script is unknown
    assert broker.send_many([batch_normal.job(3, n=n) for n in range(5)]) == 5
    broker.start_worker(threads=2)
    broker.join()
    assert sorted(k["n"] for _kind, t, k in RAN if t == 3) == list(range(5))


def test_a_broker_error_is_raised(broker, monkeypatch):
    import scrm.core.jobs.bus as bus_module

    def down(b, messages):
        raise ConnectionError("broker down")

    monkeypatch.setattr(bus_module, "enqueue_many", down)
    with pytest.raises(ConnectionError):
        broker.send_many([batch_normal.job(1, n=1)])
