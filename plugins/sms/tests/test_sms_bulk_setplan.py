"""Set-based planning of bulk sends (issue 13, performance): the ledger rows by INSERT ... SELECT through the channel
kit's ``plan_bulk_set``, a crash mid-plan resumed without duplicates and with the quota exact, the blacklist and the
opt-out list applied as SQL (their segments released in the chunk's transaction), concurrent sends exact on
PostgreSQL, tenant isolation."""

from __future__ import annotations

import threading

import pytest
from sqlmodel import Session, func, select


@pytest.fixture
def sms(app, db, tenant, enable_plugins, make_channel_account):
    from sms_testkit import approve_signature

    enable_plugins(tenant, "members", "sms")
    account = make_channel_account(tenant, "sms", name="阿里云短信", config={"rate_limit": 50})
    approve_signature(db, tenant.id, account.id, "星巢生活")
    return account


def _tagged(db, tenant, n, prefix="135", names=None, tag_name="金卡会员"):
    from scrm.sdk import Customer, CustomerTag, Tag, TagGroup

    group = TagGroup(tenant_id=tenant.id, name=f"会员等级·{tag_name}")
    db.add(group)
    db.flush()
    tag = Tag(tenant_id=tenant.id, group_id=group.id, name=tag_name)
    db.add(tag)
    db.flush()
    people = []
    for i in range(n):
        c = Customer(tenant_id=tenant.id, name=(names[i % len(names)] if names else f"顾客{i}"),
                     mobile=f"{prefix}{i:08d}")
        db.add(c)
        people.append(c)
    db.flush()
    db.add_all([CustomerTag(tenant_id=tenant.id, customer_id=c.id, tag_id=tag.id) for c in people])
    db.commit()
    return tag, people


def _create(db, tenant, account, tag, **kw):
    from scrm_sms.bulk import service

    args = dict(account_id=account.id, category="marketing", signature="星巢生活",
                content="${customer_nickname}您好，周末会员日全场8折", audience={"mode": "tags", "tag_ids": [tag.id]})
    args.update(kw)
    bulk = service.create(db, tenant, **args)
    db.commit()
    return bulk


def _rows(db, bulk):
    from scrm.sdk import MessageDelivery

    db.expire_all()
    return db.exec(select(MessageDelivery).where(MessageDelivery.tenant_id == bulk.tenant_id,
                                                 MessageDelivery.task_ref.like(f"sms_bulk:{bulk.id}:%"))
                   .order_by(MessageDelivery.id)).all()


def _accept_all(db, bulk):
    from scrm.sdk import advance_delivery

    for row in _rows(db, bulk):
        if row.status == "queued":
            advance_delivery(db, row.id, "sent", provider_id=f"p{row.id}")
    db.commit()


def test_a_plan_broken_mid_way_resumes_with_exact_rows_and_quota(app, db, tenant, sms, monkeypatch):
    """Names of 1 and of 2 segments; the planner dies in its third chunk: the first two chunks are committed with
    their cursor, the rerun writes the rest once, and the quota settles exactly."""
    from scrm_sms.bulk import service
    from scrm_sms.quota import service as quota

    from scrm.core.outbound import setplan

    quota.top_up(db, tenant.id, "marketing", 5000)
    long_name = "很" * 50  # 【星巢生活】 (6) + 50 + 12 + " 回TD退订" (6) = 74 > 70: two segments
    tag, people = _tagged(db, tenant, 2500, names=["李", long_name, "王芳"])
    bulk = _create(db, tenant, sms, tag)
    two = sum(1 for p in people if p.name == long_name)
    assert bulk.classes == {"1": 2500 - two, "2": two} and bulk.estimated == 2500 + two
    real, calls = setplan._insert, []

    def dies_in_the_third_chunk(*args, **kwargs):
        calls.append(1)
        if len(calls) == 3:
            raise RuntimeError("worker killed")
        return real(*args, **kwargs)

    monkeypatch.setattr(service, "PAGE", 100)  # chunks of 1,000 (PAGE x 10)
    with monkeypatch.context() as patch:
        patch.setattr(setplan, "_insert", dies_in_the_third_chunk)
        with pytest.raises(RuntimeError):
            service.plan_wave(db, bulk, None)
    db.rollback()
    db.refresh(bulk)
    assert len(_rows(db, bulk)) == 2000 and bulk.planned == 2000 and bulk.cursor == people[1999].id
    assert not bulk.plan_done
    service.plan_wave(db, bulk, None)
    db.refresh(bulk)
    rows = _rows(db, bulk)
    assert len(rows) == 2500 and len({r.customer_id for r in rows}) == 2500 and bulk.plan_done
    assert {r.idempotency_key for r in rows} == {f"sms_bulk:{bulk.id}:{p.id}" for p in people}
    by_class = {r.customer_id: int(r.task_ref.rsplit(":", 1)[1]) for r in rows}
    assert all(by_class[p.id] == (2 if p.name == long_name else 1) for p in people)
    assert all(r.message["payload"]["segments"] == by_class[r.customer_id] for r in rows)
    bulk.cursor = None  # the cursor lost too: the idempotency keys still write nothing twice
    service.plan_wave(db, bulk, None)
    assert len(_rows(db, bulk)) == 2500
    _accept_all(db, bulk)
    bulk.status = "sending"
    service.settle(db, bulk)
    b = quota.balance(db, tenant.id, "marketing")
    assert (b.sent, b.reserved, b.available, b.purchased) == (2500 + two, 0, 5000 - 2500 - two, 5000)


def test_the_blacklist_and_the_opt_out_list_apply_in_sql_and_release_at_once(app, db, tenant, sms):
    """A blacklisted member and a member whose second mobile (an identity) replied TD get skipped rows with the
    reason; their segments return to the quota in the planning transaction, before any settlement."""
    from scrm_members.segments import blacklist
    from scrm_sms.bulk import service
    from scrm_sms.optout import service as optout
    from scrm_sms.quota import service as quota

    from scrm.sdk import CustomerIdentity

    quota.top_up(db, tenant.id, "marketing", 100)
    tag, people = _tagged(db, tenant, 6)
    blacklist.add(db, tenant.id, [people[1].id], "投诉", None)
    db.add(CustomerIdentity(tenant_id=tenant.id, customer_id=people[4].id, kind="mobile", value="13911112222"))
    db.commit()
    optout.unsubscribe(db, tenant.id, "13911112222")
    db.commit()
    bulk = _create(db, tenant, sms, tag, content="周末会员日全场8折")
    assert quota.balance(db, tenant.id, "marketing").available == 94
    service.dispatch_once(db, bulk.id, tenant.id, wave=None)
    rows = {r.customer_id: r for r in _rows(db, bulk)}
    skipped = {cid for cid, r in rows.items() if r.status == "skipped"}
    assert skipped == {people[1].id, people[4].id}
    assert "投诉" in rows[people[1].id].error and rows[people[4].id].error == optout.REASON
    assert all(rows[cid].error_code == "excluded" and rows[cid].enqueued_at is None for cid in skipped)
    db.refresh(bulk)
    assert bulk.released == 2 and quota.balance(db, tenant.id, "marketing").available == 96
    _accept_all(db, bulk)
    service.dispatch_once(db, bulk.id, tenant.id)
    db.refresh(bulk)
    b = quota.balance(db, tenant.id, "marketing")
    assert bulk.status == "finished" and (bulk.consumed, bulk.released) == (4, 2)
    assert (b.available, b.reserved, b.sent) == (96, 0, 4)
    # notifications ignore both lists
    quota.top_up(db, tenant.id, "notification", 10)
    db.commit()
    note = _create(db, tenant, sms, tag, category="notification", content="您的积分即将到期")
    service.dispatch_once(db, note.id, tenant.id, wave=None)
    assert all(r.status == "queued" for r in _rows(db, note))


def test_concurrent_set_based_sends_keep_the_quota_exact_on_postgresql(app, db, tenant, sms):
    """Two tag sends (one with exclusions) confirmed, planned and settled at once: exact to the segment."""
    from scrm_members.segments import blacklist
    from scrm_sms.bulk import service
    from scrm_sms.bulk.models import SmsBulkSend
    from scrm_sms.quota import service as quota

    from scrm.sdk import Tenant, advance_delivery

    engine = db.get_bind()
    if engine.dialect.name != "postgresql":
        pytest.skip("concurrent writers need PostgreSQL")
    tid, account_id = tenant.id, sms.id
    quota.top_up(db, tid, "marketing", 8000)
    tag_a, people_a = _tagged(db, tenant, 2200, "136", names=["李", "很" * 50], tag_name="甲")
    tag_b, people_b = _tagged(db, tenant, 1700, "137", tag_name="乙")
    blacklist.add(db, tid, [p.id for p in people_b[:50]], "投诉", None)
    db.commit()
    ids, errors = [], []

    def run(tag_id):
        try:
            with Session(engine, expire_on_commit=False) as s:
                bulk = service.create(s, s.get(Tenant, tid), account_id=account_id, category="marketing",
                                      signature="星巢生活", content="${customer_nickname}您好，周末会员日全场8折",
                                      audience={"mode": "tags", "tag_ids": [tag_id]})
                s.commit()
                ids.append(bulk.id)
                service.dispatch_once(s, bulk.id, tid, wave=None)
        except Exception as exc:  # noqa: BLE001
            errors.append(exc)

    threads = [threading.Thread(target=run, args=(t,)) for t in (tag_a.id, tag_b.id)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    assert not errors and len(ids) == 2
    db.expire_all()
    for bulk_id in ids:
        for i, row in enumerate(_rows(db, db.get(SmsBulkSend, bulk_id)), 1):
            if row.status == "queued":
                if i % 9 == 0:
                    advance_delivery(db, row.id, "failed", error_code="isv.MOBILE_NUMBER_ILLEGAL")
                else:
                    advance_delivery(db, row.id, "sent", provider_id=f"p{row.id}")
        db.commit()

    def settle(bulk_id):
        with Session(engine, expire_on_commit=False) as s:
            for _ in range(3):
                service.dispatch_once(s, bulk_id, tid)

    threads = [threading.Thread(target=settle, args=(i,)) for i in ids for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    db.expire_all()
    bulks = [db.get(SmsBulkSend, i) for i in ids]
    accepted = sum(int(r.task_ref.rsplit(":", 1)[1]) for x in bulks for r in _rows(db, x)
                   if r.provider_id is not None)
    b = quota.balance(db, tid, "marketing")
    assert all(x.status == "finished" for x in bulks), [(x.status, x.plan_done, x.pending_count) for x in bulks]
    assert b.sent == accepted == sum(x.consumed for x in bulks)
    assert b.reserved == 0 and b.available == 8000 - accepted and b.purchased == 8000
    assert sum(x.released for x in bulks) == sum(x.estimated for x in bulks) - accepted


def test_planning_stays_in_its_tenant(app, db, tenant, other_tenant, sms, enable_plugins, make_channel_account):
    """The other brand's customers with the same numbers, tag names and unsubscribe list are never planned or
    consulted; a dispatch job named for the other tenant plans nothing."""
    from scrm_sms.bulk import service
    from scrm_sms.optout import service as optout
    from scrm_sms.quota import service as quota

    from scrm.sdk import MessageDelivery

    quota.top_up(db, tenant.id, "marketing", 100)
    enable_plugins(other_tenant, "members", "sms")
    tag, people = _tagged(db, tenant, 4)
    _tagged(db, other_tenant, 4)  # the same numbers and tag name in the other brand
    optout.unsubscribe(db, other_tenant.id, people[0].mobile)  # their list, not ours
    db.commit()
    bulk = _create(db, tenant, sms, tag)
    assert service.dispatch_once(db, bulk.id, other_tenant.id, wave=None) is None
    assert db.exec(select(func.count()).select_from(MessageDelivery)).one() == 0
    service.dispatch_once(db, bulk.id, tenant.id, wave=None)
    rows = _rows(db, bulk)
    assert sorted(r.customer_id for r in rows) == sorted(p.id for p in people)
    assert all(r.status == "queued" and r.tenant_id == tenant.id for r in rows)
    assert db.exec(select(func.count()).select_from(MessageDelivery).where(
        MessageDelivery.tenant_id == other_tenant.id)).one() == 0


def test_a_bulk_row_reads_its_nickname_and_the_unsubscribe_list_in_one_query(app, db, tenant, sms):
    """The send of a bulk-send row renders the nickname and declines a number listed after the planning, with one
    query for both; the channel's own list check is not repeated for it."""
    from scrm_sms.bulk import delivery, service
    from scrm_sms.optout import service as optout
    from scrm_sms.quota import service as quota
    from sqlalchemy import event

    from scrm.sdk import OutboundMessage, Outgoing, SendResult

    quota.top_up(db, tenant.id, "marketing", 10)
    tag, people = _tagged(db, tenant, 2, names=["李娜"])
    bulk = _create(db, tenant, sms, tag)
    service.dispatch_once(db, bulk.id, tenant.id, wave=None)
    rows = _rows(db, bulk)
    optout.unsubscribe(db, tenant.id, people[1].mobile)
    db.commit()
    statements: list[str] = []

    def seen(conn, cursor, statement, *args):
        if statement.lstrip().upper().startswith("SELECT"):
            statements.append(statement)

    def outgoing(row):
        return Outgoing(delivery_id=row.id, tenant_id=tenant.id, idempotency_key=row.idempotency_key,
                        recipient=row.recipient, customer_id=row.customer_id, purpose=row.purpose,
                        message=OutboundMessage.from_json(row.message))

    sent = []
    engine = db.get_bind()
    delivery._bulks.clear()
    delivery.prepare_bulk(outgoing(rows[0]))  # the send's row read once (cached for two seconds)
    event.listen(engine, "before_cursor_execute", seen)
    try:
        first = delivery.around_deliver(outgoing(rows[0]), lambda o: sent.append(o) or SendResult.sent("v1"))
        assert len(statements) == 1
        second = delivery.around_deliver(outgoing(rows[1]), lambda o: sent.append(o) or SendResult.sent("v2"))
    finally:
        event.remove(engine, "before_cursor_execute", seen)
    assert first.ok and sent[0].message.payload["content"].startswith("【星巢生活】李娜您好")
    assert sent[0].message.payload["unsubscribe_checked"] is True
    assert not second.ok and second.skipped and second.error_code == "sms_unsubscribed" and len(sent) == 1
