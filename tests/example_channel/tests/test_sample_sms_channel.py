"""The example channel ``sample_sms`` proves the channel kit from outside the first-party plugins: accounts from a
settings model, capabilities and a rate limit, sends through the one outbound path into its sandbox, signed
callbacks stored through the inbox, delivery reports moving the ledger, replies on the timeline."""

from __future__ import annotations

import json
import re
import urllib.request

import pytest
from sqlmodel import select

from scrm.sdk import (
    ChannelAccount,
    CustomerEvent,
    DeliveryStatus,
    InboundCallback,
    MessageDelivery,
    OutboundMessage,
    UnsupportedMessageKind,
    send_message,
)

TOKEN = "sample-callback-token"
AES_KEY = "abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG"
SENDER, API_KEY = "acme-sms", "key-acme"


def _post(url: str, body: dict) -> None:
    request = urllib.request.Request(url, data=json.dumps(body).encode(), headers={"Content-Type": "application/json"})
    urllib.request.urlopen(request, timeout=5).close()


def _sent(base: str) -> list[dict]:
    with urllib.request.urlopen(f"{base}/_sandbox/messages", timeout=5) as response:
        return json.loads(response.read())


@pytest.fixture
def sandbox(channel_sandbox):
    base = channel_sandbox("sample_sms")
    _post(f"{base}/_sandbox/senders", {"sender": SENDER, "api_key": API_KEY})
    return base


@pytest.fixture
def account(tenant, enable_plugins, make_channel_account, sandbox):
    enable_plugins(tenant, "sample_sms")
    return make_channel_account(tenant, "sample_sms", external_id=SENDER, config={"api_base": sandbox},
                                credentials={"api_key": API_KEY, "callback_token": TOKEN,
                                             "encoding_aes_key": AES_KEY})


def report(signed_callback, account, message_id: str, status: str, report_id: str = "r-1", **extra):
    body = json.dumps({"type": "report", "report_id": report_id, "message_id": message_id, "status": status, **extra})
    return signed_callback(account, body, token=TOKEN, encoding_aes_key=AES_KEY, receive_id=SENDER)


def send(db, tenant, account, recipient="13800000001", customer=None, message=None, key=None):
    row = send_message(db, tenant.id, account=account.id, recipient=recipient, purpose="notice",
                       message=message or OutboundMessage.text("Your parcel is on its way"),
                       customer_id=customer.id if customer else None, idempotency_key=key)
    db.commit()
    return row


def test_the_channel_declares_its_accounts_capabilities_and_rate(platform):
    channel = platform.registry.plugin("sample_sms")
    assert set(channel.capabilities) == {"text", "template"} and channel.rate_limit == 10.0
    fields = channel.account_settings_model.model_fields
    assert fields["sender_id"].json_schema_extra == {"account": "external_id"}
    assert {"api_key", "callback_token", "encoding_aes_key"} <= set(fields)
    assert len(channel.generate_account_secret("encoding_aes_key")) == 43


def test_a_text_goes_through_the_outbound_path_into_the_sandbox(db, tenant, account, sandbox, worker,
                                                                  make_customer):
    customer = make_customer(tenant, mobile="13800000001")
    row = send(db, tenant, account, customer=customer)
    assert row.status == DeliveryStatus.QUEUED
    worker.join()
    db.refresh(row)
    [sent] = _sent(sandbox)
    assert (sent["to"], sent["text"], sent["sender"]) == ("13800000001", "Your parcel is on its way", SENDER)
    assert row.status == DeliveryStatus.SENT and row.provider_id == sent["message_id"]


def test_a_template_is_sent_with_its_parameters(db, tenant, account, sandbox, worker):
    send(db, tenant, account, message=OutboundMessage("template", {"template_id": "SMS_1", "params": {"code": "42"}}))
    worker.join()
    [sent] = _sent(sandbox)
    assert (sent["kind"], sent["template"], sent["params"]) == ("template", "SMS_1", {"code": "42"})


def test_a_kind_the_channel_cannot_send_is_refused_before_anything_is_written(db, tenant, account):
    with pytest.raises(UnsupportedMessageKind):
        send(db, tenant, account, message=OutboundMessage("image", {"url": "http://127.0.0.1/a.png"}))
    db.rollback()
    assert db.exec(select(MessageDelivery)).all() == []


def test_a_provider_error_ends_failed_with_its_code(db, tenant, account, sandbox, worker):
    row = send(db, tenant, account, recipient="12345")
    worker.join()
    db.refresh(row)
    assert (row.status, row.error_code) == (DeliveryStatus.FAILED, "bad_number") and _sent(sandbox) == []


def test_a_delivery_report_moves_the_ledger_forward_only(db, tenant, account, worker, signed_callback):
    row = send(db, tenant, account)
    worker.join()
    db.refresh(row)
    assert report(signed_callback, account, row.provider_id, "delivered").get_data(as_text=True) == "success"
    worker.join()
    db.refresh(row)
    assert row.status == DeliveryStatus.DELIVERED
    late = report(signed_callback, account, row.provider_id, "failed", report_id="r-2", code="expired")
    assert late.status_code == 200
    worker.join()
    db.refresh(row)
    assert row.status == DeliveryStatus.DELIVERED  # a late failure after delivery is ignored


def test_a_repeated_callback_is_stored_once(db, tenant, account, worker, signed_callback):
    for _ in range(2):
        assert report(signed_callback, account, "m-unknown", "delivered").status_code == 200
    worker.join()
    assert len(db.exec(select(InboundCallback).where(InboundCallback.plugin == "sample_sms")).all()) == 1


def test_a_bad_signature_is_refused_and_stores_nothing(db, account, signed_callback):
    body = json.dumps({"type": "reply", "reply_id": "x", "from": "13800000001", "text": "hi"})
    response = signed_callback(account, body, token=TOKEN, encoding_aes_key=AES_KEY, receive_id=SENDER, tamper=True)
    assert response.status_code == 403
    assert db.exec(select(InboundCallback)).all() == []


def test_a_reply_lands_on_the_customers_timeline(db, tenant, account, worker, signed_callback, make_customer):
    customer = make_customer(tenant, mobile="13800000002")
    body = json.dumps({"type": "reply", "reply_id": "y-1", "from": "13800000002", "text": "thanks!"})
    assert signed_callback(account, body, token=TOKEN, encoding_aes_key=AES_KEY, receive_id=SENDER).status_code == 200
    worker.join()
    [event] = db.exec(select(CustomerEvent).where(CustomerEvent.customer_id == customer.id)).all()
    assert (event.plugin, event.kind, event.data) == ("sample_sms", "replied", {"text": "thanks!"})


def test_a_report_reaches_only_the_accounts_tenant(db, tenant, other_tenant, account, worker, signed_callback,
                                                   enable_plugins, make_channel_account, sandbox):
    row = send(db, tenant, account)
    worker.join()
    db.refresh(row)
    enable_plugins(other_tenant, "sample_sms")
    foreign = make_channel_account(other_tenant, "sample_sms", external_id=SENDER, config={"api_base": sandbox},
                                   credentials={"api_key": API_KEY, "callback_token": TOKEN,
                                                "encoding_aes_key": AES_KEY})
    assert report(signed_callback, foreign, row.provider_id, "failed", code="x").status_code == 200
    worker.join()
    db.refresh(row)
    assert row.status == DeliveryStatus.SENT


def test_the_account_check_asks_the_provider(platform, account):
    channel = platform.registry.plugin("sample_sms")
    assert channel.check_account(account, {"api_key": API_KEY}).ok
    refused = channel.check_account(account, {"api_key": "wrong"})
    assert not refused.ok and "bad_key" in refused.message


def test_the_platform_holds_the_account_to_its_rate(db, tenant, account, sandbox, worker):
    rate, count = 20.0, 30
    account.config = {**account.config, "rate_limit": rate}
    db.add(account)
    db.commit()
    for i in range(count):
        send(db, tenant, account, recipient=f"1380000{i:04d}")
    worker.join()
    times = sorted(m["received_at"] for m in _sent(sandbox))
    assert len(times) == count
    # the platform's promise: never more than the declared rate in any one second (a short burst after an idle
    # account is allowed within it); the (rate + 1)th send comes a second after the first. The times are the
    # sandbox's arrival times, so a loaded machine's scheduling delay between admission and arrival is allowed
    # (0.2 s: a limiter without the rate, or one admitting half as many again, still fails)
    limit = int(rate)
    assert all(times[i + limit] - times[i] >= 0.8 for i in range(count - limit))


def _csrf(html: str) -> str:
    return re.search(r'name="csrf_token"[^>]*value="([^"]+)"', html).group(1)


def test_an_account_is_added_and_checked_on_the_hosts_accounts_pages(app, client, db, tenant, enable_plugins,
                                                                     make_user, login, sandbox):
    enable_plugins(tenant, "sample_sms")
    login(make_user("admin@acme.test", tenant, role="tenant_admin"))
    base = "/t/acme/channels/sample_sms/accounts"
    app.config["WTF_CSRF_ENABLED"] = True
    try:
        form = client.get(f"{base}/new")
        assert form.status_code == 200 and 'name="api_key"' in form.get_data(as_text=True)
        created = client.post(f"{base}/new", data={
            "csrf_token": _csrf(form.get_data(as_text=True)), "name": "Acme SMS", "sender_id": SENDER,
            "api_base": sandbox, "api_key": API_KEY})
        assert created.status_code == 201  # the generated callback token and key are shown once
        [account] = db.exec(select(ChannelAccount).where(ChannelAccount.plugin == "sample_sms")).all()
        assert (account.tenant_id, account.external_id, account.config["api_base"]) == (tenant.id, SENDER, sandbox)
        assert API_KEY not in account.credentials  # encrypted at rest
        page = client.get(f"{base}/{account.id}").get_data(as_text=True)
        assert API_KEY not in page  # write-only
        checked = client.post(f"{base}/{account.id}/check", data={"csrf_token": _csrf(page)})
        assert checked.status_code == 302
    finally:
        app.config["WTF_CSRF_ENABLED"] = False
    db.expire_all()
    checked = db.get(ChannelAccount, account.id)
    assert checked.config["check"]["ok"] is True and checked.last_error is None  # the provider took the key
