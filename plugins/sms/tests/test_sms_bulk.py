"""Bulk sends (spec 3.9, issue 13 item 3): audience, validation, estimate (70/67 per recipient), quota reserved at
confirmation and settled exactly from the ledger, cancel releases, scheduled send not before its time, isolation."""

from __future__ import annotations

import threading
from datetime import timedelta

import pytest
from sqlmodel import Session, func, select


@pytest.fixture
def sms(app, db, tenant, enable_plugins, make_channel_account):
    from sms_testkit import approve_signature

    enable_plugins(tenant, "members", "sms")
    account = make_channel_account(tenant, "sms", name="阿里云短信", config={"rate_limit": 50})
    approve_signature(db, tenant.id, account.id, "星巢生活")
    return account


def _create(db, tenant, account, **kw):
    from scrm_sms.bulk import service

    args = dict(account_id=account.id, category="notification", signature="星巢生活",
                content="您的会员积分即将到期，请及时使用。", audience={"mode": "phones", "text": "13800000001"})
    args.update(kw)
    bulk = service.create(db, tenant, **args)
    db.commit()
    return bulk


def _counts(db, tenant_id):
    from scrm_sms.bulk.models import SmsBulkSend
    from scrm_sms.quota import service as quota

    return (db.exec(select(func.count()).select_from(SmsBulkSend).where(SmsBulkSend.tenant_id == tenant_id)).one(),
            quota.balance(db, tenant_id, "marketing"), quota.balance(db, tenant_id, "notification"))


def _finish_rows(db, bulk, fail_every: int = 0):
    """What the provider and the carrier answer, row by row: accepted (sent) or refused (failed)."""
    from scrm.sdk import MessageDelivery, advance_delivery

    rows = db.exec(select(MessageDelivery).where(MessageDelivery.task_ref.like(f"sms_bulk:{bulk.id}:%"))
                   .order_by(MessageDelivery.id)).all()
    for i, row in enumerate(rows, 1):
        if row.status != "queued":
            continue
        if fail_every and i % fail_every == 0:
            advance_delivery(db, row.id, "failed", error_code="isv.MOBILE_NUMBER_ILLEGAL")
        else:
            advance_delivery(db, row.id, "sent", provider_id=f"p{row.id}")
    db.commit()
    return rows


def test_pasted_numbers_are_validated_deduplicated_and_counted():
    from scrm_sms.bulk.service import parse_phones

    p = parse_phones("13800000001\n+86138-0000-0002, 13800000001；12345\nabc 19912345678")
    assert p.valid == ["13800000001", "13800000002", "19912345678"]
    assert p.invalid == ["12345", "abc"] and p.duplicates == 1


def test_bad_input_is_refused_and_changes_nothing(db, tenant, sms):
    from scrm_sms.bulk.service import BulkError
    from scrm_sms.quota import service as quota

    quota.top_up(db, tenant.id, "notification", 100)
    db.commit()
    before = _counts(db, tenant.id)
    cases = [
        ({"audience": {"mode": "phones", "text": "123\nabc"}}, "EMPTY_AUDIENCE"),
        ({"audience": {"mode": "tags", "tag_ids": []}}, "EMPTY_AUDIENCE"),
        ({"content": "好" * 495}, "INVALID_INPUT"),
        ({"content": ""}, "INVALID_INPUT"),
        ({"template_id": 987654}, "TEMPLATE_NOT_APPROVED"),
        ({"category": "ads"}, "INVALID_INPUT"),
        ({"signature": "【星巢】"}, "INVALID_INPUT"),
    ]
    for kw, code in cases:
        with pytest.raises(BulkError) as err:
            _create(db, tenant, sms, **kw)
        db.rollback()
        assert err.value.code == code, kw
    assert _counts(db, tenant.id) == before
    bulk = _create(db, tenant, sms, content="好" * 494)  # the limit itself passes
    assert bulk.estimated == 8  # 【星巢生活】 + 494 = 500 characters: ceil(500 / 67) = 8


def test_unapproved_template_is_refused(db, tenant, sms):
    from scrm_sms.bulk.service import BulkError
    from scrm_sms.quota import service as quota
    from scrm_sms.smstemplates.models import SmsTemplate

    quota.top_up(db, tenant.id, "notification", 100)
    pending = SmsTemplate(tenant_id=tenant.id, kind="custom", name="待审核模板", content="您好", category="notification",
                          status="pending")
    db.add(pending)
    db.commit()
    with pytest.raises(BulkError) as err:
        _create(db, tenant, sms, template_id=pending.id)
    assert err.value.code == "TEMPLATE_NOT_APPROVED"


def test_insufficient_balance_refuses_with_a_clear_message(db, tenant, sms):
    from scrm_sms.bulk.service import BulkError
    from scrm_sms.quota import service as quota

    quota.top_up(db, tenant.id, "notification", 1)
    db.commit()
    with pytest.raises(BulkError) as err:
        _create(db, tenant, sms, audience={"mode": "phones", "text": "13800000001 13800000002"})
    assert err.value.code == "INSUFFICIENT_BALANCE" and "INSUFFICIENT_BALANCE" in err.value.message
    db.rollback()
    assert quota.balance(db, tenant.id, "notification").available == 1
    assert _counts(db, tenant.id)[0] == 0


def test_estimate_counts_each_recipients_segments(db, tenant, sms, make_customer):
    """70 characters are one message, 71 are two (67 each): a long nickname moves its recipient to 2 segments."""
    from scrm_sms.bulk import service
    from scrm_sms.quota import service as quota

    quota.top_up(db, tenant.id, "notification", 100)
    db.commit()
    short = make_customer(tenant, name="李", mobile="13800000011")
    long_ = make_customer(tenant, name="欧阳娜娜", mobile="13800000012")
    # 【星巢生活】 (6) + 61 + nickname: 李 -> 68 characters (1), 欧阳娜娜 -> 71 (2)
    body = "${customer_nickname}" + "您" * 61
    bulk = _create(db, tenant, sms, content=body,
                   audience={"mode": "phones", "text": f"{short.mobile}\n{long_.mobile}"})
    assert bulk.classes == {"1": 1, "2": 1} and bulk.estimated == 3 and bulk.reserved == 3
    assert quota.balance(db, tenant.id, "notification").available == 97
    c = service.Composer("星巢生活", "您" * 64, "notification")
    assert c.segments("") == 1  # 70
    c = service.Composer("星巢生活", "您" * 65, "notification")
    assert c.segments("") == 2  # 71


def test_plan_and_settle_are_exact_to_the_segment(app, db, tenant, sms):
    from scrm_sms.bulk import service
    from scrm_sms.quota import service as quota

    quota.top_up(db, tenant.id, "notification", 50)
    db.commit()
    numbers = "\n".join(f"1380000{i:04d}" for i in range(10))
    bulk = _create(db, tenant, sms, content="您" * 70, audience={"mode": "phones", "text": numbers})
    assert bulk.estimated == 20  # 76 characters: 2 segments x 10
    service.dispatch_once(db, bulk.id, tenant.id)
    db.refresh(bulk)
    assert bulk.status == "sending" and bulk.plan_done
    _finish_rows(db, bulk, fail_every=5)  # 8 accepted, 2 refused
    service.dispatch_once(db, bulk.id, tenant.id)
    db.refresh(bulk)
    b = quota.balance(db, tenant.id, "notification")
    assert bulk.status == "finished" and (bulk.consumed, bulk.released) == (16, 4)
    assert (b.available, b.reserved, b.sent, b.purchased) == (34, 0, 16, 50)
    assert bulk.failed_count == 4 and bulk.sent_count == 16
    assert bulk.delivered_count + bulk.failed_count <= bulk.estimated
    service.dispatch_once(db, bulk.id, tenant.id)  # settling again changes nothing
    assert quota.balance(db, tenant.id, "notification") == b


def test_cancel_releases_what_was_not_sent(app, db, tenant, sms):
    from scrm_sms.bulk import service
    from scrm_sms.bulk.delivery import CANCELLED_CODE
    from scrm_sms.quota import service as quota

    from scrm.sdk import MessageDelivery, advance_delivery

    quota.top_up(db, tenant.id, "notification", 3000)
    db.commit()
    numbers = "\n".join(f"1390000{i:04d}" for i in range(2500))
    bulk = _create(db, tenant, sms, audience={"mode": "phones", "text": numbers})
    assert bulk.estimated == 2500
    service.dispatch_once(db, bulk.id, tenant.id, wave=1000)  # one wave of 1,000 planned
    db.refresh(bulk)
    assert bulk.planned == 1000 and not bulk.plan_done
    rows = db.exec(select(MessageDelivery).where(MessageDelivery.task_ref == f"sms_bulk:{bulk.id}:1")
                   .order_by(MessageDelivery.id)).all()
    for row in rows[:300]:
        advance_delivery(db, row.id, "sent", provider_id=f"p{row.id}")
    db.commit()
    assert service.cancel(db, bulk)
    db.commit()
    for row in rows[300:]:  # the queued ones are declined when their send job runs
        advance_delivery(db, row.id, "skipped", error_code=CANCELLED_CODE)
    db.commit()
    service.dispatch_once(db, bulk.id, tenant.id)
    db.refresh(bulk)
    b = quota.balance(db, tenant.id, "notification")
    assert bulk.status == "cancelled" and bulk.planned == 1000
    assert (b.available, b.reserved, b.sent) == (2700, 0, 300)


def test_pause_stops_new_waves_and_resume_continues(app, db, tenant, sms):
    from scrm_sms.bulk import service
    from scrm_sms.quota import service as quota

    quota.top_up(db, tenant.id, "notification", 3000)
    db.commit()
    bulk = _create(db, tenant, sms, audience={"mode": "phones",
                                              "text": "\n".join(f"1370000{i:04d}" for i in range(2100))})
    service.dispatch_once(db, bulk.id, tenant.id, wave=1000)
    assert service.pause(db, bulk)
    db.commit()
    _finish_rows(db, bulk)
    service.dispatch_once(db, bulk.id, tenant.id, wave=1000)
    db.refresh(bulk)
    assert bulk.status == "paused" and bulk.planned == 1000
    assert not service.pause(db, bulk)  # only running or scheduled sends pause
    assert service.resume(db, bulk)
    db.commit()
    for _ in range(4):
        service.dispatch_once(db, bulk.id, tenant.id, wave=1000)
        _finish_rows(db, bulk)
    service.dispatch_once(db, bulk.id, tenant.id, wave=1000)
    db.refresh(bulk)
    assert bulk.status == "finished" and bulk.planned == 2100
    b = quota.balance(db, tenant.id, "notification")
    assert (b.available, b.reserved, b.sent) == (900, 0, 2100)


def test_a_scheduled_send_fires_at_its_time_not_before(app, db, tenant, sms):
    from scrm_sms.bulk import service
    from scrm_sms.quota import service as quota

    from scrm.sdk import MessageDelivery, ScheduledJob, utcnow

    quota.top_up(db, tenant.id, "notification", 10)
    db.commit()
    at = utcnow() + timedelta(hours=2)
    bulk = _create(db, tenant, sms, send_at=at)
    job = db.exec(select(ScheduledJob).where(ScheduledJob.key == f"sms_bulk:{bulk.id}:a")).one()
    assert abs((job.due_at.replace(tzinfo=None) - at.replace(tzinfo=None)).total_seconds()) < 1
    again = service.dispatch_once(db, bulk.id, tenant.id)  # run early by mistake: nothing planned
    db.refresh(bulk)
    assert bulk.status == "scheduled" and again == bulk.send_at
    assert db.exec(select(func.count()).select_from(MessageDelivery)).one() == 0


def test_tag_and_segment_audiences(db, tenant, sms, make_customer):
    from scrm_sms.bulk import service
    from scrm_sms.quota import service as quota

    from scrm.sdk import CustomerTag, Tag, TagGroup

    quota.top_up(db, tenant.id, "marketing", 100)
    group = TagGroup(tenant_id=tenant.id, name="会员等级")
    db.add(group)
    db.flush()
    vip = Tag(tenant_id=tenant.id, group_id=group.id, name="金卡会员")
    db.add(vip)
    db.commit()
    for i in range(3):
        c = make_customer(tenant, name=f"顾客{i}", mobile=f"1350000000{i}")
        db.add(CustomerTag(tenant_id=tenant.id, customer_id=c.id, tag_id=vip.id))
    make_customer(tenant, name="无手机", mobile=None)
    db.commit()
    bulk = _create(db, tenant, sms, category="marketing", audience={"mode": "tags", "tag_ids": [vip.id]})
    assert bulk.recipients == 3 and bulk.estimated == 3
    service.dispatch_once(db, bulk.id, tenant.id)
    db.refresh(bulk)
    assert bulk.planned == 3 and bulk.plan_done


def test_quota_is_exact_under_two_concurrent_bulk_sends(app, db, tenant, sms):
    """Two bulk sends confirmed, planned and settled at once on PostgreSQL: the quota ends exact to the segment."""
    from scrm_sms.bulk import service
    from scrm_sms.bulk.models import SmsBulkSend
    from scrm_sms.quota import service as quota

    from scrm.sdk import Tenant

    engine = db.get_bind()
    if engine.dialect.name != "postgresql":
        pytest.skip("concurrent writers need PostgreSQL")
    tid, account_id = tenant.id, sms.id  # plain values: the threads must not touch the test's session
    quota.top_up(db, tid, "notification", 5000)
    db.commit()
    ids, errors = [], []

    def run(prefix: str, n: int, content: str):
        try:
            with Session(engine, expire_on_commit=False) as s:
                t = s.get(Tenant, tid)
                bulk = service.create(s, t, account_id=account_id, category="notification", signature="星巢生活",
                                      content=content, audience={"mode": "phones", "text": "\n".join(
                                          f"{prefix}{i:08d}" for i in range(n))})
                s.commit()
                ids.append(bulk.id)
                service.dispatch_once(s, bulk.id, tid, wave=None)  # every chunk, at once
        except Exception as exc:  # noqa: BLE001
            errors.append(exc)

    threads = [threading.Thread(target=run, args=("138", 1800, "您" * 30)),
               threading.Thread(target=run, args=("139", 1500, "您" * 70))]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    assert not errors and len(ids) == 2
    db.expire_all()
    for bulk_id in ids:
        _finish_rows(db, db.get(SmsBulkSend, bulk_id), fail_every=7)

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
    b = quota.balance(db, tid, "notification")
    # 1,800 x 1 segment and 1,500 x 2 segments; every 7th row of each refused and refunded
    expected_sent = (1800 - 1800 // 7) * 1 + (1500 - 1500 // 7) * 2
    assert all(x.status == "finished" for x in bulks), [(x.status, x.plan_done, x.pending_count, x.planned) for x in bulks]
    assert b.sent == expected_sent == sum(x.consumed for x in bulks)
    assert b.reserved == 0 and b.available == 5000 - expected_sent and b.purchased == 5000


def test_a_tag_audience_is_measured_per_recipient_in_sql(db, tenant, sms, make_customer):
    """The nickname's carrier length decides each recipient's segments; an emoji counts 2 (UCS-2 pair)."""
    from scrm_sms.bulk import service
    from scrm_sms.quota import service as quota

    from scrm.sdk import CustomerTag, Tag, TagGroup

    quota.top_up(db, tenant.id, "notification", 100)
    group = TagGroup(tenant_id=tenant.id, name="兴趣")
    db.add(group)
    db.flush()
    tag = Tag(tenant_id=tenant.id, group_id=group.id, name="养猫")
    db.add(tag)
    db.commit()
    for name, mobile in (("李", "13600000001"), ("欧阳娜娜", "13600000002"), ("🐱🐱", "13600000003")):
        c = make_customer(tenant, name=name, mobile=mobile)
        db.add(CustomerTag(tenant_id=tenant.id, customer_id=c.id, tag_id=tag.id))
    db.commit()
    bulk = _create(db, tenant, sms, content="${customer_nickname}" + "您" * 61,
                   audience={"mode": "tags", "tag_ids": [tag.id]})
    assert bulk.classes == {"1": 1, "2": 2} and bulk.estimated == 5
    service.dispatch_once(db, bulk.id, tenant.id)
    db.refresh(bulk)
    assert bulk.planned == 3
    assert set(service.ledger_counts(db, bulk)) == {1, 2}


def test_a_single_send_hold_is_settled_once_whatever_happens(app, db, tenant, sms):
    """hold -> consumed when accepted, released when refused; a hold whose vendor call raised waits for the ledger
    row's final status (reconcile_holds); a retried attempt re-holds only what was released."""
    from scrm_sms.bulk import delivery
    from scrm_sms.quota import service as quota

    from scrm.sdk import MessageDelivery, OutboundMessage, Outgoing, SendResult, advance_delivery

    quota.top_up(db, tenant.id, "notification", 10)
    rows = []
    for i in range(3):
        row = MessageDelivery(tenant_id=tenant.id, channel="sms", account_id=sms.id, recipient=f"1380000000{i}",
                              idempotency_key=f"single:{i}", purpose="sms_notification", status="sending")
        db.add(row)
        rows.append(row)
    db.commit()

    def outgoing(row):
        return Outgoing(delivery_id=row.id, tenant_id=tenant.id, idempotency_key=row.idempotency_key,
                        recipient=row.recipient, purpose=row.purpose,
                        message=OutboundMessage("text", {"content": "【星巢生活】" + "您" * 65}))  # 71: 2 segments

    def raises(_):
        raise RuntimeError("connection reset after the request left")

    assert delivery.around_deliver(outgoing(rows[0]), lambda o: SendResult.sent("v1")).ok
    refused = delivery.around_deliver(outgoing(rows[1]), lambda o: SendResult.failed("busy", retryable=True))
    assert not refused.ok
    assert delivery.around_deliver(outgoing(rows[1]), lambda o: SendResult.sent("v2")).ok  # the retry
    with pytest.raises(RuntimeError):
        delivery.around_deliver(outgoing(rows[2]), raises)
    db.expire_all()
    b = quota.balance(db, tenant.id, "notification")
    assert (b.available, b.reserved, b.sent) == (4, 2, 4)
    assert delivery.reconcile_holds(db, tenant.id) == 0  # the row is still sending: nothing known yet
    advance_delivery(db, rows[2].id, "failed", error_code="unknown_outcome")
    db.commit()
    assert delivery.reconcile_holds(db, tenant.id) == 1 and delivery.reconcile_holds(db, tenant.id) == 0
    b = quota.balance(db, tenant.id, "notification")
    assert (b.available, b.reserved, b.sent, b.purchased) == (6, 0, 4, 10)
    # 6 left and a 7-segment message (420 characters): refused before the vendor is called
    big = Outgoing(delivery_id=rows[2].id + 100, tenant_id=tenant.id, idempotency_key="x", recipient="13800000009",
                   purpose="sms_notification", message=OutboundMessage("text", {"content": "您" * 420}))
    called = []
    answer = delivery.around_deliver(big, lambda o: called.append(o) or SendResult.sent("v9"))
    assert answer.error_code == "INSUFFICIENT_BALANCE" and called == []


def test_the_dispatcher_and_the_actions_stay_in_their_tenant(app, db, tenant, other_tenant, sms):
    from scrm_sms.bulk import service
    from scrm_sms.quota import service as quota

    from scrm.sdk import MessageDelivery

    quota.top_up(db, tenant.id, "notification", 10)
    db.commit()
    bulk = _create(db, tenant, sms)
    assert service.dispatch_once(db, bulk.id, other_tenant.id) is None  # a job of another tenant does nothing
    db.refresh(bulk)
    assert bulk.status == "scheduled"
    assert db.exec(select(func.count()).select_from(MessageDelivery)).one() == 0


def test_the_scheduler_enqueues_the_dispatch_at_its_time_not_before(app, db, tenant, sms):
    from scrm_sms.quota import service as quota

    from scrm.core.jobs import scheduler
    from scrm.sdk import ScheduledJob, current_bus, utcnow

    quota.top_up(db, tenant.id, "notification", 10)
    db.commit()
    at = utcnow() + timedelta(hours=1)
    bulk = _create(db, tenant, sms, send_at=at)
    bus = current_bus()
    key = f"sms_bulk:{bulk.id}:a"
    scheduler.tick(bus.engine, bus, now=at - timedelta(seconds=1))  # (the tenant's recurring polls may go)
    db.expire_all()
    assert db.exec(select(ScheduledJob).where(ScheduledJob.key == key)).one().status == "pending"
    scheduler.tick(bus.engine, bus, now=at + timedelta(seconds=1))
    db.expire_all()
    assert db.exec(select(ScheduledJob).where(ScheduledJob.key == key)).one().status == "enqueued"


def test_a_members_segment_audience_and_a_blacklisted_member(db, tenant, sms, make_customer):
    """By a members segment (the members plugin's ``segment`` filter); a blacklisted member gets no marketing SMS
    and its segment is refunded at settlement."""
    from scrm_members.segments.models import BlacklistEntry, Segment, SegmentCategory, SegmentMember
    from scrm_sms.bulk import service
    from scrm_sms.quota import service as quota

    quota.top_up(db, tenant.id, "marketing", 10)
    category = SegmentCategory(tenant_id=tenant.id, kind="member", name="会员分组")
    db.add(category)
    db.flush()
    segment = Segment(tenant_id=tenant.id, category_id=category.id, name="高价值会员", kind="member", mode="manual")
    db.add(segment)
    db.commit()
    members = [make_customer(tenant, name=f"会员{i}", mobile=f"1330000000{i}") for i in range(3)]
    for c in members:
        db.add(SegmentMember(tenant_id=tenant.id, segment_id=segment.id, customer_id=c.id, added_by="manual"))
    db.add(BlacklistEntry(tenant_id=tenant.id, customer_id=members[0].id, reason="投诉"))
    db.commit()
    bulk = _create(db, tenant, sms, category="marketing", content="会员专享：周末全场8折",
                   audience={"mode": "segment", "segment_id": segment.id})
    assert bulk.recipients == 3 and bulk.estimated == 3
    service.dispatch_once(db, bulk.id, tenant.id)
    rows = _finish_rows(db, bulk)
    skipped = [r for r in rows if r.status == "skipped"]
    assert [r.customer_id for r in skipped] == [members[0].id]
    service.dispatch_once(db, bulk.id, tenant.id)
    b = quota.balance(db, tenant.id, "marketing")
    assert (b.available, b.sent, b.reserved) == (8, 2, 0)


def test_at_most_10000_pasted_numbers(db, tenant, sms):
    from scrm_sms.bulk.service import BulkError
    from scrm_sms.quota import service as quota

    quota.top_up(db, tenant.id, "notification", 20_000)
    db.commit()
    numbers = [f"1{3 + i // 10**9 % 7}{i:09d}" for i in range(10_001)]
    with pytest.raises(BulkError) as err:
        _create(db, tenant, sms, audience={"mode": "phones", "text": "\n".join(numbers)})
    db.rollback()
    assert err.value.code == "INVALID_INPUT" and quota.remaining(db, tenant.id, "notification") == 20_000
    bulk = _create(db, tenant, sms, audience={"mode": "phones", "text": "\n".join(numbers[:10_000])})
    assert bulk.recipients == 10_000


def test_only_a_signature_approved_on_the_account_can_be_sent(db, tenant, other_tenant, sms, make_channel_account,
                                                              enable_plugins):
    """Spec 2.2 / 3.9 (marketing rules A.10): a send picks only an approved signature of its account; pending,
    rejected, unknown, another account's or another brand's signature is refused and nothing is written."""
    from scrm_sms.bulk.service import BulkError
    from scrm_sms.quota import service as quota
    from scrm_sms.signatures.models import SmsSignature
    from sms_testkit import approve_signature

    quota.top_up(db, tenant.id, "notification", 100)
    for text, status in (("待审签名", "pending"), ("驳回签名", "rejected")):
        db.add(SmsSignature(tenant_id=tenant.id, account_id=sms.id, text=text, status=status))
    db.commit()
    second = make_channel_account(tenant, "sms", name="腾讯云短信", config={})
    approve_signature(db, tenant.id, second.id, "别号签名")
    enable_plugins(other_tenant, "sms")
    theirs = make_channel_account(other_tenant, "sms", name="别家短信", config={})
    approve_signature(db, other_tenant.id, theirs.id, "别家签名")
    before = _counts(db, tenant.id)
    for text in ("待审签名", "驳回签名", "随便写的", "别号签名", "别家签名"):
        with pytest.raises(BulkError) as err:
            _create(db, tenant, sms, signature=text)
        db.rollback()
        assert (err.value.code, err.value.field) == ("SIGNATURE_NOT_APPROVED", "signature"), text
        assert "approved" in err.value.message
    assert _counts(db, tenant.id) == before
    assert _create(db, tenant, sms, signature="星巢生活").signature == "星巢生活"
    assert _create(db, tenant, second, signature="别号签名").signature == "别号签名"


def test_the_signature_limit_is_the_tenants_setting_20_by_default(db, tenant, sms):
    """Spec 2.2: a signature of at most 20 characters (the tenant's setting ``signature_max_length`` may change it,
    within 2..30); a longer approved signature is refused too."""
    from scrm_sms import content as rules
    from scrm_sms.bulk.service import BulkError
    from scrm_sms.quota import service as quota
    from sms_testkit import approve_signature

    quota.top_up(db, tenant.id, "notification", 100)
    db.commit()
    for n in (20, 21):
        approve_signature(db, tenant.id, sms.id, "签" * n)
    assert _create(db, tenant, sms, signature="签" * 20).signature == "签" * 20  # the limit itself passes
    with pytest.raises(BulkError) as err:
        _create(db, tenant, sms, signature="签" * 21)
    db.rollback()
    assert (err.value.code, err.value.field) == ("INVALID_INPUT", "signature")
    assert rules.signature_limit(None) == 20
    limit = rules.signature_limit({"signature_max_length": 25})
    assert _create(db, tenant, sms, signature="签" * 21, signature_max=limit).signature == "签" * 21


def test_settlement_reads_the_ledger_by_task_ref_equality(db, tenant, sms, make_customer):
    """The dispatcher's settlement counts the send's rows with ``task_ref IN (...)`` (the ledger's
    ``(tenant_id, task_ref)`` index; a LIKE prefix cannot use it on PostgreSQL), and still finds every class the
    planner can give (a customer renamed after the confirmation may reach a longer class)."""
    from scrm_sms.bulk import service
    from scrm_sms.quota import service as quota
    from sqlalchemy import event

    quota.top_up(db, tenant.id, "notification", 100)
    db.commit()
    long_name = make_customer(tenant, name="小", mobile="13800000009")
    bulk = _create(db, tenant, sms, content="${customer_nickname}您好，积分即将到期。",
                   audience={"mode": "phones", "text": "13800000009"})
    assert set(bulk.classes) == {"1"}
    long_name.name = "很" * 60  # renamed after the confirmation: a 2-segment recipient
    db.add(long_name)
    db.commit()
    statements: list[str] = []

    def seen(conn, cursor, statement, *args):
        if "message_delivery" in statement:
            statements.append(statement)

    engine = db.get_bind()
    event.listen(engine, "before_cursor_execute", seen)
    try:
        counts = service.ledger_counts(db, bulk)
    finally:
        event.remove(engine, "before_cursor_execute", seen)
    assert counts == {}
    assert statements and all(" LIKE " not in s.upper() for s in statements), statements
    assert any("task_ref IN" in s for s in statements), statements
    assert service.task_ref(bulk.id, 2) in service.task_refs(bulk)
    service.dispatch_once(db, bulk.id, tenant.id, wave=None)
    db.refresh(bulk)
    counts = service.ledger_counts(db, bulk)
    assert set(counts) == {1} and service.tally(counts).pending == 1  # pasted: the name read at confirmation


def test_settlement_query_uses_the_ledger_index_on_postgresql(db, tenant, sms):
    from scrm_sms.bulk import service
    from scrm_sms.quota import service as quota
    from sqlalchemy import text

    if db.get_bind().dialect.name != "postgresql":
        pytest.skip("the plan of PostgreSQL")
    quota.top_up(db, tenant.id, "notification", 100)
    db.commit()
    bulk = _create(db, tenant, sms)
    captured = []
    real = db.execute

    def capture(statement, *args, **kwargs):
        if "message_delivery" in str(statement):
            captured.append(statement)
        return real(statement, *args, **kwargs)

    db.execute = capture
    try:
        service.ledger_counts(db, bulk)
    finally:
        del db.execute
    sql = captured[0].compile(db.get_bind(), compile_kwargs={"literal_binds": True})
    db.execute(text("SET LOCAL enable_seqscan = off"))
    plan = "\n".join(r[0] for r in db.execute(text(f"EXPLAIN {sql}")))
    db.rollback()
    assert "ix_delivery_task" in plan and "task_ref" in plan.split("Index Cond", 1)[-1], plan
