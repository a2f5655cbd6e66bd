"""Callbacks (issue 14 item 2, protocols.md §1): URL verification the official-account way in every mode with the
published vectors, safe and compatible mode decryption with the AppID checked, plain mode, dedupe by MsgId or
FromUserName + CreateTime through the inbox, replayed / tampered / wrong-AppID / foreign-account messages refused
with nothing stored twice, and the passive reply (encrypted in safe mode; ``success`` and a customer-service message
when the handlers are late)."""

from __future__ import annotations

import hashlib
import threading
import time

import pytest
from oa_fixtures import *  # noqa: F403
from oa_fixtures import AES_KEY, APPID, ORIGINAL_ID, OTHER_APPID, TOKEN
from scrm_official_account import replies as replies_module
from scrm_official_account.events import EVENT_SUBSCRIBED, EVENT_TEXT
from scrm_official_account.replies import Reply, reply_handler, unregister
from scrm_official_account.sandbox import callback_request, message_xml, read_reply
from sqlmodel import select

from scrm.sdk import InboundCallback, MessageDelivery
from scrm.sdk.wechat import WeChatCrypto, build_xml, parse_xml

#: protocols.md §1.3 V6 (Tencent's MP sample): a text message "abcdteT" in safe mode
V6 = {"timestamp": "1409735669", "nonce": "1320562132", "msg_signature": "5d197aaffba7e9b25a30732f161a50dee96bd5fa",
      "encrypt": "hyzAe4OzmOMbd6TvGdIOO6uBmdJoD0Fk53REIHvxYtJlE2B655HuD0m8KUePWB3+LrPXo87wzQ1QLvbeUgmBM4x6F8PGHQHFVAFmO"
                 "D2LdJF9FrXpbUAh0B5GIItb52sn896wVsMSHGuPE328HnRGBcrS7C41IzDWyWNlZkyyXwon8T332jisa+h6tEDYsVticbSnyU8dKOIb"
                 "gU6ux5VTjg3yt+WGzjlpKn6NPhRjpA912xMezR4kw6KWwMrCVKSVCZciVGCgavjIQ6X8tCOp3yZbGpy0VxpAe+77TszTfRd5RJSVO/"
                 "HTnifJpXgCSUdUue1v6h0EIBYYI1BD1DlD+C0CR8e6OewpusjZ4uBl9FyJvnhvQl+q5rv1ixrcpCumEPo5MJSgM9ehVsNPfUM669Wu"
                 "MyVWQLCzpu9GhglF2PE="}
#: protocols.md §1.2 (wechatpy test_check_signature_should_ok): the plain-mode signature
PLAIN = {"token": "test", "timestamp": "1410685589", "nonce": "test",
         "signature": "f21891de399b4e33a1a93c9a7b8a8fffb5a443ff"}
OPENID = "oyORnuP8q7ou2gfYjqLzSIWZf0rs"


def plain_signature(token: str, timestamp: str, nonce: str) -> str:
    return hashlib.sha1("".join(sorted([token, timestamp, nonce])).encode()).hexdigest()


@pytest.fixture
def oa(tenant, enable_plugins, make_oa_account):
    enable_plugins(tenant, "official_account")
    return make_oa_account(tenant)


@pytest.fixture
def replayable(monkeypatch):
    """Published samples carry old timestamps: switch the freshness window off for them."""
    monkeypatch.setenv("SCRM_CALLBACK_MAX_AGE", "0")


def stored(db, account):
    db.expire_all()
    return list(db.exec(select(InboundCallback).where(InboundCallback.account_id == account.id)))


def url(account) -> str:
    return f"/callbacks/official_account/{account.id}"


# -- URL verification ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize("mode", ["plain", "compatible", "safe"])
def test_url_verification_checks_the_plain_signature_and_echoes_the_echostr_as_is_in_every_mode(
        mode, client, tenant, enable_plugins, make_oa_account, replayable):
    enable_plugins(tenant, "official_account")
    account = make_oa_account(tenant, token=PLAIN["token"], mode=mode)
    query = {**{k: PLAIN[k] for k in ("timestamp", "nonce", "signature")}, "echostr": "5838479218127813673"}
    answer = client.get(url(account), query_string=query)
    assert answer.status_code == 200 and answer.get_data() == b"5838479218127813673"
    assert answer.mimetype == "text/plain"
    tampered = {**query, "signature": PLAIN["signature"][:-1] + "e"}
    assert client.get(url(account), query_string=tampered).status_code == 403


def test_url_verification_is_not_the_wecom_way(client, oa):
    """WeCom signs four values (msg_signature) and wants the echostr decrypted; an official account does neither."""
    ts, nonce = str(int(time.time())), "12345"
    crypto = WeChatCrypto(TOKEN, AES_KEY, APPID)
    encrypted, signature = crypto.encrypt_message("plain echo", ts, nonce)
    answer = client.get(url(oa), query_string={"msg_signature": signature, "timestamp": ts, "nonce": nonce,
                                              "echostr": encrypted})
    assert answer.status_code == 400
    good = {"signature": plain_signature(TOKEN, ts, nonce), "timestamp": ts, "nonce": nonce, "echostr": encrypted}
    assert client.get(url(oa), query_string=good).get_data(as_text=True) == encrypted  # unchanged, not decrypted


def test_a_stale_timestamp_is_refused(client, oa):
    ts = str(int(time.time()) - 3600)
    query = {"signature": plain_signature(TOKEN, ts, "1"), "timestamp": ts, "nonce": "1", "echostr": "x"}
    assert client.get(url(oa), query_string=query).status_code == 403


# -- safe mode: the official vector ------------------------------------------------------------------------------


def v6_request():
    query = {"signature": plain_signature(TOKEN, V6["timestamp"], V6["nonce"]), "timestamp": V6["timestamp"],
             "nonce": V6["nonce"], "openid": OPENID, "encrypt_type": "aes", "msg_signature": V6["msg_signature"]}
    body = build_xml({"ToUserName": ORIGINAL_ID, "Encrypt": V6["encrypt"]})
    return query, body


def test_the_official_safe_mode_sample_is_decrypted_stored_once_and_answered_success(client, db, oa, replayable):
    query, body = v6_request()
    first = client.post(url(oa), query_string=query, data=body, content_type="text/xml")
    assert first.status_code == 200 and first.get_data(as_text=True) == "success"
    rows = stored(db, oa)
    assert len(rows) == 1 and rows[0].dedupe_key == "msg:6054768590064713728"
    message = parse_xml(rows[0].body)
    assert message["Content"] == "abcdteT" and message["FromUserName"] == OPENID
    replay = client.post(url(oa), query_string=query, data=body, content_type="text/xml")
    assert replay.status_code == 200 and replay.get_data(as_text=True) == "success"
    assert len(stored(db, oa)) == 1


def test_tampered_messages_are_refused_and_nothing_is_stored(client, db, oa, replayable):
    query, body = v6_request()
    flipped = V6["encrypt"][:10] + ("A" if V6["encrypt"][10] != "A" else "B") + V6["encrypt"][11:]
    tampered_body = build_xml({"ToUserName": ORIGINAL_ID, "Encrypt": flipped})
    assert client.post(url(oa), query_string=query, data=tampered_body, content_type="text/xml").status_code == 403
    bad_plain = {**query, "signature": "0" * 40}
    assert client.post(url(oa), query_string=bad_plain, data=body, content_type="text/xml").status_code == 403
    bad_msg = {**query, "msg_signature": "0" * 40}
    assert client.post(url(oa), query_string=bad_msg, data=body, content_type="text/xml").status_code == 403
    no_msg = {k: v for k, v in query.items() if k != "msg_signature"}
    assert client.post(url(oa), query_string=no_msg, data=body, content_type="text/xml").status_code == 400
    assert stored(db, oa) == []


def test_a_message_encrypted_for_another_appid_is_refused(client, db, oa, fire):
    xml = message_xml(ORIGINAL_ID, OPENID, "text", Content="hi", MsgId="1001")
    answer = fire(oa, xml, appid=OTHER_APPID)  # same Token and key, another AppID inside the buffer
    assert answer.status_code == 403
    assert stored(db, oa) == []


def test_a_callback_of_one_account_is_refused_by_another(client, db, tenant, oa, make_oa_account, fire):
    other = make_oa_account(tenant, appid=OTHER_APPID, token="OtherToken123", name="门店服务号")
    xml = message_xml(ORIGINAL_ID, OPENID, "text", Content="hi", MsgId="1002")
    response = client.post(url(other), query_string=callback_request(
        {"appid": APPID, "token": TOKEN, "encoding_aes_key": AES_KEY, "mode": "safe"}, xml)[0],
        data=callback_request({"appid": APPID, "token": TOKEN, "encoding_aes_key": AES_KEY, "mode": "safe"}, xml)[1],
        content_type="text/xml")
    assert response.status_code == 403
    assert stored(db, other) == [] and stored(db, oa) == []


def test_a_callback_to_an_account_of_another_tenant_or_unknown_is_404(client, other_tenant, enable_plugins,
                                                                      make_oa_account, oa, fire):
    assert client.post(f"/callbacks/official_account/{oa.id + 1000}", data="<xml/>").status_code == 404


# -- compatible and plain mode --------------------------------------------------------------------------------------


def test_compatible_mode_trusts_only_the_encrypted_part(client, db, tenant, enable_plugins, make_oa_account, fire):
    enable_plugins(tenant, "official_account")
    account = make_oa_account(tenant, mode="compatible")
    xml = message_xml(ORIGINAL_ID, OPENID, "text", Content="真的内容", MsgId="2001")
    query, body = callback_request({"appid": APPID, "token": TOKEN, "encoding_aes_key": AES_KEY,
                                    "mode": "compatible"}, xml)
    forged = body.decode().replace("真的内容", "伪造内容")
    assert "伪造内容" in forged and "<Encrypt>" in forged
    assert client.post(url(account), query_string=query, data=forged.encode(),
                       content_type="text/xml").status_code == 200
    rows = stored(db, account)
    assert len(rows) == 1 and parse_xml(rows[0].body)["Content"] == "真的内容"


def test_plain_mode_takes_plaintext_and_a_safe_account_refuses_it(client, db, tenant, enable_plugins,
                                                                   make_oa_account):
    enable_plugins(tenant, "official_account")
    plain = make_oa_account(tenant, mode="plain")
    xml = message_xml(ORIGINAL_ID, OPENID, "text", Content="明文", MsgId="3001")
    query, body = callback_request({"appid": APPID, "token": TOKEN, "mode": "plain"}, xml)
    assert "encrypt_type" not in query
    assert client.post(url(plain), query_string=query, data=body, content_type="text/xml").status_code == 200
    assert len(stored(db, plain)) == 1
    make_oa_account(tenant, mode="safe")  # the same account switched to safe mode
    assert client.post(url(plain), query_string=query, data=body, content_type="text/xml").status_code == 403
    forged = message_xml("gh_ffffffffffff", OPENID, "text", Content="x", MsgId="3002")
    make_oa_account(tenant, mode="plain")
    q2, b2 = callback_request({"appid": APPID, "token": TOKEN, "mode": "plain"}, forged)
    assert client.post(url(plain), query_string=q2, data=b2, content_type="text/xml").status_code == 403
    assert len(stored(db, plain)) == 1


def test_malformed_bodies_are_400(client, db, oa):
    ts, nonce = str(int(time.time())), "9"
    query = {"signature": plain_signature(TOKEN, ts, nonce), "timestamp": ts, "nonce": nonce,
             "encrypt_type": "aes", "msg_signature": "x"}
    assert client.post(url(oa), query_string=query, data=b"<xml><nope/></xml>",
                       content_type="text/xml").status_code == 400
    assert client.post(url(oa), query_string={"timestamp": ts}, data=b"<xml/>").status_code == 400
    assert stored(db, oa) == []


# -- dedupe -----------------------------------------------------------------------------------------------------


def test_events_are_deduplicated_by_fan_and_create_time(client, db, oa, fire):
    created = int(time.time())
    subscribe = message_xml(ORIGINAL_ID, OPENID, "event", create_time=created, Event="subscribe")
    assert fire(oa, subscribe).status_code == 200
    assert fire(oa, subscribe, nonce="another").status_code == 200  # WeChat's retry: new nonce, same event
    assert len(stored(db, oa)) == 1
    later = message_xml(ORIGINAL_ID, OPENID, "event", create_time=created + 1, Event="unsubscribe")
    other_fan = message_xml(ORIGINAL_ID, "oFanB", "event", create_time=created, Event="subscribe")
    assert fire(oa, later).status_code == 200 and fire(oa, other_fan).status_code == 200
    assert len(stored(db, oa)) == 3


def test_messages_are_deduplicated_by_msgid(client, db, oa, fire):
    xml = message_xml(ORIGINAL_ID, OPENID, "text", Content="你好", MsgId="4001")
    for _ in range(3):
        assert fire(oa, xml).status_code == 200
    assert len(stored(db, oa)) == 1


# -- passive replies -----------------------------------------------------------------------------------------


@pytest.fixture
def echo_handler():
    calls = []

    @reply_handler(EVENT_TEXT, order=1)
    def echo(ctx):
        calls.append(ctx.event.payload["content"])
        return Reply.text("收到：" + ctx.event.payload["content"], source="test")

    yield calls
    unregister(echo)


@pytest.mark.parametrize("mode", ["safe", "compatible", "plain"])
def test_a_reply_computed_in_time_is_answered_passively_encrypted_when_the_account_encrypts(
        mode, client, db, tenant, enable_plugins, make_oa_account, fire, echo_handler):
    enable_plugins(tenant, "official_account")
    account = make_oa_account(tenant, mode=mode)
    answer = fire(account, message_xml(ORIGINAL_ID, OPENID, "text", Content="价格", MsgId="5001"))
    assert answer.status_code == 200
    text = answer.get_data(as_text=True)
    assert ("<Encrypt>" in text) == (mode != "plain")
    reply = read_reply({"appid": APPID, "token": TOKEN, "encoding_aes_key": AES_KEY, "mode": mode}, text)
    assert reply["MsgType"] == "text" and reply["Content"] == "收到：价格"
    assert reply["ToUserName"] == OPENID and reply["FromUserName"] == ORIGINAL_ID
    again = fire(account, message_xml(ORIGINAL_ID, OPENID, "text", Content="价格", MsgId="5001"))
    assert again.get_data(as_text=True) == "success"  # a retry stores nothing and answers nothing more
    assert len(stored(db, account)) == 1


def test_no_handler_reply_means_success(client, oa, fire):
    answer = fire(oa, message_xml(ORIGINAL_ID, OPENID, "event", Event="subscribe"))
    assert answer.get_data(as_text=True) == "success"


def test_the_first_handler_by_order_wins_and_a_failing_handler_is_skipped(client, oa, fire):
    @reply_handler(EVENT_SUBSCRIBED, order=1)
    def broken(ctx):
        raise RuntimeError("boom")

    @reply_handler(EVENT_SUBSCRIBED, order=5)
    def second(ctx):
        return Reply.text("second")

    @reply_handler(EVENT_SUBSCRIBED, order=3)
    def first(ctx):
        return Reply.text("first")

    try:
        answer = fire(oa, message_xml(ORIGINAL_ID, OPENID, "event", Event="subscribe"))
        reply = read_reply({"appid": APPID, "token": TOKEN, "encoding_aes_key": AES_KEY}, answer.get_data())
        assert reply["Content"] == "first"
    finally:
        for handler in (broken, second, first):
            unregister(handler)


def test_a_late_reply_is_success_now_and_a_customer_service_message_later(client, db, oa, fire, monkeypatch):
    monkeypatch.setattr("scrm_official_account.callbacks.REPLY_BUDGET", 0.2)
    release = threading.Event()

    @reply_handler(EVENT_TEXT, order=1)
    def slow(ctx):
        release.wait(5)
        return Reply.text("稍后回复", source="slow")

    try:
        started = time.monotonic()
        answer = fire(oa, message_xml(ORIGINAL_ID, OPENID, "text", Content="在吗", MsgId="6001"))
        assert answer.get_data(as_text=True) == "success" and time.monotonic() - started < 2
        release.set()
        deadline = time.monotonic() + 5
        rows = []
        while time.monotonic() < deadline and not rows:
            db.expire_all()
            rows = list(db.exec(select(MessageDelivery).where(MessageDelivery.account_id == oa.id)))
            time.sleep(0.05)
        assert len(rows) == 1
        assert rows[0].recipient == OPENID and rows[0].purpose == "auto_reply"
        assert rows[0].message == {"kind": "text", "payload": {"content": "稍后回复"}}
    finally:
        release.set()
        unregister(slow)


def test_the_reply_budget_leaves_room_within_wechats_five_seconds():
    assert replies_module.REPLY_BUDGET <= 4.0


def test_tenants_are_kept_apart_at_the_gateway_and_in_processing(client, db, tenant, other_tenant, enable_plugins,
                                                                 make_oa_account, fire):
    """Both tenants registered the same AppID (allowed: accounts are per tenant) with different Tokens: a callback
    signed for one account is refused by the other's URL, and processing a tenant's rows never touches another's."""
    from scrm_official_account.jobs import process_callbacks
    from scrm_official_account.messages.models import ChatMessage, Conversation

    enable_plugins(tenant, "official_account")
    enable_plugins(other_tenant, "official_account")
    ours = make_oa_account(tenant)
    theirs = make_oa_account(other_tenant, token="TheirToken2026")
    xml = message_xml(ORIGINAL_ID, OPENID, "text", Content="只给我们", MsgId="8001")
    assert fire(theirs, xml).status_code == 403  # signed with our Token
    assert fire(ours, xml).status_code == 200
    assert stored(db, theirs) == [] and len(stored(db, ours)) == 1
    ids = [row.id for row in stored(db, ours)]
    process_callbacks(other_tenant.id, inbound_ids=ids)  # a job naming another tenant's rows does nothing
    db.expire_all()
    assert db.exec(select(ChatMessage)).all() == [] and stored(db, ours)[0].processed_at is None
    process_callbacks(tenant.id, inbound_ids=ids)
    db.expire_all()
    assert [(c.tenant_id, c.account_id) for c in db.exec(select(Conversation))] == [(tenant.id, ours.id)]
