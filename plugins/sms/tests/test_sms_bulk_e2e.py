"""Acceptance 23–25 end to end against the SMS sandbox: a bulk send to 2 customers with the nickname and company-name
variables delivers personalised text prefixed with 【签名】 and ending 回TD退订 (marketing); the balance drops and
sent rises by the billed count; the list shows estimated / delivered / failed with delivered + failed ≤ estimated;
an unsubscribed number receives no marketing SMS; a single notification consumes quota and none is sent without it;
pages isolated by tenant, CSRF on."""

from __future__ import annotations

import time

import pytest
from sms_testkit import SIGN
from sqlmodel import select


def _wait(predicate, timeout=20.0):
    deadline = time.time() + timeout
    while time.time() < deadline:
        if predicate():
            return True
        time.sleep(0.1)
    return predicate()


@pytest.fixture
def brand(app, db, tenant, sms_account, enable_plugins, make_customer, sandbox_control):
    enable_plugins(tenant, "members")
    account = sms_account(tenant, "aliyun")
    from sms_testkit import approve_signature

    approve_signature(db, tenant.id, account.id, SIGN)  # bulk sends use only approved signatures
    from scrm_sms.quota.models import SmsQuota
    from sqlmodel import delete

    db.execute(delete(SmsQuota).where(SmsQuota.tenant_id == tenant.id))  # start these tests from an empty balance
    db.commit()
    sandbox_control.post("config", {"auto_report": False})
    li = make_customer(tenant, name="李娜", mobile="13800000001")
    wang = make_customer(tenant, name="王小明", mobile="13800000002")
    return account, li, wang


def _run(db, worker, bulk, tenant, sandbox_control, post_callback, account, expect_rows):
    from scrm_sms.bulk import service

    from scrm.sdk import MessageDelivery

    service.dispatch_once(db, bulk.id, tenant.id)
    worker.join()

    def settled():
        db.expire_all()
        rows = db.exec(select(MessageDelivery).where(MessageDelivery.task_ref.like(f"sms_bulk:{bulk.id}:%"))).all()
        return len(rows) == expect_rows and all(r.status not in ("queued", "sending") for r in rows)

    assert _wait(settled)
    # the carrier's reports, applied as the channel's report job applies them (mark_delivery_report by vendor id)
    from scrm.sdk import mark_delivery_report

    for row in db.exec(select(MessageDelivery).where(MessageDelivery.task_ref.like(f"sms_bulk:{bulk.id}:%"),
                                                     MessageDelivery.provider_id.is_not(None))).all():
        mark_delivery_report(db, tenant.id, "sms", row.provider_id, "delivered", account_id=account.id)
    db.commit()
    service.dispatch_once(db, bulk.id, tenant.id)
    db.refresh(bulk)
    return bulk


def test_variables_signature_unsubscribe_suffix_and_balance(app, db, tenant, brand, worker, sandbox_control,
                                                           post_callback, client, login, admin_user):
    from scrm_sms.bulk import service
    from scrm_sms.quota import service as quota

    account, li, wang = brand
    quota.top_up(db, tenant.id, "marketing", 100)
    db.commit()
    bulk = service.create(db, tenant, account_id=account.id, category="marketing", signature=SIGN,
                          content="${customer_nickname}您好，${company_name}周末会员日全场8折",
                          audience={"mode": "phones", "text": f"{li.mobile}\n{wang.mobile}"})
    db.commit()
    assert bulk.estimated == 2
    assert quota.balance(db, tenant.id, "marketing").available == 98  # reserved at confirmation
    bulk = _run(db, worker, bulk, tenant, sandbox_control, post_callback, account, 2)
    texts = {m["mobile"] if "mobile" in m else m.get("PhoneNumbers"): m for m in sandbox_control.sent()}
    sent = sandbox_control.sent()
    assert len(sent) == 2
    bodies = sorted(str(m) for m in sent)
    assert any("李娜您好，" + tenant.name in b for b in bodies) and any("王小明您好，" + tenant.name in b for b in bodies)
    assert all("回TD退订" in b for b in bodies)
    b = quota.balance(db, tenant.id, "marketing")
    assert bulk.status == "finished" and (b.available, b.sent, b.reserved) == (98, 2, 0)
    assert bulk.delivered_count == 2 and bulk.failed_count == 0
    assert bulk.delivered_count + bulk.failed_count <= bulk.estimated
    login(admin_user)
    page = client.get(f"/t/{tenant.slug}/sms/bulk/").get_data(as_text=True)
    assert f'data-bulk-id="{bulk.id}"' in page and "<td data-delivered>2</td>" in page
    detail = client.get(f"/t/{tenant.slug}/sms/bulk/{bulk.id}").get_data(as_text=True)
    assert "138****0001" in detail and "13800000001" not in detail  # masked (A.6)
    assert texts is not None


def test_the_delivered_text_is_signed_and_ends_with_td(app, db, tenant, brand, worker, sandbox_control,
                                                       post_callback):
    from scrm_sms.bulk import delivery, service
    from scrm_sms.quota import service as quota

    from scrm.sdk import MessageDelivery, OutboundMessage, Outgoing

    account, li, _wang = brand
    quota.top_up(db, tenant.id, "marketing", 10)
    db.commit()
    bulk = service.create(db, tenant, account_id=account.id, category="marketing", signature=SIGN,
                          content="${customer_nickname}，新品到店", audience={"mode": "phones", "text": li.mobile})
    db.commit()
    row = MessageDelivery(tenant_id=tenant.id, channel="sms", account_id=account.id, customer_id=li.id,
                          recipient=li.mobile, idempotency_key="x", purpose="sms")
    out = delivery.prepare_bulk(Outgoing(delivery_id=1, tenant_id=tenant.id, idempotency_key="x",
                                         recipient=li.mobile, customer_id=li.id, message=OutboundMessage(
                                             "text", service._payload(bulk, 1).payload)))
    assert out.message.payload["content"] == f"【{SIGN}】李娜，新品到店 回TD退订"
    assert row is not None


def test_an_unsubscribed_number_receives_no_marketing_sms(app, db, tenant, brand, worker, sandbox_control,
                                                          post_callback):
    from scrm_sms.bulk import service
    from scrm_sms.optout.models import SmsUnsubscribe
    from scrm_sms.quota import service as quota

    account, li, wang = brand
    quota.top_up(db, tenant.id, "marketing", 10)
    db.commit()
    bulk = service.create(db, tenant, account_id=account.id, category="marketing", signature=SIGN,
                          content="周末会员日全场8折", audience={"mode": "phones", "text": f"{li.mobile}\n{wang.mobile}"})
    db.commit()
    db.add(SmsUnsubscribe(tenant_id=tenant.id, mobile=wang.mobile, source="uplink", reply="TD"))  # after confirming
    db.commit()
    bulk = _run(db, worker, bulk, tenant, sandbox_control, post_callback, account, 2)
    sent = [str(m) for m in sandbox_control.sent()]
    assert len(sent) == 1 and li.mobile in sent[0] and wang.mobile not in sent[0]
    b = quota.balance(db, tenant.id, "marketing")
    assert (b.available, b.sent, b.reserved) == (9, 1, 0)  # the excluded message is refunded


def test_a_single_notification_consumes_quota_and_none_goes_without(app, db, tenant, brand, worker,
                                                                   sandbox_control):
    from scrm_sms.payload import purpose_for
    from scrm_sms.quota import service as quota

    from scrm.sdk import MessageDelivery, OutboundMessage, send_message

    account, li, _wang = brand
    text = f"【{SIGN}】您的订单已发货"
    row = send_message(db, tenant.id, account=account, recipient=li.mobile, customer_id=li.id,
                       message=OutboundMessage("text", {"content": text, "category": "notification"}),
                       purpose=purpose_for("notification"))
    db.commit()
    worker.join()
    assert _wait(lambda: db.get(MessageDelivery, row.id, populate_existing=True).status not in ("queued", "sending"))
    row = db.get(MessageDelivery, row.id, populate_existing=True)
    assert row.status == "failed" and row.error_code == "INSUFFICIENT_BALANCE"  # no quota, no send
    assert sandbox_control.sent() == []
    quota.top_up(db, tenant.id, "notification", 5)
    db.commit()
    row2 = send_message(db, tenant.id, account=account, recipient=li.mobile, customer_id=li.id,
                        message=OutboundMessage("text", {"content": text, "category": "notification"}),
                        purpose=purpose_for("notification"))
    db.commit()
    worker.join()
    assert _wait(lambda: db.get(MessageDelivery, row2.id, populate_existing=True).status in ("sent", "delivered"))
    b = quota.balance(db, tenant.id, "notification")
    assert (b.available, b.reserved, b.sent) == (4, 0, 1)


def test_pages_are_isolated_and_csrf_protected(app, db, tenant, other_tenant, brand, client, login, admin_user,
                                              make_user, enable_plugins):
    from scrm_sms.bulk import service
    from scrm_sms.quota import service as quota

    account, li, _ = brand
    quota.top_up(db, tenant.id, "marketing", 10)
    db.commit()
    bulk = service.create(db, tenant, account_id=account.id, category="marketing", signature=SIGN,
                          content="周末会员日", audience={"mode": "phones", "text": li.mobile})
    db.commit()
    enable_plugins(other_tenant, "sms")
    other_admin = make_user("boss@other.example", tenant=other_tenant, role="tenant_admin")
    login(other_admin)
    base = f"/t/{other_tenant.slug}/sms/bulk"
    assert client.get(f"{base}/{bulk.id}").status_code == 404
    assert f'data-bulk-id="{bulk.id}"' not in client.get(f"{base}/").get_data(as_text=True)
    app.config["WTF_CSRF_ENABLED"] = True
    try:
        assert client.post(f"{base}/{bulk.id}/cancel").status_code in (400, 403)  # no CSRF token
        assert client.post(f"/t/{other_tenant.slug}/sms/recharge/", data={"category": "marketing",
                                                                         "amount": "5"}).status_code in (400, 403)
    finally:
        app.config["WTF_CSRF_ENABLED"] = False
    db.refresh(bulk)
    assert bulk.status == "scheduled"
    assert quota.remaining(db, other_tenant.id, "marketing") == 0
