"""Opt-out: a TD / T / 退订 reply puts the number on the tenant's unsubscribe list, which keeps it from marketing SMS
at once on every SMS account of the tenant (notifications still go out), never another tenant's; the list page
(masked numbers, manual add and remove, CSV / XLSX export) and the customer's timeline."""

from __future__ import annotations

import io
import json

import pytest
from scrm_sms.optout import service
from scrm_sms.optout.models import SmsUnsubscribe
from scrm_sms.optout.rules import UNSUBSCRIBE_WORDS, is_unsubscribe
from scrm_sms.payload import MARKETING_PURPOSE, NOTIFICATION_PURPOSE, template_message, text_message
from sms_testkit import TEMPLATE
from sqlmodel import select

from scrm.sdk import CustomerEvent, DeliveryStatus, MessageDelivery, plan_bulk_send, send_message

PAGE = "/t/acme/sms/unsubscribes/"


@pytest.mark.parametrize("reply", ["TD", "td", "T", "t", "退订", " 退订 ", "ＴＤ", "Ｔ", "T D", "TD。", "退订！", "td退订",
                                   "回TD退订", "退订TD", "TD\n"])
def test_the_unsubscribe_replies(reply):
    assert is_unsubscribe(reply)


@pytest.mark.parametrize("reply", ["T恤还有货吗", "不要退订", "TD好的", "谢谢", "TDD", "", "退", "OK TD", "0000"])
def test_replies_that_merely_contain_the_word_are_not_opt_outs(reply):
    assert not is_unsubscribe(reply)


def test_the_words_are_the_documented_ones():
    assert UNSUBSCRIBE_WORDS == {"TD", "T", "退订", "TD退订", "退订TD", "回TD", "回TD退订"}


def _uplink(provider: str, mobile: str, text: str) -> str:
    if provider == "aliyun":
        return json.dumps([{"phone_number": mobile, "send_time": "2026-12-07 10:00:00", "content": text,
                            "sign_name": "珍客零售", "dest_code": "", "sequence_id": abs(hash(text + mobile)) % 10**9}])
    return json.dumps({"extend": "", "mobile": mobile, "nationcode": "86", "sign": "珍客零售", "text": text,
                       "time": 1765072800})


def marketing(db, tenant, account, recipient="13800000001", customer=None):
    row = send_message(db, tenant.id, account=account.id, recipient=recipient, purpose=MARKETING_PURPOSE,
                       message=text_message("【珍客零售】会员日全场8折 回TD退订", category="marketing"),
                       customer_id=customer.id if customer else None)
    db.commit()
    return row


def notification(db, tenant, account, recipient="13800000001", customer=None):
    row = send_message(db, tenant.id, account=account.id, recipient=recipient, purpose=NOTIFICATION_PURPOSE,
                       message=template_message(TEMPLATE[account.config["provider"]], {"name": "李女士"},
                                                category="notification"),
                       customer_id=customer.id if customer else None)
    db.commit()
    return row


def settle(db, worker, row):
    worker.join()
    db.expire_all()
    return db.get(MessageDelivery, row.id)


@pytest.mark.parametrize("provider", ["aliyun", "tencent"])
def test_a_td_reply_stops_marketing_on_every_account_of_the_tenant_but_not_notifications(
        db, tenant, other_tenant, sms_account, sandbox_control, worker, post_callback, make_customer, provider):
    customer = make_customer(tenant, name="李女士", mobile="13800000001")
    replied_on = sms_account(tenant, provider)
    other_account = sms_account(tenant, "tencent" if provider == "aliyun" else "aliyun", name="备用通道")
    foreign = sms_account(other_tenant, provider)
    assert post_callback(replied_on, _uplink(provider, "13800000001", "ＴＤ")).status_code == 200
    worker.join()
    assert service.is_unsubscribed(db, tenant.id, "13800000001")
    assert not service.is_unsubscribed(db, other_tenant.id, "13800000001")
    for account in (replied_on, other_account):
        skipped = settle(db, worker, marketing(db, tenant, account, customer=customer))
        assert (skipped.status, skipped.error_code) == (DeliveryStatus.SKIPPED, "excluded")
        pasted = settle(db, worker, marketing(db, tenant, account))  # a pasted number without a customer
        assert (pasted.status, pasted.error_code) == (DeliveryStatus.SKIPPED, "sms_unsubscribed")
        assert settle(db, worker, notification(db, tenant, account, customer=customer)).status == DeliveryStatus.SENT
    assert settle(db, worker, marketing(db, other_tenant, foreign)).status == DeliveryStatus.SENT
    texts = [m["text"] for m in sandbox_control.sent()]
    assert sum("回TD退订" in t for t in texts) == 1  # only the other tenant's marketing SMS went out
    [event] = db.exec(select(CustomerEvent).where(CustomerEvent.customer_id == customer.id,
                                                  CustomerEvent.kind == "unsubscribed")).all()
    assert (event.plugin, event.data["source"], event.data["reply"]) == ("sms", "uplink", "ＴＤ")
    assert db.exec(select(CustomerEvent).where(CustomerEvent.customer_id == customer.id,
                                               CustomerEvent.kind == "replied")).first() is not None


def test_a_marketing_sms_planned_before_the_reply_is_not_sent_after_it(db, tenant, sms_account, sandbox_control,
                                                                       broker, post_callback):
    account = sms_account(tenant)
    row = marketing(db, tenant, account)  # queued, not yet sent (no worker running)
    service.unsubscribe(db, tenant.id, "+8613800000001", source="uplink", reply="TD")
    db.commit()
    broker.start_worker(threads=1)
    try:
        broker.join()
    finally:
        broker.stop_worker()
    db.expire_all()
    row = db.get(MessageDelivery, row.id)
    assert (row.status, row.error_code) == (DeliveryStatus.SKIPPED, "sms_unsubscribed")
    assert sandbox_control.sent() == []


def test_a_bulk_plan_skips_unsubscribed_customers(db, tenant, sms_account, make_customer, enable_plugins):
    account = sms_account(tenant)
    enable_plugins(tenant, "members")
    kept = make_customer(tenant, name="王先生", mobile="13800000002")
    gone = make_customer(tenant, name="李女士", mobile="13800000001")
    service.unsubscribe(db, tenant.id, "13800000001")
    db.commit()
    plan = plan_bulk_send(db, tenant.id, account=account.id, message=text_message("【珍客零售】上新 回TD退订",
                                                                                   category="marketing"),
                          purpose=MARKETING_PURPOSE, task_ref="test:1",
                          audience=[(kept.id, kept.mobile), (gone.id, gone.mobile)])
    assert (plan.queued, plan.skipped) == (1, 1)
    assert service.unsubscribed_among(db, tenant.id, ["13800000001", "+86 138 0000 0002", "bad"]) == {"13800000001"}


def test_a_reply_that_is_not_an_opt_out_only_lands_on_the_timeline(db, tenant, sms_account, worker, post_callback,
                                                                   make_customer):
    customer = make_customer(tenant, mobile="13800000001")
    account = sms_account(tenant)
    post_callback(account, _uplink("aliyun", "13800000001", "T恤还有货吗"))
    worker.join()
    assert not service.is_unsubscribed(db, tenant.id, "13800000001")
    [event] = db.exec(select(CustomerEvent).where(CustomerEvent.customer_id == customer.id)).all()
    assert (event.kind, event.data["text"]) == ("replied", "T恤还有货吗")


def test_a_repeated_td_keeps_one_row(db, tenant, sms_account, worker, post_callback):
    account = sms_account(tenant)
    post_callback(account, _uplink("aliyun", "13800000001", "TD"))
    post_callback(account, _uplink("aliyun", "13800000001", "退订"))
    worker.join()
    assert len(db.exec(select(SmsUnsubscribe).where(SmsUnsubscribe.tenant_id == tenant.id)).all()) == 1


# -- the page ----------------------------------------------------------------------------------------------------------


def _sign_in(make_user, login, tenant, role="operator"):
    return login(make_user(f"{role}@{tenant.slug}.test", tenant, role=role))


def test_the_list_masks_numbers_and_adds_and_removes_by_hand(db, client, tenant, other_tenant, enable_plugins,
                                                             make_user, login, make_customer):
    enable_plugins(tenant, "sms")
    enable_plugins(other_tenant, "sms")
    customer = make_customer(tenant, mobile="13912345678")
    service.unsubscribe(db, other_tenant.id, "13700000000")
    db.commit()
    _sign_in(make_user, login, tenant)
    for bad in ("", "12345", "2391234567a"):
        refused = client.post(f"{PAGE}add", data={"mobile": bad})
        assert refused.status_code == 422 and 'data-testid="optout-error"' in refused.get_data(as_text=True)
    assert db.exec(select(SmsUnsubscribe).where(SmsUnsubscribe.tenant_id == tenant.id)).all() == []
    assert client.post(f"{PAGE}add", data={"mobile": "+86 139 1234 5678"}).status_code == 302
    html = client.get(PAGE).get_data(as_text=True)
    assert "139****5678" in html and "13912345678" not in html and "137****0000" not in html
    [row] = db.exec(select(SmsUnsubscribe).where(SmsUnsubscribe.tenant_id == tenant.id)).all()
    assert (row.mobile, row.source) == ("13912345678", "manual")
    assert db.exec(select(CustomerEvent).where(CustomerEvent.customer_id == customer.id,
                                               CustomerEvent.kind == "unsubscribed")).first() is not None
    foreign = db.exec(select(SmsUnsubscribe).where(SmsUnsubscribe.tenant_id == other_tenant.id)).one()
    assert client.post(f"{PAGE}{foreign.id}/remove").status_code == 404
    assert client.get(f"{PAGE}{row.id}/remove").status_code == 200
    assert client.post(f"{PAGE}{row.id}/remove").status_code == 302
    assert not service.is_unsubscribed(db, tenant.id, "13912345678")
    assert service.is_unsubscribed(db, other_tenant.id, "13700000000")
    assert db.exec(select(CustomerEvent).where(CustomerEvent.customer_id == customer.id,
                                               CustomerEvent.kind == "resubscribed")).first() is not None


def test_unmasked_tenants_see_whole_numbers(db, client, tenant, enable_plugins, make_user, login):
    enable_plugins(tenant, "sms")
    tenant.mask_mobiles = False
    db.add(tenant)
    service.unsubscribe(db, tenant.id, "13912345678")
    db.commit()
    _sign_in(make_user, login, tenant)
    assert "13912345678" in client.get(PAGE).get_data(as_text=True)


def test_the_export_is_masked_and_only_the_tenants(db, client, tenant, other_tenant, enable_plugins, make_user,
                                                   login):
    from openpyxl import load_workbook

    enable_plugins(tenant, "sms")
    service.unsubscribe(db, tenant.id, "13912345678", source="uplink", reply="=cmd|' /C calc'!A0")
    service.unsubscribe(db, other_tenant.id, "13700000000")
    db.commit()
    _sign_in(make_user, login, tenant)
    csv = client.get(f"{PAGE}export?format=csv")
    text = csv.get_data(as_text=True)
    assert csv.status_code == 200 and "139****5678" in text and "13912345678" not in text and "137" not in text
    assert "'=cmd" in text  # formula escaping by the one writer
    xlsx = client.get(f"{PAGE}export?format=xlsx")
    sheet = load_workbook(io.BytesIO(xlsx.data)).active
    assert [c.value for c in sheet[2]][0] == "139****5678" and sheet.max_row == 2
    assert client.get(f"{PAGE}export?format=pdf").status_code == 400


def test_the_page_is_404_without_the_plugin_and_needs_csrf(app, db, client, tenant, enable_plugins, make_user,
                                                          login):
    _sign_in(make_user, login, tenant)
    assert client.get(PAGE).status_code == 404
    enable_plugins(tenant, "sms")
    app.config["WTF_CSRF_ENABLED"] = True
    try:
        assert client.post(f"{PAGE}add", data={"mobile": "13912345678"}).status_code == 400
    finally:
        app.config["WTF_CSRF_ENABLED"] = False
    assert db.exec(select(SmsUnsubscribe)).all() == []


def test_the_page_reads_in_chinese(db, client, tenant, enable_plugins, make_user, login):
    enable_plugins(tenant, "sms")
    _sign_in(make_user, login, tenant)
    service.unsubscribe(db, tenant.id, "13912345678", source="uplink", reply="TD")
    db.commit()
    html = client.get(PAGE, headers={"Accept-Language": "zh-CN"}).get_data(as_text=True)
    assert all(word in html for word in ("<h1>短信退订</h1>", "回复退订", "退订时间", "添加号码", "退订该号码")), html
