"""The SMS channel through the platform: the channel contract (accounts, capabilities, rate), sends through the one
outbound path into the sandbox of both vendors, vendor errors on the ledger, unknown outcomes resolved by the status
query and never sent twice, callbacks authenticated by the account's token and stored once, delivery reports moving
the ledger forward, the status poll, and tenant isolation."""

from __future__ import annotations

import json
import re

import pytest
from scrm_sms import channel
from scrm_sms.payload import NOTIFICATION_PURPOSE, purpose_for, template_message, text_message
from scrm_sms.providers.base import OutcomeUnknown
from sms_testkit import CALLBACK_TOKEN, KEYS, SIGN, TEMPLATE
from sqlmodel import select

from scrm.sdk import (
    ChannelAccount,
    DeliveryStatus,
    InboundCallback,
    MessageDelivery,
    Outgoing,
    ScheduledJob,
    send_message,
    utcnow,
)

PROVIDERS = ("aliyun", "tencent")


def send(db, tenant, account, message=None, recipient="13800000001", customer=None, purpose=NOTIFICATION_PURPOSE):
    row = send_message(db, tenant.id, account=account.id, recipient=recipient, purpose=purpose,
                       message=message or template_message(TEMPLATE[account.config["provider"]], {"name": "李女士"},
                                                           content="【珍客零售】亲爱的李女士，您的订单已发货。"),
                       customer_id=customer.id if customer else None)
    db.commit()
    return row


def settle(db, worker, row):
    worker.join()
    db.expire_all()
    return db.get(MessageDelivery, row.id)


def test_the_channel_declares_its_kinds_rate_and_account_form(platform):
    sms = platform.registry.plugin("sms")
    assert set(sms.capabilities) == {"text", "template"} and sms.rate_limit == 50.0
    fields = sms.account_settings_model.model_fields
    assert fields["key_id"].json_schema_extra == {"account": "external_id"}
    assert fields["callback_token"].json_schema_extra == {"generate": True}
    schema = sms.account_settings_model.model_json_schema()
    assert {"aliyun", "tencent"} <= set(schema["properties"]["provider"]["enum"])
    assert len(sms.generate_account_secret("callback_token")) >= 32


@pytest.mark.parametrize("provider", PROVIDERS)
def test_a_template_sms_goes_through_the_outbound_path_into_the_sandbox(db, tenant, sms_account, sandbox_control,
                                                                        worker, provider):
    account = sms_account(tenant, provider)
    row = settle(db, worker, send(db, tenant, account))
    [sent] = sandbox_control.sent(KEYS[provider]["key_id"])
    assert (sent["mobile"], sent["text"], sent["out_id"]) == ("13800000001", "【珍客零售】亲爱的李女士，您的订单已发货。",
                                                             f"d{row.id}")
    assert (row.status, row.provider_id) == (DeliveryStatus.SENT, sent["message_id"])


@pytest.mark.parametrize("provider", PROVIDERS)
def test_typed_text_goes_through_the_accounts_text_template_under_its_sign(db, tenant, sms_account,
                                                                           sandbox_control, worker, provider):
    account = sms_account(tenant, provider)
    content = "【珍客零售】周末会员日全场8折 回TD退订"
    row = settle(db, worker, send(db, tenant, account, text_message(content, category="marketing"),
                                  purpose=purpose_for("marketing")))
    [sent] = sandbox_control.sent()
    assert (sent["text"], sent["sign_name"], row.status) == (content, SIGN, DeliveryStatus.SENT)


def test_typed_text_without_a_text_template_fails_with_a_clear_code(db, tenant, sms_account, sandbox_control,
                                                                   worker):
    account = sms_account(tenant, text_template=None)
    row = settle(db, worker, send(db, tenant, account, text_message("【珍客零售】你好")))
    assert (row.status, row.error_code) == (DeliveryStatus.FAILED, "sms_no_text_template")
    assert sandbox_control.sent() == []


@pytest.mark.parametrize(("provider", "vendor_code"), [("aliyun", "isv.SMS_TEMPLATE_ILLEGAL"),
                                                       ("tencent", "FailedOperation.TemplateIncorrectOrUnapproved")])
def test_vendor_refusals_end_failed_with_the_reason_and_the_vendors_code(db, tenant, sms_account, sandbox_control,
                                                                        worker, provider, vendor_code):
    account = sms_account(tenant, provider)
    unknown = settle(db, worker, send(db, tenant, account, template_message("404404", {"name": "x"})))
    assert (unknown.status, unknown.error_code) == (DeliveryStatus.FAILED, "sms_template")
    assert unknown.error.startswith(vendor_code)
    sandbox_control.post("keys", {**KEYS[provider], "balance": 0})
    broke = settle(db, worker, send(db, tenant, account))
    assert (broke.status, broke.error_code, broke.attempts) == (DeliveryStatus.FAILED, "sms_balance", 1)
    assert sandbox_control.sent() == []


def test_an_invalid_number_never_reaches_the_vendor(db, tenant, sms_account, sandbox_control, worker):
    account = sms_account(tenant)
    row = settle(db, worker, send(db, tenant, account, recipient="12345"))
    assert (row.status, row.error_code) == (DeliveryStatus.FAILED, "sms_illegal_number")
    assert sandbox_control.sent() == []


def test_a_throttled_send_is_retried_and_goes_out_once(db, tenant, sms_account, sandbox_control, worker):
    account = sms_account(tenant)
    sandbox_control.post("config", {"rate": 1})
    rows = [send(db, tenant, account, recipient=f"1380000000{i}") for i in range(2)]
    for row in rows:
        row = settle(db, worker, row)
        assert row.status == DeliveryStatus.SENT
    assert sorted(m["mobile"] for m in sandbox_control.sent()) == ["13800000000", "13800000001"]


def _outgoing(row, account_row) -> Outgoing:
    from scrm.sdk import OutboundMessage

    return Outgoing(delivery_id=row.id, tenant_id=row.tenant_id, idempotency_key=row.idempotency_key,
                    recipient=row.recipient, message=OutboundMessage.from_json(row.message))


@pytest.mark.parametrize("provider", PROVIDERS)
def test_an_unknown_outcome_is_resolved_by_the_out_id_never_by_sending_again(app, db, tenant, sms_account,
                                                                            sandbox_control, provider):
    account = sms_account(tenant, provider)
    row = send(db, tenant, account)
    outgoing = _outgoing(row, account)
    with app.app_context():
        assert channel.deliver(account, outgoing).ok
        [sent] = sandbox_control.sent()
        sandbox_control.post("report", {"message_id": sent["message_id"], "mobile": sent["mobile"],
                                        "status": "delivered"})
        resolved = channel.query_outcome(account, outgoing)
        assert resolved.ok and resolved.delivered
        never = channel.query_outcome(account, Outgoing(delivery_id=row.id + 1000, tenant_id=tenant.id,
                                                        idempotency_key="x", recipient="13800000001",
                                                        message=outgoing.message))
        assert (never.ok, never.error_code) == (False, "sms_not_sent")
    assert len(sandbox_control.sent()) == 1


def test_a_lost_answer_raises_for_the_platform_to_resolve(app, db, tenant, sms_account, sandbox_control,
                                                          monkeypatch):
    account = sms_account(tenant)
    row = send(db, tenant, account)

    def lost(*args, **kwargs):
        raise OutcomeUnknown("read timeout")

    from scrm_sms.providers import http

    monkeypatch.setattr(http, "call", lost)
    with app.app_context(), pytest.raises(OutcomeUnknown):
        channel.deliver(account, _outgoing(row, account))


def test_the_account_check_calls_the_vendor_with_the_given_keys(app, tenant, sms_account, platform):
    sms = platform.registry.plugin("sms")
    for provider in PROVIDERS:
        account = sms_account(tenant, provider)
        with app.app_context():
            assert sms.check_account(account, {"key_secret": KEYS[provider]["key_secret"]}).ok
            refused = sms.check_account(account, {"key_secret": "wrong-secret"})
        assert not refused.ok and ("SignatureDoesNotMatch" in refused.message
                                   or "AuthFailure.SignatureFailure" in refused.message)


# -- callbacks -------------------------------------------------------------------------------------------------------


def _report_body(provider, message_id, mobile, ok=True, out_id=""):
    if provider == "aliyun":
        return json.dumps([{"phone_number": mobile, "send_time": "2026-12-07 10:00:00",
                            "report_time": "2026-12-07 10:00:05", "success": ok,
                            "err_code": "DELIVERED" if ok else "MK:0001", "err_msg": "用户接收成功",
                            "sms_size": "1", "biz_id": message_id, "out_id": out_id}])
    return json.dumps([{"user_receive_time": "2026-12-07 10:00:05", "nationcode": "86", "mobile": mobile,
                        "report_status": "SUCCESS" if ok else "FAIL", "errmsg": "DELIVRD" if ok else "UNDELIV",
                        "description": "用户短信送达成功", "sid": message_id}])


@pytest.mark.parametrize("provider", PROVIDERS)
def test_a_delivery_report_moves_the_ledger_forward_only(db, tenant, sms_account, sandbox_control, worker,
                                                         post_callback, provider):
    account = sms_account(tenant, provider)
    row = settle(db, worker, send(db, tenant, account))
    answer = post_callback(account, _report_body(provider, row.provider_id, "13800000001"))
    assert answer.status_code == 200
    assert answer.get_json() == ({"code": 0, "msg": "成功"} if provider == "aliyun" else {"result": 0, "errmsg": "OK"})
    row = settle(db, worker, row)
    assert row.status == DeliveryStatus.DELIVERED
    post_callback(account, _report_body(provider, row.provider_id, "13800000001", ok=False))
    assert settle(db, worker, row).status == DeliveryStatus.DELIVERED  # a late failure changes nothing


def test_a_failed_report_records_the_carrier_code(db, tenant, sms_account, sandbox_control, worker, post_callback):
    account = sms_account(tenant)
    row = settle(db, worker, send(db, tenant, account))
    post_callback(account, _report_body("aliyun", row.provider_id, "13800000001", ok=False))
    row = settle(db, worker, row)
    assert (row.status, row.error_code) == (DeliveryStatus.FAILED, "sms_undelivered") and "MK:0001" in row.error


def test_the_sandbox_pushes_reports_to_the_platform(db, tenant, sms_account, sandbox_control, worker, post_callback):
    """The sandbox's own push bodies, replayed to the callback URL, deliver the rows (the demo posts them itself)."""
    account = sms_account(tenant, "tencent")
    sandbox_control.post("config", {"auto_report": True, "report_delay": 0})
    row = settle(db, worker, send(db, tenant, account))
    import time

    deadline, pushed = time.time() + 5, []
    while not pushed and time.time() < deadline:
        pushed = sandbox_control.outbox()
        time.sleep(0.02)
    for entry in pushed:
        assert post_callback(account, entry["body"]).status_code == 200
    assert settle(db, worker, row).status == DeliveryStatus.DELIVERED


def test_a_wrong_or_missing_token_is_refused_and_stores_nothing(db, tenant, sms_account, post_callback, client):
    account = sms_account(tenant)
    body = _report_body("aliyun", "123^0", "13800000001")
    assert post_callback(account, body, token="wrong").status_code == 403
    assert client.post(f"/callbacks/sms/{account.id}", data=body, content_type="application/json").status_code == 403
    assert db.exec(select(InboundCallback)).all() == []


def test_a_body_that_is_no_callback_is_refused(db, tenant, sms_account, post_callback):
    account = sms_account(tenant)
    for body in ("not json", json.dumps([{"hello": 1}]), json.dumps([1, 2])):
        assert post_callback(account, body).status_code == 400
    assert db.exec(select(InboundCallback)).all() == []


def test_a_repeated_push_is_stored_once(db, tenant, sms_account, worker, post_callback):
    account = sms_account(tenant)
    body = _report_body("aliyun", "999^0", "13800000001")
    for _ in range(3):
        assert post_callback(account, body).status_code == 200
    worker.join()
    assert len(db.exec(select(InboundCallback).where(InboundCallback.plugin == "sms")).all()) == 1


def test_a_report_through_another_tenants_account_never_touches_this_tenants_row(
        db, tenant, other_tenant, sms_account, sandbox_control, worker, post_callback):
    account = sms_account(tenant)
    row = settle(db, worker, send(db, tenant, account))
    foreign = sms_account(other_tenant)
    assert post_callback(foreign, _report_body("aliyun", row.provider_id, "13800000001", ok=False)).status_code == 200
    assert settle(db, worker, row).status == DeliveryStatus.SENT
    assert post_callback(account, _report_body("aliyun", row.provider_id, "13800000001"),
                         token="another-tenants-token").status_code == 403


def test_a_report_for_a_row_whose_answer_was_lost_is_matched_by_the_out_id(db, tenant, sms_account, worker,
                                                                           post_callback):
    from scrm.sdk import advance_delivery

    account = sms_account(tenant)
    row = send(db, tenant, account)
    db.commit()
    row = settle(db, worker, row)
    advance_delivery(db, row.id, DeliveryStatus.SENT)
    db.execute(MessageDelivery.__table__.update().where(MessageDelivery.__table__.c.id == row.id)
               .values(provider_id=None))
    db.commit()
    post_callback(account, _report_body("aliyun", "777^0", "13800000001", out_id=f"d{row.id}"))
    row = settle(db, worker, row)
    assert (row.status, row.provider_id) == (DeliveryStatus.DELIVERED, "777^0")


# -- the status poll -------------------------------------------------------------------------------------------------


def test_enabling_schedules_the_durable_status_poll_and_disabling_cancels_it(db, tenant, enable_plugins, client,
                                                                            make_user, login):
    enable_plugins(tenant, "sms")
    db.expire_all()
    [job] = db.exec(select(ScheduledJob).where(ScheduledJob.key == f"sms.status:{tenant.id}")).all()
    assert (job.actor, job.tenant_id, job.interval_seconds) == ("scrm_sms.jobs.poll_statuses", tenant.id, 300)
    login(make_user("admin@acme.test", tenant, role="tenant_admin"))
    assert client.post("/t/acme/plugins/sms/disable").status_code == 302
    db.expire_all()
    job = db.exec(select(ScheduledJob).where(ScheduledJob.key == f"sms.status:{tenant.id}")).first()
    assert job is None or job.status != "pending"


@pytest.mark.parametrize("provider", PROVIDERS)
def test_the_poll_settles_rows_whose_report_never_came(app, db, tenant, other_tenant, sms_account,
                                                       sandbox_control, worker, provider):
    from datetime import timedelta

    from scrm_sms.jobs import POLL_AFTER, poll_tenant

    account = sms_account(tenant, provider)
    row = settle(db, worker, send(db, tenant, account))
    fresh = settle(db, worker, send(db, tenant, account, recipient="13800000002"))
    [first, _second] = sorted(sandbox_control.sent(), key=lambda m: m["mobile"])
    for message in sandbox_control.sent():
        sandbox_control.post("report", {"message_id": message["message_id"], "mobile": message["mobile"],
                                        "status": "delivered"})
    stale = utcnow() - POLL_AFTER - timedelta(minutes=1)
    db.execute(MessageDelivery.__table__.update().where(MessageDelivery.__table__.c.id == row.id)
               .values(sent_at=stale))
    db.commit()
    with app.app_context():
        assert poll_tenant(other_tenant.id) == 0
        assert poll_tenant(tenant.id) == 1
    db.expire_all()
    assert db.get(MessageDelivery, row.id).status == DeliveryStatus.DELIVERED
    assert db.get(MessageDelivery, fresh.id).status == DeliveryStatus.SENT  # too recent to ask about


# -- the accounts page -------------------------------------------------------------------------------------------------


def _csrf(html: str) -> str:
    return re.search(r'name="csrf_token"[^>]*value="([^"]+)"', html).group(1)


def test_an_account_is_added_on_the_hosts_accounts_pages_with_its_secrets_encrypted(
        app, client, db, tenant, enable_plugins, make_user, login, sms_sandbox, sandbox_control):
    enable_plugins(tenant, "sms")
    login(make_user("admin@acme.test", tenant, role="tenant_admin"))
    base = "/t/acme/channels/sms/accounts"
    keys = KEYS["tencent"]
    app.config["WTF_CSRF_ENABLED"] = True
    try:
        form = client.get(f"{base}/new")
        assert form.status_code == 200 and 'name="key_secret"' in form.get_data(as_text=True)
        token = _csrf(form.get_data(as_text=True))
        missing_app = client.post(f"{base}/new", data={
            "csrf_token": token, "name": "腾讯云短信", "provider": "tencent", "key_id": keys["key_id"],
            "key_secret": keys["key_secret"], "sign_name": SIGN, "api_base": f"{sms_sandbox}/tencent"})
        assert missing_app.status_code == 422
        assert db.exec(select(ChannelAccount).where(ChannelAccount.plugin == "sms")).all() == []
        created = client.post(f"{base}/new", data={
            "csrf_token": token, "name": "腾讯云短信", "provider": "tencent", "key_id": keys["key_id"],
            "key_secret": keys["key_secret"], "app_id": keys["app_id"], "sign_name": f"【{SIGN}】",
            "api_base": f"{sms_sandbox}/tencent"})
        assert created.status_code == 201
        [account] = db.exec(select(ChannelAccount).where(ChannelAccount.plugin == "sms")).all()
        assert (account.external_id, account.config["provider"], account.config["sign_name"]) == (
            keys["key_id"], "tencent", SIGN)
        assert keys["key_secret"] not in account.credentials
        page = client.get(f"{base}/{account.id}").get_data(as_text=True)
        assert keys["key_secret"] not in page
        assert client.post(f"{base}/{account.id}/check", data={"csrf_token": _csrf(page)}).status_code == 302
    finally:
        app.config["WTF_CSRF_ENABLED"] = False
    db.expire_all()
    assert db.get(ChannelAccount, account.id).config["check"]["ok"] is True


def test_the_callback_token_is_generated_and_guards_the_callback_url(db, tenant, sms_account, post_callback):
    account = sms_account(tenant)
    assert post_callback(account, _report_body("aliyun", "1^0", "13800000001"), token=CALLBACK_TOKEN).status_code == 200


@pytest.mark.parametrize("provider", PROVIDERS)
def test_a_review_callback_moves_the_pending_template_and_publishes_the_event(db, tenant, other_tenant, sms_account,
                                                                             sandbox_control, worker, post_callback,
                                                                             provider):
    from scrm_sms.smstemplates.models import SmsTemplate

    account = sms_account(tenant, provider)
    code = "SMS_300001" if provider == "aliyun" else "300001"
    row = SmsTemplate(tenant_id=tenant.id, name="会员日", account_id=account.id, content="会员日全场8折",
                      provider_code=code, category="marketing")
    foreign = SmsTemplate(tenant_id=other_tenant.id, name="会员日", account_id=sms_account(other_tenant, provider).id,
                          content="x", provider_code=code)
    db.add_all([row, foreign])
    db.commit()
    body = (json.dumps([{"template_code": code, "audit_state": "AUDIT_STATE_NOT_PASS", "reason": "内容不明确"}])
            if provider == "aliyun" else
            json.dumps({"template_id": int(code), "status_code": -1, "review_reply": "内容不明确"}))
    assert post_callback(account, body).status_code == 200
    worker.join()
    db.expire_all()
    row, foreign = db.get(SmsTemplate, row.id), db.get(SmsTemplate, foreign.id)
    assert (row.status, row.reason) == ("rejected", "内容不明确")
    assert foreign.status == "pending"
    from sqlalchemy import text  # the domain event sms.review_result, in the platform's outbox table

    [(tenant_id, payload)] = db.execute(text("SELECT tenant_id, payload FROM outbox WHERE type = 'sms.review_result'"))
    payload = json.loads(payload) if isinstance(payload, str) else payload
    assert (tenant_id, payload["ref"], payload["status"]) == (tenant.id, code, "rejected")


def test_the_platform_holds_the_account_to_its_declared_rate(db, tenant, sms_account, sandbox_control, worker,
                                                             platform):
    rate, count = 20, 30
    account = sms_account(tenant, rate_limit=rate)
    assert platform.registry.plugin("sms").account_rate_limit(account) == rate
    for i in range(count):
        send(db, tenant, account, recipient=f"1380000{i:04d}")
    worker.join()
    times = sorted(m["sent_at"] for m in sandbox_control.sent())
    assert len(times) == count
    # never more than the declared rate in any one second: the (rate + 1)th send comes a second after the first
    # (the sandbox stamps arrival; the quota hold between the throttle's grant and the call adds some jitter)
    gaps = [round(times[i + rate] - times[i], 3) for i in range(count - rate)]
    assert min(gaps) >= 0.8 and sum(gaps) / len(gaps) >= 0.95, gaps
