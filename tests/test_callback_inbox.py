"""The callback inbox (``scrm.core.inbox``): group commits, duplicates, failures that lose nothing, tenant isolation.

Runs on SQLite and, under ``SCRM_TEST_DATABASE_URL`` / ``SCRM_TEST_REDIS_URL``, on PostgreSQL with the Redis broker.
"""

from __future__ import annotations

import logging
import threading
import time

import pytest
from sqlmodel import select

from scrm.core.inbox import CallbackInbox, Inbound, InboxTimeout
from scrm.core.jobs import actor
from scrm.core.models import InboundCallback
from scrm.core.services.channels import create_account

PROCESSED: list[tuple[int, list[int]]] = []
ITEMS: list[tuple[int, list]] = []


@actor(name="tests.inbox.process", plugin="core")
def inbox_process(tenant_id: int, *, inbound_ids: list[int]) -> None:
    PROCESSED.append((tenant_id, inbound_ids))


@actor(name="tests.inbox.items", plugin="core", priority=-10)
def inbox_items(tenant_id: int, *, items: list) -> None:
    ITEMS.append((tenant_id, items))


@pytest.fixture
def accounts(db, platform, tenant, other_tenant):
    mine = create_account(db, platform.secrets, tenant.id, "wecom", "Acme", "ww-inbox-acme", {})
    theirs = create_account(db, platform.secrets, other_tenant.id, "wecom", "Globex", "ww-inbox-globex", {})
    db.commit()
    PROCESSED.clear()
    ITEMS.clear()
    return mine, theirs


@pytest.fixture
def inbox(platform):
    box = CallbackInbox(platform.engine, platform.bus)
    yield box
    box.close()


def inbound(account, key: str, body: str = "<xml/>", **extra) -> Inbound:
    return Inbound(account.tenant_id, account.id, "wecom", key, body, **extra)


def rows(db, account_id: int | None = None) -> list[InboundCallback]:
    db.expire_all()
    query = select(InboundCallback).order_by(InboundCallback.id)
    if account_id is not None:
        query = query.where(InboundCallback.account_id == account_id)
    return list(db.exec(query))


def wait_until(condition, what: str, timeout: float = 10.0) -> None:
    """Wait for ``condition()`` to hold; fail (instead of hanging) after ``timeout`` seconds."""
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            pytest.fail(f"timed out after {timeout:g} s waiting for {what}")
        time.sleep(0.001)


def store_concurrently(inbox, items: list[Inbound], gate_first: bool = True) -> list:
    """Store ``items`` from one thread each while the first batch is held, so the rest gather into one batch."""
    results: list = [None] * len(items)
    release = threading.Event()
    original = inbox._insert
    first = [True]

    def held_insert(waiters):
        if first[0] and gate_first:
            first[0] = False
            release.wait(5)
        return original(waiters)

    inbox._insert = held_insert

    def run(index: int) -> None:
        try:
            results[index] = inbox.store(items[index])
        except Exception as exc:
            results[index] = exc

    threads = [threading.Thread(target=run, args=(0,))]
    threads[0].start()
    try:
        wait_until(lambda: inbox._writing, "the first callback's batch to start writing")
        threads += [threading.Thread(target=run, args=(i,)) for i in range(1, len(items))]
        for thread in threads[1:]:
            thread.start()
        wait_until(lambda: len(inbox._pending) >= len(items) - 1 or not any(t.is_alive() for t in threads[1:]),
                   "the other callbacks to queue behind the held batch")
    finally:
        release.set()
    for thread in threads:
        thread.join(10)
    inbox._insert = original
    return results


def test_a_lone_callback_is_stored_at_once_and_its_jobs_enqueued(inbox, accounts, db, broker):
    mine, _ = accounts
    result = inbox.store(inbound(mine, "event:1", process=inbox_process))
    assert not result.duplicate
    [row] = rows(db)
    assert (row.id, row.tenant_id, row.account_id, row.dedupe_key) == (result.inbound_id, mine.tenant_id, mine.id,
                                                                      "event:1")
    broker.start_worker(threads=1)
    broker.join()
    assert PROCESSED == [(mine.tenant_id, [row.id])]


def test_callbacks_arriving_together_share_one_batch(inbox, accounts, db, broker):
    mine, _ = accounts
    results = store_concurrently(inbox, [inbound(mine, f"event:{n}", process=inbox_process) for n in range(12)])
    assert all(not r.duplicate for r in results)
    assert len({r.inbound_id for r in results}) == 12
    assert inbox.batches == 2  # the first alone, the eleven that waited for it in one
    assert sorted(r.dedupe_key for r in rows(db)) == sorted(f"event:{n}" for n in range(12))
    broker.start_worker(threads=1)
    broker.join()
    assert sorted(len(ids) for _t, ids in PROCESSED) == [1, 11]
    assert sorted(i for _t, ids in PROCESSED for i in ids) == sorted(r.inbound_id for r in results)


def test_duplicates_in_a_batch_and_across_batches_are_stored_once(inbox, accounts, db):
    mine, _ = accounts
    first = inbox.store(inbound(mine, "event:retry"))
    results = store_concurrently(inbox, [inbound(mine, "event:retry"), inbound(mine, "event:new"),
                                         inbound(mine, "event:new"), inbound(mine, "event:retry")])
    assert first.inbound_id is not None
    assert [r.duplicate for r in results] == [True, False, True, True]
    assert [r.dedupe_key for r in rows(db)] == ["event:retry", "event:new"]


def test_the_same_key_on_two_accounts_is_two_callbacks(inbox, accounts, db):
    mine, theirs = accounts
    results = store_concurrently(inbox, [inbound(mine, "event:same"), inbound(theirs, "event:same")])
    assert [r.duplicate for r in results] == [False, False]
    assert {(r.tenant_id, r.account_id) for r in rows(db)} == {(mine.tenant_id, mine.id),
                                                              (theirs.tenant_id, theirs.id)}


def test_one_bad_callback_fails_alone_and_the_rest_of_its_batch_is_stored(inbox, accounts, db):
    mine, _ = accounts
    orphan = Inbound(mine.tenant_id, mine.id + 10_000, "wecom", "event:orphan", "<xml/>")  # no such account: FK
    results = store_concurrently(inbox, [inbound(mine, "event:a"), inbound(mine, "event:b"), orphan,
                                         inbound(mine, "event:c")])
    assert [isinstance(r, Exception) for r in results] == [False, False, True, False]
    assert [r.dedupe_key for r in rows(db)] == ["event:a", "event:b", "event:c"]
    assert inbox.store(inbound(mine, "event:d")).inbound_id is not None  # the inbox goes on


def test_jobs_are_grouped_per_tenant_and_never_mix_tenants(inbox, accounts, db, broker):
    mine, theirs = accounts

    def items(account, label):
        return lambda inbound_id: [(inbox_items, {"label": label, "inbound_id": inbound_id})]

    results = store_concurrently(inbox, [
        inbound(mine, "event:m0", process=inbox_process, batched=items(mine, "m0")),
        inbound(mine, "event:m1", process=inbox_process, batched=items(mine, "m1")),
        inbound(theirs, "event:t1", process=inbox_process, batched=items(theirs, "t1")),
        inbound(mine, "event:m2", process=inbox_process, batched=items(mine, "m2")),
        inbound(theirs, "event:t2", process=inbox_process, batched=items(theirs, "t2"))])
    ids = {r.dedupe_key: r.id for r in rows(db)}
    assert all(not r.duplicate for r in results)
    broker.start_worker(threads=1)
    broker.join()
    tenant_of = {ids[f"event:{k}"]: (mine if k.startswith("m") else theirs).tenant_id for k in
                 ("m0", "m1", "m2", "t1", "t2")}
    for tenant_id, inbound_ids in PROCESSED:
        assert {tenant_of[i] for i in inbound_ids} == {tenant_id}
    for tenant_id, values in ITEMS:
        assert {tenant_of[v["inbound_id"]] for v in values} == {tenant_id}
    batch_two = [labels for _t, values in ITEMS if len(labels := [v["label"] for v in values]) > 1]
    assert sorted(batch_two) == [["m1", "m2"], ["t1", "t2"]]  # one job per tenant, items in arrival order


def test_a_broker_failure_keeps_the_row_for_the_recovery_job(inbox, accounts, db, monkeypatch, caplog):
    mine, _ = accounts

    def refuse(jobs):
        raise ConnectionError("broker down")

    monkeypatch.setattr(inbox.bus, "send_many", refuse)
    with caplog.at_level(logging.WARNING, logger="scrm.core.inbox"):
        result = inbox.store(inbound(mine, "event:stays", process=inbox_process))
    assert result.inbound_id is not None
    [row] = rows(db)
    assert row.processed_at is None  # the channel's recovery job finds it
    assert "stored but not enqueued: broker down" in caplog.text


def test_requests_are_answered_once_stored_and_the_writer_enqueues_after_handing_over(inbox, accounts, db,
                                                                                       monkeypatch):
    import scrm.core.inbox as inbox_module

    mine, _ = accounts
    order = []
    original_send, original_resolve = inbox.bus.send_many, inbox_module._Waiter.resolve

    def send_many(jobs):
        order.append("enqueue")
        return original_send(jobs)

    def resolve(waiter, result=None, error=None):
        order.append(f"answer {waiter.inbound.dedupe_key}")
        original_resolve(waiter, result, error)

    monkeypatch.setattr(inbox.bus, "send_many", send_many)
    monkeypatch.setattr(inbox_module._Waiter, "resolve", resolve)
    results = store_concurrently(inbox, [inbound(mine, f"event:{n}", process=inbox_process) for n in range(4)])
    assert all(r.inbound_id is not None for r in results)
    first, second = order[:order.index("enqueue") + 1], order[order.index("enqueue") + 1:]
    assert first == ["answer event:0", "enqueue"]  # one round trip per batch, after its answers
    assert sorted(second[:-1]) == ["answer event:1", "answer event:2", "answer event:3"] and second[-1] == "enqueue"


def test_a_database_that_does_not_answer_in_time_is_a_timeout_not_a_success(inbox, accounts, db):
    mine, _ = accounts
    release = threading.Event()
    original = inbox._insert

    def stuck(waiters):
        release.wait(5)
        return original(waiters)

    inbox._insert = stuck
    leader = threading.Thread(target=lambda: inbox.store(inbound(mine, "event:slow")))
    leader.start()
    try:
        wait_until(lambda: inbox._writing, "the leader's batch to start writing")
        with pytest.raises(InboxTimeout):
            inbox.store(inbound(mine, "event:waits"), timeout=0.2)
        assert not inbox._pending  # the timed-out request left the line
    finally:
        release.set()
    leader.join(10)
    inbox._insert = original
    assert [r.dedupe_key for r in rows(db)] == ["event:slow"]
    assert inbox.store(inbound(mine, "event:after")).inbound_id is not None


def test_a_broken_connection_is_replaced(inbox, accounts, db):
    mine, _ = accounts
    inbox.store(inbound(mine, "event:one"))
    inbox._conn.invalidate()
    assert inbox.store(inbound(mine, "event:two")).inbound_id is not None
    assert [r.dedupe_key for r in rows(db)] == ["event:one", "event:two"]


def test_the_writer_lingers_only_while_callbacks_arrive_together(inbox, accounts):
    mine, _ = accounts
    inbox.linger = 0.3
    started = time.monotonic()
    inbox.store(inbound(mine, "event:alone"))
    assert time.monotonic() - started < 0.25  # a lone callback is written at once
    store_concurrently(inbox, [inbound(mine, f"event:burst{n}") for n in range(3)])
    started = time.monotonic()
    inbox.store(inbound(mine, "event:after-burst"))
    assert time.monotonic() - started >= 0.3  # the previous batch held several: wait for more
    started = time.monotonic()
    inbox.store(inbound(mine, "event:quiet-again"))
    assert time.monotonic() - started < 0.25
