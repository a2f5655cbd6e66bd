"""The provider clients against the sandbox of both vendors: round trips, tampered and replayed requests refused as
the real APIs refuse them, the vendors' error codes mapped to reasons, the per-number daily limit, the configurable
rate, the review lifecycle and the status query by out id."""

from __future__ import annotations

import json
import time
import uuid

import httpx
import pytest
from scrm_sms.providers import base
from scrm_sms.providers.aliyun import AliyunProvider, rpc_signature
from scrm_sms.providers.base import Credentials, SignatureDraft, SmsRequest, TemplateDraft
from scrm_sms.providers.tencent import TencentProvider
from scrm_sms.sandbox.state import DAILY_LIMIT_PER_NUMBER_TEMPLATE
from sms_testkit import KEYS, SIGN, TEMPLATE, TEXT_TEMPLATE

PROVIDERS = {"aliyun": AliyunProvider, "tencent": TencentProvider}


def client(sms_sandbox, provider: str, secret: str | None = None, clock=None):
    keys = KEYS[provider]
    return PROVIDERS[provider](Credentials(keys["key_id"], secret or keys["key_secret"], app_id=keys.get("app_id", ""),
                                           api_base=f"{sms_sandbox}/{provider}"), clock=clock)


def request(mobile="13800000001", template=None, provider="aliyun", **params):
    return SmsRequest(mobile, SIGN, template or TEMPLATE[provider], params or {"name": "李女士"}, out_id="d1")


@pytest.mark.parametrize("provider", ["aliyun", "tencent"])
def test_a_template_message_round_trips(sms_sandbox, sandbox_control, provider):
    outcome = client(sms_sandbox, provider).send(request(provider=provider))
    assert outcome.ok and outcome.message_id
    [sent] = sandbox_control.sent(KEYS[provider]["key_id"])
    assert (sent["mobile"], sent["text"], sent["out_id"]) == ("13800000001", "【珍客零售】亲爱的李女士，您的订单已发货。", "d1")
    assert sent["message_id"] == outcome.message_id and sent["segments"] == 1


@pytest.mark.parametrize("provider", ["aliyun", "tencent"])
def test_a_wrong_secret_is_refused_as_the_real_api_refuses_it(sms_sandbox, sandbox_control, provider):
    with pytest.raises(base.ProviderError) as refused:
        client(sms_sandbox, provider, secret="not-the-secret").send(request(provider=provider))
    expected = {"aliyun": "SignatureDoesNotMatch", "tencent": "AuthFailure.SignatureFailure"}[provider]
    assert (refused.value.code, refused.value.reason, refused.value.retryable) == (expected, base.AUTH, False)
    assert sandbox_control.sent() == []


def _aliyun_form(sms_sandbox, **overrides) -> dict:
    keys = KEYS["aliyun"]
    params = {"AccessKeyId": keys["key_id"], "Action": "SendSms", "Format": "JSON", "RegionId": "cn-hangzhou",
              "SignatureMethod": "HMAC-SHA1", "SignatureNonce": uuid.uuid4().hex, "SignatureVersion": "1.0",
              "Timestamp": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()), "Version": "2017-05-25",
              "PhoneNumbers": "13800000001", "SignName": SIGN, "TemplateCode": TEMPLATE["aliyun"],
              "TemplateParam": json.dumps({"name": "王先生"}, ensure_ascii=False), **overrides}
    params["Signature"] = rpc_signature(params, keys["key_secret"], "POST")
    return params


def test_aliyun_refuses_a_tampered_parameter_an_expired_timestamp_and_a_reused_nonce(sms_sandbox, sandbox_control):
    url = f"{sms_sandbox}/aliyun/"
    tampered = {**_aliyun_form(sms_sandbox), "PhoneNumbers": "13900000009"}
    answer = httpx.post(url, data=tampered)
    assert (answer.status_code, answer.json()["Code"]) == (400, "SignatureDoesNotMatch")
    old = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(time.time() - 16 * 60))
    answer = httpx.post(url, data=_aliyun_form(sms_sandbox, Timestamp=old))
    assert (answer.status_code, answer.json()["Code"]) == (400, "InvalidTimeStamp.Expired")
    recent = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(time.time() - 14 * 60))
    form = _aliyun_form(sms_sandbox, Timestamp=recent)
    assert httpx.post(url, data=form).json()["Code"] == "OK"
    replay = httpx.post(url, data=form)
    assert (replay.status_code, replay.json()["Code"]) == (400, "SignatureNonceUsed")
    unknown = _aliyun_form(sms_sandbox, AccessKeyId="LTAIunknown")
    assert httpx.post(url, data=unknown).json()["Code"] == "InvalidAccessKeyId.NotFound"
    assert len(sandbox_control.sent()) == 1  # only the one good request was sent


def test_aliyun_accepts_a_signed_get_as_well(sms_sandbox, sandbox_control):
    params = _aliyun_form(sms_sandbox)
    params["Signature"] = rpc_signature(params, KEYS["aliyun"]["key_secret"], "GET")
    assert httpx.get(f"{sms_sandbox}/aliyun/", params=params).json()["Code"] == "OK"


def test_tencent_refuses_a_tampered_body_an_expired_timestamp_and_another_content_type(sms_sandbox, sandbox_control):
    provider = client(sms_sandbox, "tencent")
    payload = json.dumps({"PhoneNumberSet": ["+8613800000001"], "SmsSdkAppId": KEYS["tencent"]["app_id"],
                          "SignName": SIGN, "TemplateId": TEMPLATE["tencent"], "TemplateParamSet": ["李女士"]},
                         ensure_ascii=False)
    now = int(time.time())

    def post(body: str, timestamp: int, content_type: str | None = None) -> dict:
        headers = provider.headers("SendSms", payload, timestamp)
        if content_type:
            headers["Content-Type"] = content_type
        return httpx.post(provider.url, content=body.encode(), headers=headers).json()["Response"]

    tampered = post(payload.replace("+8613800000001", "+8613900000009"), now)
    assert tampered["Error"]["Code"] == "AuthFailure.SignatureFailure"
    assert post(payload, now - 301)["Error"]["Code"] == "AuthFailure.SignatureExpire"
    assert post(payload, now, "application/json")["Error"]["Code"] == "AuthFailure.SignatureFailure"
    answer = post(payload, int(time.time()) - 290)
    assert answer.get("SendStatusSet", [{}])[0].get("Code") == "Ok", answer
    assert len(sandbox_control.sent()) == 1


@pytest.mark.parametrize("provider", ["aliyun", "tencent"])
def test_a_request_signed_at_a_skewed_clock_is_refused(sms_sandbox, sandbox_control, provider):
    skew = {"aliyun": 15 * 60 + 5, "tencent": 5 * 60 + 5}[provider]
    with pytest.raises(base.ProviderError) as refused:
        client(sms_sandbox, provider, clock=lambda: time.time() - skew).send(request(provider=provider))
    assert refused.value.code == {"aliyun": "InvalidTimeStamp.Expired", "tencent": "AuthFailure.SignatureExpire"}[
        provider] and refused.value.reason == base.AUTH


@pytest.mark.parametrize("provider", ["aliyun", "tencent"])
def test_vendor_errors_map_to_reasons(sms_sandbox, sandbox_control, provider):
    sms = client(sms_sandbox, provider)
    bad_number = sms.send(request("12345", provider=provider))
    assert not bad_number.ok and bad_number.error.reason == base.ILLEGAL_NUMBER
    with pytest.raises(base.ProviderError) as no_template:
        sms.send(request(template="SMS_404" if provider == "aliyun" else "404", provider=provider))
    assert no_template.value.reason == base.TEMPLATE
    with pytest.raises(base.ProviderError) as no_sign:
        sms.send(SmsRequest("13800000001", "无此签名", TEMPLATE[provider], {"name": "x"}))
    assert no_sign.value.reason == base.SIGNATURE
    with pytest.raises(base.ProviderError) as missing:
        sms.send(SmsRequest("13800000001", SIGN, TEMPLATE[provider], {}))
    assert missing.value.reason == base.TEMPLATE
    sandbox_control.post("keys", {**KEYS[provider], "balance": 0})
    try:
        with pytest.raises(base.ProviderError) as broke:
            sms.send(request(provider=provider))
        assert (broke.value.reason, broke.value.retryable) == (base.BALANCE, False)
    finally:
        sandbox_control.post("keys", {**KEYS[provider], "balance": 1_000_000})
    assert sandbox_control.sent() == []


@pytest.mark.parametrize("provider", ["aliyun", "tencent"])
def test_fifty_messages_per_number_and_template_a_day_then_the_business_limit(sms_sandbox, sandbox_control,
                                                                             provider):
    sms = client(sms_sandbox, provider)
    for _ in range(DAILY_LIMIT_PER_NUMBER_TEMPLATE):
        assert sms.send(request(provider=provider)).ok
    refused = sms.send(request(provider=provider))
    code = {"aliyun": "isv.BUSINESS_LIMIT_CONTROL", "tencent": "LimitExceeded.PhoneNumberDailyLimit"}[provider]
    assert not refused.ok and (refused.error.code, refused.error.reason, refused.error.retryable) == (
        code, base.RATE_LIMIT, False)
    assert sms.send(request("13800000002", provider=provider)).ok  # another number is not limited
    assert sms.send(request(template=TEXT_TEMPLATE[provider], provider=provider, content="x")).ok  # nor another template
    assert DAILY_LIMIT_PER_NUMBER_TEMPLATE == 50


@pytest.mark.parametrize("provider", ["aliyun", "tencent"])
def test_the_configured_rate_throttles_and_says_retryable(sms_sandbox, sandbox_control, provider):
    sandbox_control.post("config", {"rate": 3})
    sms = client(sms_sandbox, provider)
    results = []
    for i in range(4):
        try:
            results.append(sms.send(request(f"1380000000{i}", provider=provider)).ok)
        except base.ProviderError as error:
            results.append((error.reason, error.retryable))
    assert results == [True, True, True, (base.RATE_LIMIT, True)]


def test_batches_follow_the_vendors_limits(sms_sandbox, sandbox_control):
    aliyun, tencent = client(sms_sandbox, "aliyun"), client(sms_sandbox, "tencent")
    numbers = [f"138{i:08d}" for i in range(1, 201)]
    outcomes = aliyun.send_batch([request(n) for n in numbers[:100]])
    assert len(outcomes) == 100 and all(o.ok for o in outcomes)
    with pytest.raises(ValueError):
        aliyun.send_batch([request(n) for n in numbers[:101]])
    outcomes = tencent.send_batch([request(n, provider="tencent") for n in numbers])
    assert len(outcomes) == 200 and all(o.ok and o.fee == 1 for o in outcomes)
    assert len({o.message_id for o in outcomes}) == 200
    with pytest.raises(ValueError):
        tencent.send_batch([request(n, provider="tencent") for n in numbers + ["13900000000"]])
    mixed = tencent.send_batch([request("13800000001", provider="tencent"), request("2345", provider="tencent")])
    assert [o.ok for o in mixed] == [True, False] and mixed[1].error.reason == base.ILLEGAL_NUMBER


@pytest.mark.parametrize("provider", ["aliyun", "tencent"])
def test_the_status_query_finds_a_message_by_its_out_id(sms_sandbox, sandbox_control, provider):
    sms = client(sms_sandbox, provider)
    outcome = sms.send(SmsRequest("13800000001", SIGN, TEMPLATE[provider], {"name": "李"}, out_id="d77"))
    if provider == "aliyun":  # Aliyun lists messages still waiting for the carrier
        assert sms.query_status("13800000001", out_id="d77").status == base.SENT
    sandbox_control.post("report", {"message_id": outcome.message_id, "mobile": "13800000001",
                                    "status": "delivered"})
    found = sms.query_status("13800000001", out_id="d77")
    assert (found.status, found.out_id) == (base.DELIVERED, "d77")
    assert sms.query_status("13800000001", out_id="d78") is None
    assert sms.query_status("13800000001", message_id=outcome.message_id).status == base.DELIVERED


@pytest.mark.parametrize("provider", ["aliyun", "tencent"])
def test_the_review_lifecycle(sms_sandbox, sandbox_control, provider):
    sms = client(sms_sandbox, provider)
    code = sms.submit_template(TemplateDraft("会员日", "会员日全场8折，${name}快来！", "marketing"))
    assert sms.query_template(code).status == base.PENDING
    with pytest.raises(base.ProviderError) as unapproved:
        sms.send(SmsRequest("13800000001", SIGN, code, {"name": "李"}))
    assert unapproved.value.reason == base.TEMPLATE
    sandbox_control.outbox()
    sandbox_control.post("review", {"key_id": KEYS[provider]["key_id"], "kind": "template", "ref": code,
                                    "status": "rejected", "reason": "内容不明确"})
    assert (sms.query_template(code).status, sms.query_template(code).reason) == (base.REJECTED, "内容不明确")
    [pushed] = sandbox_control.outbox()
    [result] = sms.parse_callback(pushed["body"].encode())
    assert (result.kind, result.ref, result.status, result.reason) == ("template", code, base.REJECTED, "内容不明确")
    sandbox_control.post("review", {"key_id": KEYS[provider]["key_id"], "kind": "template", "ref": code,
                                    "status": "approved"})
    assert sms.query_template(code).status == base.APPROVED
    assert sms.send(SmsRequest("13800000001", SIGN, code, {"name": "李"})).ok
    sign = sms.submit_signature(SignatureDraft("珍客会员"))
    assert sms.query_signature(sign).status == base.PENDING
    sandbox_control.post("review", {"key_id": KEYS[provider]["key_id"], "kind": "signature", "ref": sign,
                                    "status": "approved"})
    assert sms.query_signature(sign).status == base.APPROVED
    sms.delete_template(code)
    with pytest.raises(base.ProviderError):
        sms.query_template(code)


@pytest.mark.parametrize("provider", ["aliyun", "tencent"])
def test_reports_and_replies_are_pushed_in_the_vendors_shapes(sms_sandbox, sandbox_control, provider):
    sms = client(sms_sandbox, provider)
    sandbox_control.post("config", {"auto_report": True, "report_delay": 0, "fail_numbers": ["13800000002"]})
    good = sms.send(request(provider=provider))
    bad = sms.send(request("13800000002", provider=provider))
    deadline = time.time() + 5
    pushed: list[dict] = []
    while len(pushed) < 2 and time.time() < deadline:
        pushed += sandbox_control.outbox()
        time.sleep(0.02)
    reports = {r.message_id: r for p in pushed for r in sms.parse_callback(p["body"].encode())}
    assert reports[good.message_id].status == base.DELIVERED and reports[bad.message_id].status == base.FAILED
    sandbox_control.post("uplink", {"key_id": KEYS[provider]["key_id"], "mobile": "13800000001", "text": "TD"})
    [reply] = sms.parse_callback(sandbox_control.outbox()[0]["body"].encode())
    assert (reply.mobile, reply.text) == ("13800000001", "TD")


def test_the_check_is_a_cheap_authenticated_call(sms_sandbox, sandbox_control):
    for provider in PROVIDERS:
        assert client(sms_sandbox, provider).check().startswith("ok")
        with pytest.raises(base.ProviderError) as refused:
            client(sms_sandbox, provider, secret="wrong-secret").check()
        assert refused.value.reason == base.AUTH
    assert sandbox_control.sent() == []


def test_an_unreachable_vendor_is_told_apart_from_an_unknown_outcome():
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    sms = AliyunProvider(Credentials("LTAIx", "secret", api_base=f"http://127.0.0.1:{port}"))
    with pytest.raises(base.Unreachable):
        sms.send(request())
    with socket.socket() as listener:  # accepts, never answers: the request went out
        listener.bind(("127.0.0.1", 0))
        listener.listen(1)
        slow = AliyunProvider(Credentials("LTAIx", "secret", api_base=f"http://127.0.0.1:{listener.getsockname()[1]}"),
                              timeout=0.3)
        with pytest.raises(base.OutcomeUnknown):
            slow.send(request())


def test_the_sandbox_keeps_its_accounts_across_restarts(tmp_path):
    from scrm_sms.sandbox import create_sandbox_app

    path = tmp_path / "sms.json"
    first = create_sandbox_app(path).test_client()
    assert first.post("/_sandbox/keys", json={"provider": "aliyun", "key_id": "LTAIdemo", "key_secret": "s3cret",
                                              "balance": 42}).status_code == 200
    assert first.post("/_sandbox/seed", json={"key_id": "LTAIdemo", "signs": [SIGN],
                                              "templates": [{"code": "SMS_1", "content": "${content}"}]}
                      ).status_code == 200
    again = create_sandbox_app(path).test_client().get("/_sandbox/accounts/LTAIdemo").get_json()
    assert again["balance"] == 42 and again["signs"][SIGN]["status"] == "approved" and "SMS_1" in again["templates"]
    assert create_sandbox_app(path).test_client().post("/_sandbox/keys", json={"provider": "x"}).status_code == 400


def test_the_sandbox_keeps_the_latest_messages_only_and_throttles_per_key():
    from scrm_sms.sandbox import carrier
    from scrm_sms.sandbox.state import SandboxState

    state = SandboxState()
    state.settings.auto_report, state.settings.keep_messages, state.settings.rate = False, 3, 2
    account = state.accounts[KEYS["aliyun"]["key_id"]]
    carrier_template = "SMS_1"
    from scrm_sms.sandbox.state import Review

    account.templates[carrier_template] = Review(ref=carrier_template, name="t", content="${content}",
                                                 status="approved")
    for i in range(5):
        carrier.take(state, account, f"1380000000{i}", SIGN, carrier_template, {"content": "x"}, "", f"m{i}")
    assert [m.mobile for m in state.sent.values()] == ["13800000002", "13800000003", "13800000004"]
    assert [state.throttled("k1", "SendSms") for _ in range(3)] == [False, False, True]
    assert state.throttled("k2", "SendSms") is False  # per key
