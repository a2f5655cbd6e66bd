"""The one outbound path in one process (SQLite, or PostgreSQL + Redis under SCRM_TEST_*): send_message, exclusions
and caps, the ledger's forward-only moves and delivery reports, retries, the outbox relay, the bulk form, tenant
isolation."""
# ruff: noqa: F811  (fixtures imported from outbound_support are named as test arguments)

from __future__ import annotations

from datetime import timedelta

import pytest
from outbound_support import CHANNEL, make_account, outtest, provider  # noqa: F401  (fixtures)
from sqlmodel import select

from scrm.core.models import Customer, DeliveryStatus, MessageDelivery
from scrm.core.outbound import caps
from scrm.core.outbound import jobs as outbound_jobs
from scrm.core.timeutil import utcnow
from scrm.sdk import (
    OutboundMessage,
    UnknownChannel,
    UnsupportedMessageKind,
    advance_delivery,
    mark_delivery_report,
    plan_bulk_send,
    send_message,
    set_daily_cap,
)

HELLO = OutboundMessage.text("hello")


def _customer(db, tenant, name="Ann", mobile="13800000001"):
    customer = Customer(tenant_id=tenant.id, name=name, mobile=mobile)
    db.add(customer)
    db.flush()
    return customer


def _rows(db, tenant_id=None):
    db.expire_all()
    query = select(MessageDelivery).order_by(MessageDelivery.id)
    if tenant_id is not None:
        query = query.where(MessageDelivery.tenant_id == tenant_id)
    return list(db.exec(query))


def test_a_send_is_ledgered_then_delivered_once(db, tenant, make_account, provider, worker):
    account = make_account(tenant)
    customer = _customer(db, tenant)
    row = send_message(db, tenant.id, account=account, recipient="13800000001", customer_id=customer.id,
                       message=HELLO, purpose="notification", idempotency_key="order:1")
    assert row.status == DeliveryStatus.QUEUED and provider.count() == 0  # nothing leaves before the commit
    db.commit()
    worker.join(timeout=20)
    [row] = _rows(db)
    assert row.status == DeliveryStatus.SENT and row.provider_id == "m1" and row.attempts == 1
    assert row.message == {"kind": "text", "payload": {"content": "hello"}} and row.purpose == "notification"
    assert provider.requests[0]["key"] == "order:1"
    again = send_message(db, tenant.id, account=account, recipient="13800000001", customer_id=customer.id,
                         message=HELLO, purpose="notification", idempotency_key="order:1")
    db.commit()
    worker.join(timeout=20)
    assert again.id == row.id and provider.count() == 1 and len(_rows(db)) == 1


def test_a_blacklisted_customer_gets_a_skipped_row_and_no_provider_call(db, tenant, enable_plugins, make_account,
                                                                         provider, worker):
    from scrm_members.segments import blacklist

    enable_plugins(tenant, "members")
    account = make_account(tenant)
    customer = _customer(db, tenant)
    blacklist.add(db, tenant.id, [customer.id], "complained twice", None)
    row = send_message(db, tenant.id, account=account, recipient="13800000001", customer_id=customer.id,
                       message=HELLO, purpose="mass_send")
    db.commit()
    worker.join(timeout=20)
    [row] = _rows(db)
    assert row.status == DeliveryStatus.SKIPPED and row.error_code == "excluded"
    assert "complained twice" in row.error
    assert provider.count() == 0
    # the same customer for a purpose the blacklist does not refuse is sent
    send_message(db, tenant.id, account=account, recipient="13800000001", customer_id=customer.id, message=HELLO,
                 purpose="notification")
    db.commit()
    worker.join(timeout=20)
    assert provider.count() == 1


def test_over_the_daily_cap_a_send_is_skipped_and_calls_no_provider(db, tenant, make_account, provider, worker):
    assert caps.DEFAULT_DAILY_CAPS["mass_send"] == 1
    account = make_account(tenant)
    customer = _customer(db, tenant)

    def send():
        send_message(db, tenant.id, account=account, recipient="13800000001", customer_id=customer.id,
                     message=HELLO, purpose="mass_send")
        db.commit()
        worker.join(timeout=20)
        return _rows(db)[-1]

    assert send().status == DeliveryStatus.SENT
    capped = send()
    assert capped.status == DeliveryStatus.SKIPPED and capped.error_code == "frequency_cap"
    assert "1 of 1" in capped.error and provider.count() == 1
    set_daily_cap(db, tenant.id, "mass_send", 2, channel=CHANNEL)  # the tenant allows two a day on this channel
    db.commit()
    assert send().status == DeliveryStatus.SENT and provider.count() == 2
    assert send().status == DeliveryStatus.SKIPPED and provider.count() == 2
    # another purpose is not capped by default
    assert caps.daily_cap(db, tenant.id, "notification", CHANNEL) is None


def test_a_failed_send_does_not_use_up_the_cap(db, tenant, make_account, provider, worker):
    account = make_account(tenant)
    customer = _customer(db, tenant)
    send_message(db, tenant.id, account=account, recipient="bad-1", customer_id=customer.id, message=HELLO,
                 purpose="mass_send")
    db.commit()
    worker.join(timeout=20)
    send_message(db, tenant.id, account=account, recipient="13800000001", customer_id=customer.id, message=HELLO,
                 purpose="mass_send")
    db.commit()
    worker.join(timeout=20)
    first, second = _rows(db)
    assert first.status == DeliveryStatus.FAILED and first.error_code == "invalid_recipient" and first.attempts == 1
    assert second.status == DeliveryStatus.SENT


def test_an_unsupported_kind_is_refused_before_anything_is_written(db, tenant, make_account, provider):
    account = make_account(tenant)
    with pytest.raises(UnsupportedMessageKind, match="cannot send 'redpacket'") as caught:
        send_message(db, tenant.id, account=account, recipient="13800000001", purpose="notification",
                     message=OutboundMessage("redpacket", {"amount": 100}))
    assert caught.value.capabilities == ("text", "link")
    with pytest.raises(UnsupportedMessageKind):
        plan_bulk_send(db, tenant.id, account=account, message=OutboundMessage("image", {"url": "x"}),
                       purpose="mass_send", task_ref="t:1", audience=[(None, "1")])
    db.commit()
    assert _rows(db) == []


def test_another_tenants_account_is_refused(db, tenant, other_tenant, make_account, provider):
    theirs = make_account(other_tenant)
    with pytest.raises(UnknownChannel):
        send_message(db, tenant.id, account=theirs.id, recipient="1", message=HELLO, purpose="notification")
    db.commit()
    assert _rows(db) == []


def test_status_never_moves_backwards(db, tenant, other_tenant, make_account, provider, worker):
    account = make_account(tenant)
    row = send_message(db, tenant.id, account=account, recipient="13800000001", message=HELLO,
                       purpose="notification")
    db.commit()
    worker.join(timeout=20)
    assert mark_delivery_report(db, tenant.id, CHANNEL, "m1", "delivered").status == DeliveryStatus.DELIVERED
    late = mark_delivery_report(db, tenant.id, CHANNEL, "m1", "sent")  # a late "sent" report
    assert late.status == DeliveryStatus.DELIVERED and late.delivered_at is not None
    assert not advance_delivery(db, row.id, DeliveryStatus.FAILED)  # no failure after delivery
    assert advance_delivery(db, row.id, DeliveryStatus.READ)
    assert not advance_delivery(db, row.id, DeliveryStatus.DELIVERED)
    db.commit()
    [row] = _rows(db)
    assert row.status == DeliveryStatus.READ and row.read_at is not None
    # the report lookup is the tenant's: another tenant's report for the same provider id finds nothing
    make_account(other_tenant)
    assert mark_delivery_report(db, other_tenant.id, CHANNEL, "m1", "failed") is None
    db.commit()
    assert _rows(db)[0].status == DeliveryStatus.READ


def test_a_report_before_the_provider_id_is_recorded_is_applied_when_it_is(db, tenant, other_tenant, make_account,
                                                                           provider, worker):
    from scrm.core.models import EarlyDeliveryReport

    account = make_account(tenant)
    make_account(other_tenant)
    # the provider reports "m1" before the send job recorded it (fast providers answer within milliseconds)
    assert mark_delivery_report(db, tenant.id, CHANNEL, "m1", "delivered") is None
    assert mark_delivery_report(db, tenant.id, CHANNEL, "m1", "sent") is None  # the furthest report is kept
    assert mark_delivery_report(db, other_tenant.id, CHANNEL, "m1", "failed", error_code="E9") is None
    db.commit()
    row = send_message(db, tenant.id, account=account, recipient="13800000001", message=HELLO,
                       purpose="notification")
    db.commit()
    worker.join(timeout=20)
    [row] = _rows(db, tenant.id)
    assert row.provider_id == "m1" and row.status == DeliveryStatus.DELIVERED and row.delivered_at is not None
    assert row.error_code is None  # another tenant's report of the same id never reaches this row
    kept = list(db.exec(select(EarlyDeliveryReport)))
    assert [(k.tenant_id, k.status) for k in kept] == [(other_tenant.id, "failed")]
    # a kept report nobody claims is pruned after EARLY_REPORT_KEPT, not before
    assert outbound_jobs.prune_early_reports(db.get_bind(), now=utcnow()) == 0
    assert outbound_jobs.prune_early_reports(db.get_bind(), now=utcnow() + timedelta(days=1, minutes=1)) == 1


def test_an_early_report_moves_the_row_forward_only(db, tenant, make_account, provider, worker):
    account = make_account(tenant)
    assert mark_delivery_report(db, tenant.id, CHANNEL, "m1", "sent") is None
    db.commit()
    send_message(db, tenant.id, account=account, recipient="13800000001", message=HELLO, purpose="notification")
    db.commit()
    worker.join(timeout=20)
    [row] = _rows(db, tenant.id)
    assert row.status == DeliveryStatus.SENT and row.provider_id == "m1"
    assert mark_delivery_report(db, tenant.id, CHANNEL, "m1", "read").status == DeliveryStatus.READ


def _sending_row(db, tenant, account, key):
    row = MessageDelivery(tenant_id=tenant.id, channel=CHANNEL, account_id=account.id, recipient="1",
                          idempotency_key=key, status=DeliveryStatus.SENDING)
    db.add(row)
    db.commit()
    return row


@pytest.mark.timeout(60)
def test_a_report_and_the_send_recording_its_id_at_once_lose_nothing(db, tenant, make_account, provider):
    """The two transactions overlap both ways; whichever commits second sees the other's write."""
    import threading

    from sqlmodel import Session

    from scrm.core.outbound import ledger

    engine = db.get_bind()
    account = make_account(tenant)
    first, second = _sending_row(db, tenant, account, "a"), _sending_row(db, tenant, account, "b")

    def record(row_id, provider_id):
        with Session(engine) as session:
            ledger.record_sent(session, session.get(MessageDelivery, row_id), DeliveryStatus.SENT, provider_id)
            session.commit()

    # 1. the report is written but not committed while the send job records the id
    with Session(engine) as reporting:
        assert mark_delivery_report(reporting, tenant.id, CHANNEL, "p1", "delivered") is None
        sender = threading.Thread(target=record, args=(first.id, "p1"))
        sender.start()
        sender.join(timeout=0.5)
        reporting.commit()
    sender.join(timeout=30)
    # 2. the send job recorded the id but has not committed while the report comes in
    with Session(engine) as sending:
        ledger.record_sent(sending, sending.get(MessageDelivery, second.id), DeliveryStatus.SENT, "p2")
        results = []
        reporter = threading.Thread(target=lambda: results.append(_report(engine, tenant.id, "p2")))
        reporter.start()
        reporter.join(timeout=0.5)
        sending.commit()
    reporter.join(timeout=30)
    assert [row.status for row in _rows(db, tenant.id)] == [DeliveryStatus.DELIVERED, DeliveryStatus.DELIVERED]
    assert results == [True]


def _report(engine, tenant_id, provider_id):
    from sqlmodel import Session

    with Session(engine) as session:
        found = mark_delivery_report(session, tenant_id, CHANNEL, provider_id, "delivered") is not None
        session.commit()
        return found


def test_a_skipped_or_failed_row_stays_so(db, tenant, make_account, provider, worker):
    account = make_account(tenant)
    row = send_message(db, tenant.id, account=account, recipient="bad-2", message=HELLO, purpose="notification")
    db.commit()
    worker.join(timeout=20)
    for status in ("queued", "sending", "sent", "delivered", "read", "skipped"):
        if status == "queued":
            continue
        assert not advance_delivery(db, row.id, status)
    db.commit()
    assert _rows(db)[0].status == DeliveryStatus.FAILED


def test_retryable_failures_end_failed_with_the_providers_code_after_the_last_attempt(
        db, tenant, make_account, provider, worker, monkeypatch):
    monkeypatch.setattr(outbound_jobs, "MAX_ATTEMPTS", 2)
    monkeypatch.setitem(outbound_jobs.send_delivery.options, "min_backoff", 100)
    monkeypatch.setitem(outbound_jobs.send_delivery.options, "max_backoff", 200)
    account = make_account(tenant)
    send_message(db, tenant.id, account=account, recipient="busy-1", message=HELLO, purpose="notification")
    db.commit()
    worker.join(timeout=30)
    [row] = _rows(db)
    assert row.status == DeliveryStatus.FAILED and row.error_code == "busy" and row.attempts == 2
    assert provider.count() == 2


def test_the_broker_down_at_commit_loses_no_send(db, tenant, make_account, provider, worker, monkeypatch):
    account = make_account(tenant)

    def down(jobs):
        raise ConnectionError("broker unreachable")

    with monkeypatch.context() as patch:
        patch.setattr(worker, "send_many", down)
        send_message(db, tenant.id, account=account, recipient="13800000001", message=HELLO,
                     purpose="notification")
        db.commit()  # the commit succeeds; the hand-over fails
    worker.join(timeout=20)
    [row] = _rows(db)
    assert row.status == DeliveryStatus.QUEUED and row.enqueued_at is None and provider.count() == 0
    assert outbound_jobs.relay_deliveries(worker.engine) == 0  # too young: the commit's own hand-over may be running
    assert outbound_jobs.relay_deliveries(worker.engine, now=utcnow() + timedelta(minutes=1)) == 1
    worker.join(timeout=20)
    [row] = _rows(db)
    assert row.status == DeliveryStatus.SENT and provider.count() == 1
    assert outbound_jobs.relay_deliveries(worker.engine, now=utcnow() + timedelta(hours=1)) == 0


def test_a_send_left_in_flight_is_settled_without_sending_again(db, tenant, make_account, provider, worker):
    account = make_account(tenant)
    row = send_message(db, tenant.id, account=account, recipient="13800000001", message=HELLO,
                       purpose="notification")
    db.commit()
    worker.join(timeout=20)
    # a worker died after claiming a second row (sending) and maybe after the provider call
    lost = send_message(db, tenant.id, account=account, recipient="13800000002", message=HELLO,
                        purpose="notification", idempotency_key="lost")
    lost.status, lost.attempts, lost.sending_at = DeliveryStatus.SENDING, 1, utcnow()
    db.add(lost)
    db.commit()
    worker.join(timeout=20)
    platform = worker.platform
    assert outbound_jobs.resolve_unknown(worker.engine, platform) == 0  # not stale yet
    outbound_jobs.send_delivery.send(tenant.id, delivery_id=lost.id)  # a redelivered job
    worker.join(timeout=20)
    assert provider.count() == 1
    assert outbound_jobs.resolve_unknown(worker.engine, platform, now=utcnow() + timedelta(minutes=10)) == 1
    rows = _rows(db)
    assert rows[1].status == DeliveryStatus.FAILED and rows[1].error_code == "unknown_outcome"
    assert provider.count() == 1 and rows[0].id == row.id


def test_a_channel_that_can_be_asked_settles_an_unknown_outcome(db, tenant, make_account, provider, worker):
    account = make_account(tenant, queryable=True)
    send_message(db, tenant.id, account=account, recipient="13800000001", message=HELLO, purpose="notification",
                 idempotency_key="k1")
    db.commit()
    worker.join(timeout=20)
    db.exec(select(MessageDelivery)).one()
    # the provider took "k1" but the worker died before recording it
    db.execute(MessageDelivery.__table__.update().values(status=DeliveryStatus.SENDING, provider_id=None))
    db.commit()
    assert outbound_jobs.resolve_unknown(worker.engine, worker.platform, now=utcnow() + timedelta(minutes=10)) == 1
    [row] = _rows(db)
    assert row.status == DeliveryStatus.SENT and row.provider_id == "m1" and provider.count() == 1


def test_a_send_job_of_a_disabled_channel_skips_its_row(db, tenant, make_account, provider, worker):
    from scrm.core.models import TenantPlugin

    account = make_account(tenant)
    send_message(db, tenant.id, account=account, recipient="13800000001", message=HELLO, purpose="notification")
    # the channel is switched off between the commit and the job (another process disabled it)
    db.execute(TenantPlugin.__table__.update().where(TenantPlugin.__table__.c.tenant_id == tenant.id,
                                                     TenantPlugin.__table__.c.plugin == CHANNEL).values(enabled=False))
    db.commit()
    worker.enablement.forget()
    worker.join(timeout=20)
    [row] = _rows(db)
    assert row.status == DeliveryStatus.SKIPPED and row.error_code == "plugin_disabled" and provider.count() == 0


def test_bulk_plans_in_chunks_with_exclusions_and_resumes(db, tenant, enable_plugins, make_account, provider,
                                                          broker, monkeypatch):
    from scrm_members.segments import blacklist

    enable_plugins(tenant, "members")
    account = make_account(tenant)
    customers = [Customer(tenant_id=tenant.id, name=f"c{i}", mobile=f"139{i:08d}") for i in range(2500)]
    db.add_all(customers)
    db.flush()
    blacklist.add(db, tenant.id, [customers[10].id, customers[2400].id], "asked to stop", None)
    db.commit()
    audience = select(Customer.id, Customer.mobile).where(Customer.tenant_id == tenant.id)
    import scrm.core.outbound.bulk as bulk_module

    hand_overs, real_send_many = [], broker.send_many
    real_exclusions = bulk_module.exclusion_reasons

    def broker_down_for_the_second_chunk(jobs):
        hand_overs.append(1)
        if len(hand_overs) == 2:
            raise ConnectionError("broker unreachable")
        return real_send_many(jobs)

    def crash_in_the_third_chunk(*args, **kwargs):
        if len(hand_overs) == 2:
            raise RuntimeError("process killed")
        return real_exclusions(*args, **kwargs)

    with monkeypatch.context() as patch:
        patch.setattr(broker, "send_many", broker_down_for_the_second_chunk)
        patch.setattr(bulk_module, "exclusion_reasons", crash_in_the_third_chunk)
        with pytest.raises(RuntimeError):
            plan_bulk_send(db, tenant.id, account=account, message=HELLO, purpose="mass_send", task_ref="mass:1",
                           audience=audience)
    assert len(_rows(db)) == 2000  # two chunks committed; the second's jobs never reached the broker
    plan = plan_bulk_send(db, tenant.id, account=account, message=HELLO, purpose="mass_send", task_ref="mass:1",
                          audience=audience)
    assert (plan.queued, plan.skipped, plan.chunks) == (499, 1, 1)  # resumed after the last planned customer
    rows = _rows(db)
    assert len(rows) == 2500 and len({r.idempotency_key for r in rows}) == 2500
    skipped = [r for r in rows if r.status == DeliveryStatus.SKIPPED]
    assert {r.customer_id for r in skipped} == {customers[10].id, customers[2400].id}
    assert all(r.error_code == "excluded" and "asked to stop" in r.error for r in skipped)
    stranded = [r for r in rows if r.status == DeliveryStatus.QUEUED and r.enqueued_at is None]
    assert len(stranded) == 1000  # the second chunk, refused by the broker: the relay's part
    assert outbound_jobs.relay_deliveries(broker.engine, now=utcnow() + timedelta(minutes=1)) == 1000
    # rows handed over but never sent (a broker that lost them, a process killed before the hand-over) are taken
    # again once their stamp is stale
    assert outbound_jobs.relay_deliveries(broker.engine, now=utcnow() + timedelta(minutes=20)) == 2498
    again = plan_bulk_send(db, tenant.id, account=account, message=HELLO, purpose="mass_send", task_ref="mass:1",
                           audience=iter([(c.id, c.mobile) for c in customers[:5]]))
    assert again.already == 5 and again.queued == 0 and len(_rows(db)) == 2500
    # the cap of one mass send a day applies to the next task
    capped = plan_bulk_send(db, tenant.id, account=account, message=HELLO, purpose="mass_send", task_ref="mass:2",
                            audience=iter([(c.id, c.mobile) for c in customers[:3]]))
    assert capped.skipped == 3 and capped.queued == 0
    broker.flush()


def test_bulk_rows_and_report_lookups_stay_in_their_tenant(db, tenant, other_tenant, make_account, provider, worker):
    mine, theirs = make_account(tenant), make_account(other_tenant)
    plan_bulk_send(db, tenant.id, account=mine, message=HELLO, purpose="notification", task_ref="n:1",
                   audience=[(None, "a1"), (None, "a2")])
    plan_bulk_send(db, other_tenant.id, account=theirs, message=HELLO, purpose="notification", task_ref="n:1",
                   audience=[(None, "b1")])
    worker.join(timeout=20)
    assert {r.recipient for r in _rows(db, tenant.id)} == {"a1", "a2"}
    assert {r.recipient for r in _rows(db, other_tenant.id)} == {"b1"}
    theirs_row = _rows(db, other_tenant.id)[0]
    assert mark_delivery_report(db, tenant.id, CHANNEL, theirs_row.provider_id, "delivered") is None
    assert mark_delivery_report(db, other_tenant.id, CHANNEL, theirs_row.provider_id, "delivered") is not None
    db.commit()
    assert all(r.status == DeliveryStatus.SENT for r in _rows(db, tenant.id))
    with pytest.raises(UnknownChannel):
        plan_bulk_send(db, tenant.id, account=theirs, message=HELLO, purpose="notification", task_ref="n:2",
                       audience=[(None, "x")])


def test_the_batch_exclusion_hook_answers_like_the_single_one(db, platform, tenant, enable_plugins):
    """``customer_exclusion_reasons`` (members' blacklist) gives the answers ``customer_exclusion_reason`` gives."""
    from scrm_members.segments import blacklist

    from scrm.core.outbound.exclusion import exclusion_reason, exclusion_reasons

    enable_plugins(tenant, "members")
    people = [_customer(db, tenant, f"p{i}", f"1370000000{i}") for i in range(4)]
    blacklist.add(db, tenant.id, [people[1].id, people[3].id], "no", None)
    db.commit()
    t = db.merge(tenant)
    hooks = platform.hooks(db, t)
    ids = [p.id for p in people]
    for purpose in ("mass_send", "notification"):
        batch = exclusion_reasons(hooks, db, t, ids, purpose)
        single = {cid: exclusion_reason(hooks, db, t, cid, purpose) for cid in ids}
        assert batch == {cid: reason for cid, reason in single.items() if reason}
    assert set(exclusion_reasons(hooks, db, t, ids, "mass_send")) == {people[1].id, people[3].id}


def test_a_send_job_for_another_tenant_touches_nothing(db, tenant, other_tenant, make_account, provider, broker):
    """A job naming the wrong tenant (or another tenant's account) neither claims nor sends the row."""
    account = make_account(tenant)
    theirs = make_account(other_tenant)
    row = send_message(db, tenant.id, account=account, recipient="13800000001", message=HELLO,
                       purpose="notification")
    db.commit()
    broker.flush()
    outbound_jobs.send_delivery.fn(other_tenant.id, delivery_id=row.id, account_id=theirs.id)
    outbound_jobs.send_delivery.fn(other_tenant.id, delivery_id=row.id, account_id=account.id)
    outbound_jobs.send_delivery.fn(other_tenant.id, delivery_id=row.id)
    assert provider.count() == 0 and _rows(db)[0].status == DeliveryStatus.QUEUED
    outbound_jobs.send_delivery.fn(tenant.id, delivery_id=row.id, account_id=account.id)
    assert provider.count() == 1 and _rows(db)[0].status == DeliveryStatus.SENT


def test_the_in_process_throttle_spaces_slots_and_guards_each_second():
    from scrm.core.outbound.throttle import CATCH_UP, HEADROOM, LocalThrottle

    throttle = LocalThrottle()
    waits = [throttle.reserve("a", 10, max_wait=5) for _ in range(12)]
    interval = 1 / (10 * HEADROOM)
    assert waits == sorted(waits) and waits[0] == 0
    assert abs(waits[-1] - (11 * interval - CATCH_UP)) < 0.02  # one slot per interval after the catch-up allowance
    assert throttle.reserve("a", 10, max_wait=0.1) is None  # a slot too far is not booked
    assert throttle.reserve("b", 10, max_wait=0.1) == 0  # accounts do not share slots
    assert all(throttle.admit("c", 10) == 0 for _ in range(10))
    assert throttle.admit("c", 10) > 0.9  # an eleventh send within the second waits for the first to age out
