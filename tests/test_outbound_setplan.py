"""The set-based bulk form of the outbound path (``plan_bulk_set``): one INSERT ... SELECT per chunk, exclusions as
SQL (``customer_exclusion_query``) or through the hooks, caps, variants and a budget, resuming after a crash without
duplicates, the caller's bookkeeping in each chunk's transaction, batch send jobs, tenant isolation. SQLite, or
PostgreSQL + Redis under SCRM_TEST_*."""
# ruff: noqa: F811  (fixtures imported from outbound_support are named as test arguments)

from __future__ import annotations

import pytest
from outbound_support import CHANNEL, make_account, outtest, provider  # noqa: F401  (fixtures)
from sqlalchemy import literal, update
from sqlmodel import select

from scrm.core.models import Customer, DeliveryStatus, MessageDelivery
from scrm.core.outbound import jobs as outbound_jobs
from scrm.core.outbound import setplan
from scrm.sdk import OutboundMessage, Variant, plan_bulk_set, set_daily_cap, utf16_length

HELLO = OutboundMessage.text("hello")
ONE = {0: Variant("mass:1", HELLO)}


def _customers(db, tenant, n, prefix="139"):
    rows = [Customer(tenant_id=tenant.id, name=f"c{i}", mobile=f"{prefix}{i:08d}") for i in range(n)]
    db.add_all(rows)
    db.commit()
    return rows


def _audience(tenant):
    return select(Customer.id, Customer.mobile, literal(0)).where(Customer.tenant_id == tenant.id)


def _rows(db, tenant_id):
    db.expire_all()
    return list(db.exec(select(MessageDelivery).where(MessageDelivery.tenant_id == tenant_id)
                        .order_by(MessageDelivery.id)))


def test_a_chunk_is_one_insert_select_and_the_rows_match_the_audience(db, tenant, make_account, broker):
    from sqlalchemy import event

    account = make_account(tenant)
    people = _customers(db, tenant, 250)
    statements: list[str] = []

    def seen(conn, cursor, statement, *args):
        if statement.lstrip().upper().startswith("INSERT INTO MESSAGE_DELIVERY"):
            statements.append(statement)

    engine = db.get_bind()
    event.listen(engine, "before_cursor_execute", seen)
    try:
        plan = plan_bulk_set(db, tenant.id, account=account, purpose="notification", audience=_audience(tenant),
                             variants=ONE, key_prefix="mass:1", chunk_size=100)
    finally:
        event.remove(engine, "before_cursor_execute", seen)
    assert (plan.queued, plan.skipped, plan.chunks, plan.read, plan.exhausted) == (250, 0, 3, 250, True)
    assert len(statements) == 3 and all("SELECT" in s.upper() for s in statements)
    rows = _rows(db, tenant.id)
    assert sorted(r.customer_id for r in rows) == [p.id for p in people]
    assert {r.recipient for r in rows} == {p.mobile for p in people}
    assert {r.idempotency_key for r in rows} == {f"mass:1:{p.id}" for p in people}
    assert all(r.status == DeliveryStatus.QUEUED and r.enqueued_at is not None and r.message == HELLO.to_json()
               and r.task_ref == "mass:1" and r.purpose == "notification" for r in rows)
    assert plan.enqueued == 250  # broker messages of up to 50 rows each (send_deliveries)
    broker.flush()


def test_a_plan_broken_mid_way_resumes_without_duplicates(db, tenant, make_account, broker, monkeypatch):
    """A crash after two committed chunks: the rerun from the caller's cursor writes the rest, nothing twice; a rerun
    from the start (the cursor lost) writes nothing again; the caller's bookkeeping committed with each chunk."""
    account = make_account(tenant)
    _customers(db, tenant, 350)
    progress: list[int] = []

    def on_chunk(session, chunk):
        progress.append(chunk.last)

    real = setplan._insert
    calls = []

    def crash_on_the_third_chunk(*args, **kwargs):
        calls.append(1)
        if len(calls) == 3:
            raise RuntimeError("process killed")
        return real(*args, **kwargs)

    with monkeypatch.context() as patch:
        patch.setattr(setplan, "_insert", crash_on_the_third_chunk)
        with pytest.raises(RuntimeError):
            plan_bulk_set(db, tenant.id, account=account, purpose="notification", audience=_audience(tenant),
                          variants=ONE, key_prefix="mass:1", chunk_size=100, on_chunk=on_chunk)
    db.rollback()
    assert len(_rows(db, tenant.id)) == 200 and len(progress) == 2
    plan = plan_bulk_set(db, tenant.id, account=account, purpose="notification", audience=_audience(tenant),
                         variants=ONE, key_prefix="mass:1", chunk_size=100, after=progress[-1])
    assert (plan.queued, plan.read) == (150, 150)
    again = plan_bulk_set(db, tenant.id, account=account, purpose="notification", audience=_audience(tenant),
                          variants=ONE, key_prefix="mass:1", chunk_size=100, after=None)
    assert again.read == 0  # resumed after the highest customer planned: nothing left
    from_start = plan_bulk_set(db, tenant.id, account=account, purpose="notification", audience=_audience(tenant),
                               variants=ONE, key_prefix="mass:1", chunk_size=100, after=0)
    assert (from_start.queued, from_start.unwritten, from_start.read) == (0, 350, 350)
    rows = _rows(db, tenant.id)
    assert len(rows) == 350 and len({r.idempotency_key for r in rows}) == 350
    broker.flush()


def test_exclusions_in_sql_and_through_the_hooks_and_caps(db, platform, tenant, enable_plugins, make_account, broker,
                                                          monkeypatch):
    """The blacklist (members, ``customer_exclusion_query``) and the example plugin's opt-out notes (its SQL form,
    then with it removed its batch hook) skip their customers with the reason; the daily cap of mass sends skips
    those already reached today."""
    from scrm_example.models import ExampleNote
    from scrm_members.segments import blacklist

    enable_plugins(tenant, "members", "example")
    account = make_account(tenant)
    people = _customers(db, tenant, 30)
    blacklist.add(db, tenant.id, [people[3].id], "asked to stop", None)
    db.add(ExampleNote(tenant_id=tenant.id, body="opt-out", source="user:1", customer_id=people[7].id))
    db.commit()
    t = db.merge(tenant)
    queries, hook_only = setplan.exclusion_sources(platform.hooks(db, t), db, t, "mass_send")
    assert len(queries) == 2 and hook_only == []
    plan = plan_bulk_set(db, tenant.id, account=account, purpose="mass_send", audience=_audience(tenant),
                         variants=ONE, key_prefix="mass:1", chunk_size=10)
    assert (plan.queued, plan.skipped) == (28, 2)
    skipped = {r.customer_id: r for r in _rows(db, tenant.id) if r.status == DeliveryStatus.SKIPPED}
    assert set(skipped) == {people[3].id, people[7].id}
    assert all(r.error_code == "excluded" and r.enqueued_at is None for r in skipped.values())
    assert "asked to stop" in skipped[people[3].id].error
    assert skipped[people[7].id].error == "the customer opted out in a note"
    # a second mass send today: the cap (1 a day) skips everyone who got the first
    capped = plan_bulk_set(db, tenant.id, account=account, purpose="mass_send", audience=_audience(tenant),
                           variants={0: Variant("mass:2", HELLO)}, key_prefix="mass:2")
    assert (capped.queued, capped.skipped) == (0, 30)
    rows = [r for r in _rows(db, tenant.id) if r.task_ref == "mass:2"]
    assert {r.error_code for r in rows} == {"excluded", "frequency_cap"}
    assert all("of 1 'mass_send' messages" in r.error for r in rows if r.error_code == "frequency_cap")
    # a plugin without the SQL form is asked through its batch hook, for the queued rows only
    set_daily_cap(db, tenant.id, "mass_send", None)
    db.commit()
    from scrm.core.plugins.relay import TenantHooks

    real = TenantHooks.subscribers

    def without_the_example_sql_form(self, hook):
        names = real(self, hook)
        return [n for n in names if n != "example"] if hook == "customer_exclusion_query" else names

    with monkeypatch.context() as patch:
        patch.setattr(TenantHooks, "subscribers", without_the_example_sql_form)
        t = db.merge(tenant)
        queries, hook_only = setplan.exclusion_sources(platform.hooks(db, t), db, t, "mass_send")
        assert len(queries) == 1 and hook_only == ["example"]
        third = plan_bulk_set(db, tenant.id, account=account, purpose="mass_send", audience=_audience(tenant),
                              variants={0: Variant("mass:3", HELLO)}, key_prefix="mass:3")
    assert (third.queued, third.skipped) == (28, 2)
    rows = {r.customer_id: r for r in _rows(db, tenant.id) if r.task_ref == "mass:3"}
    assert rows[people[7].id].error == "the customer opted out in a note" and rows[people[7].id].enqueued_at is None
    assert rows[people[7].id].status == DeliveryStatus.SKIPPED
    broker.flush()


def test_variants_and_the_budget(db, tenant, make_account, broker):
    """Each recipient gets its variant's task and message; the running weight stops at the budget."""
    from sqlalchemy import case

    account = make_account(tenant)
    people = _customers(db, tenant, 10)
    variants = {1: Variant("v:1", OutboundMessage.text("short"), 1),
                2: Variant("v:2", OutboundMessage.text("long"), 2)}
    audience = select(Customer.id, Customer.mobile, case((Customer.id % 2 == 0, 2), else_=1)).where(
        Customer.tenant_id == tenant.id)
    plan = plan_bulk_set(db, tenant.id, account=account, purpose="notification", audience=audience,
                         variants=variants, key_prefix="v", budget=10, chunk_size=4)
    rows = _rows(db, tenant.id)
    weight = sum(2 if r.customer_id % 2 == 0 else 1 for r in rows)
    assert weight <= 10 and plan.read == 10 and plan.unwritten == 10 - len(rows)
    assert all(r.task_ref == ("v:2" if r.customer_id % 2 == 0 else "v:1") for r in rows)
    assert all(r.message["payload"]["content"] == ("long" if r.customer_id % 2 == 0 else "short") for r in rows)
    assert [r.customer_id for r in rows] == [p.id for p in people][:len(rows)]  # the first in id order
    broker.flush()


def test_a_list_of_recipients_with_and_without_customers(db, tenant, make_account, broker):
    account = make_account(tenant)
    known = _customers(db, tenant, 2)
    recipients = [(known[0].id, known[0].mobile, 0), (None, "13900000099", 0), (known[1].id, known[1].mobile, 0)]
    plan = plan_bulk_set(db, tenant.id, account=account, purpose="notification", audience=iter(recipients),
                         variants=ONE, key_prefix="list:1", chunk_size=2)
    assert (plan.queued, plan.chunks, plan.last) == (3, 2, 3)
    again = plan_bulk_set(db, tenant.id, account=account, purpose="notification", audience=iter(recipients),
                          variants=ONE, key_prefix="list:1", after=1)
    assert (again.queued, again.unwritten, again.read) == (0, 2, 2)
    rows = _rows(db, tenant.id)
    assert {r.idempotency_key for r in rows} == {f"list:1:{known[0].id}", "list:1:13900000099",
                                                 f"list:1:{known[1].id}"}
    broker.flush()


def test_rows_and_batch_jobs_stay_in_their_tenant(db, tenant, other_tenant, make_account, provider, worker):
    """Each tenant's plan writes only its customers; a batch job naming another tenant sends nothing."""
    from scrm.core.outbound import UnknownChannel

    mine, theirs = make_account(tenant), make_account(other_tenant)
    _customers(db, tenant, 3, "138")
    _customers(db, other_tenant, 2, "137")
    plan_bulk_set(db, tenant.id, account=mine, purpose="notification", audience=_audience(tenant), variants=ONE,
                  key_prefix="n:1")
    with pytest.raises(UnknownChannel):
        plan_bulk_set(db, tenant.id, account=theirs, purpose="notification", audience=_audience(tenant),
                      variants=ONE, key_prefix="n:2")
    worker.join(timeout=20)
    assert {r.recipient[:3] for r in _rows(db, tenant.id)} == {"138"} and _rows(db, other_tenant.id) == []
    assert all(r.status == DeliveryStatus.SENT for r in _rows(db, tenant.id)) and provider.count() == 3
    # a batch job of the other tenant naming these rows: nothing claimed, nothing sent
    queued = plan_bulk_set(db, tenant.id, account=mine, purpose="notification", audience=_audience(tenant),
                           variants={0: Variant("n:3", HELLO)}, key_prefix="n:3")
    assert queued.queued == 3
    worker.join(timeout=20)
    db.execute(update(MessageDelivery.__table__).where(MessageDelivery.task_ref == "n:3").values(
        status=DeliveryStatus.QUEUED))
    db.commit()
    ids = [r.id for r in _rows(db, tenant.id) if r.task_ref == "n:3"]
    before = provider.count()
    outbound_jobs.send_deliveries.send(other_tenant.id, delivery_ids=ids, account_id=theirs.id)
    worker.join(timeout=20)
    assert provider.count() == before
    assert all(r.status == DeliveryStatus.QUEUED for r in _rows(db, tenant.id) if r.task_ref == "n:3")


def test_utf16_length_counts_characters_outside_the_bmp_twice(db):
    from sqlalchemy import select as sa_select

    for text, expected in (("李", 1), ("欧阳娜娜", 4), ("🐱🐱", 4), ("a🐱b", 4), ("", 0)):
        assert db.execute(sa_select(utf16_length(literal(text)))).scalar() == expected, text


def test_the_set_form_of_the_blacklist_answers_like_the_batch_one(db, platform, tenant, enable_plugins):
    """``customer_exclusion_query`` gives the customers and reasons ``customer_exclusion_reasons`` gives."""
    from scrm_members.segments import blacklist

    from scrm.core.outbound.exclusion import exclusion_reasons

    enable_plugins(tenant, "members")
    people = _customers(db, tenant, 4)
    blacklist.add(db, tenant.id, [people[0].id, people[2].id], "投诉", None)
    db.commit()
    t = db.merge(tenant)
    hooks = platform.hooks(db, t)
    ids = [p.id for p in people]
    for purpose in ("mass_send", "sms", "notification"):
        batch = exclusion_reasons(hooks, db, t, ids, purpose)
        query = hooks.contribute_by_plugin("customer_exclusion_query", "members", tenant=t, purpose=purpose,
                                           session=db)
        found = {} if query is None else {cid: str(reason) for cid, reason in db.execute(query)}
        assert found == batch, purpose


def test_a_batch_job_holds_the_rate_and_hands_far_slots_and_retries_on(db, tenant, make_account, provider, worker,
                                                                      monkeypatch):
    """One batch of rows at 4 per second: the rows whose slot is more than the wait limit away go to a new batch job
    later, a retryable failure gets a job of its own (failed after the last attempt), a refusal ends its row and the
    batch goes on; every row is sent once and no second holds more than 4 provider calls."""
    monkeypatch.setattr(outbound_jobs, "MAX_THROTTLE_WAIT", 0.6)
    monkeypatch.setattr(outbound_jobs, "MAX_ATTEMPTS", 2)
    account = make_account(tenant, rate_limit=4)
    recipients = [(None, f"1390000{i:04d}", 0) for i in range(7)] + [(None, "busy-1", 0), (None, "bad-1", 0)]
    plan = plan_bulk_set(db, tenant.id, account=account, purpose="notification", audience=iter(recipients),
                         variants=ONE, key_prefix="rate:1")
    assert plan.queued == 9 and plan.enqueued == 9
    worker.join(timeout=30)
    rows = {r.recipient: r for r in _rows(db, tenant.id)}
    assert all(r.status == DeliveryStatus.SENT and r.attempts == 1 for k, r in rows.items() if k.startswith("139"))
    assert (rows["busy-1"].status, rows["busy-1"].attempts, rows["busy-1"].error_code) == ("failed", 2, "busy")
    assert (rows["bad-1"].status, rows["bad-1"].attempts) == ("failed", 1)
    assert provider.count() == 10 and provider.count("busy-1") == 2
    times = sorted(provider.times)
    assert all(times[i + 4] - times[i] >= 0.9 for i in range(len(times) - 4))  # any 4 + 1 span a second
