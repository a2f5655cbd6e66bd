"""Callbacks through the host gateway: URL verification, verified and decrypted events stored once under their
dedupe key, processed by a job into ``wecom.*`` domain events; refusals store nothing; tenants stay apart."""

from __future__ import annotations

import base64
import time

import pytest
from scrm_wecom.events import DOMAIN_EVENTS
from scrm_wecom.jobs import process_callback, process_callbacks
from scrm_wecom.sandbox import CallbackTarget, event_xml, fire_callback, verify_url
from sqlalchemy import JSON, column, select, table
from wecom_foundation_fixtures import *  # noqa: F403
from wecom_foundation_fixtures import AES_KEY, CALLBACK_TOKEN, CORP_ID, OTHER_CORP_ID

from scrm.sdk import InboundCallback, utcnow
from scrm.sdk.wechat import WeChatCrypto, build_xml, msg_signature

TARGET = CallbackTarget(CORP_ID, CALLBACK_TOKEN, AES_KEY)
outbox = table("outbox", column("tenant_id"), column("type"), column("payload", JSON))


def url_of(account) -> str:
    return f"http://localhost/callbacks/wecom/{account.id}"


def stored(db, account_id=None, tenant_id=None) -> list[InboundCallback]:
    db.commit()  # a fresh snapshot: jobs and requests commit in other sessions
    db.expire_all()
    query = select(InboundCallback)
    if account_id is not None:
        query = query.where(InboundCallback.account_id == account_id)
    if tenant_id is not None:
        query = query.where(InboundCallback.tenant_id == tenant_id)
    return list(db.execute(query).scalars())


def events(db, tenant_id, type_=None) -> list[dict]:
    """The tenant's ``wecom.*`` domain events (subscribers may publish others, e.g. ``customer.created``)."""
    db.commit()
    query = select(outbox.c.type, outbox.c.payload).where(outbox.c.tenant_id == tenant_id,
                                                           outbox.c.type.like("wecom.%"))
    if type_ is not None:
        query = query.where(outbox.c.type == type_)
    return [{"type": t, **p} for t, p in db.execute(query)]


def friend_added_xml(**fields) -> str:
    values = {"UserID": "zhangsan", "ExternalUserID": "wmNewFriend", "State": "lc:7", "WelcomeCode": "WELCOME1",
              "create_time": 1403610513, **fields}
    return event_xml(CORP_ID, "change_external_contact", "add_external_contact", **values)


@pytest.fixture
def account(tenant, enable_plugins, make_account):
    enable_plugins(tenant, "wecom")
    return make_account(tenant)


def test_url_verification_answers_the_decrypted_echostr(account, wsgi_http):
    echo, response = verify_url(url_of(account), TARGET, http=wsgi_http)
    assert response.status_code == 200 and response.text == echo


def _echostr_with_plus(crypto: WeChatCrypto) -> tuple[str, str, str, str]:
    """An encrypted echostr whose base64 holds a ``+`` (and its plaintext, timestamp, signature), signed now."""
    timestamp = str(int(time.time()))
    for n in range(500):
        plaintext = f"echo{n}"
        echostr, signature = crypto.encrypt_message(plaintext, timestamp, "47744683")
        if "+" in echostr:
            return plaintext, echostr, timestamp, signature
    raise AssertionError("no echostr with a + found")


def test_url_verification_takes_a_raw_plus_in_the_echostr_and_answers_within_a_second(account, wsgi_http):
    crypto = WeChatCrypto(CALLBACK_TOKEN, AES_KEY, CORP_ID)
    plaintext, echostr, timestamp, signature = _echostr_with_plus(crypto)
    # WeCom puts the base64 in the query unencoded: a form decoder reads its "+" as a space
    raw_query = f"msg_signature={signature}&timestamp={timestamp}&nonce=47744683&echostr={echostr}"
    assert "+" in raw_query and "%2B" not in raw_query
    started = time.monotonic()
    response = wsgi_http.get(f"{url_of(account)}?{raw_query}")
    assert time.monotonic() - started < 1.0
    assert response.status_code == 200 and response.text == plaintext
    assert response.headers["content-type"].startswith("text/plain")


def test_url_verification_with_an_encoded_plus_answers_the_same(account, wsgi_http):
    crypto = WeChatCrypto(CALLBACK_TOKEN, AES_KEY, CORP_ID)
    plaintext, echostr, timestamp, signature = _echostr_with_plus(crypto)
    response = wsgi_http.get(url_of(account), params={"msg_signature": signature, "timestamp": timestamp,
                                                      "nonce": "47744683", "echostr": echostr})
    assert response.status_code == 200 and response.text == plaintext


def test_url_verification_with_a_bad_signature_is_forbidden(account, wsgi_http):
    crypto = WeChatCrypto(CALLBACK_TOKEN, AES_KEY, CORP_ID)
    now = str(int(time.time()))
    echostr, _sig = crypto.encrypt_message("12345", now, "47744683")
    response = wsgi_http.get(url_of(account), params={"msg_signature": "0" * 40, "timestamp": now,
                                                      "nonce": "47744683", "echostr": echostr})
    assert response.status_code == 403


def test_a_valid_event_is_stored_once_answered_fast_and_becomes_a_domain_event(account, wsgi_http, worker, db):
    started = time.monotonic()
    response = fire_callback(url_of(account), TARGET, friend_added_xml(), http=wsgi_http)
    assert time.monotonic() - started < 1.0
    assert response.status_code == 200 and response.text == "success"
    [row] = stored(db, account.id)
    assert row.tenant_id == account.tenant_id and row.plugin == "wecom" and row.dedupe_key.startswith("event:")
    assert "<WelcomeCode><![CDATA[WELCOME1]]></WelcomeCode>" in row.body
    worker.join()
    [event] = events(db, account.tenant_id)
    assert event["type"] == "wecom.friend_added"
    assert (event["userid"], event["external_userid"], event["state"], event["welcome_code"]) == \
        ("zhangsan", "wmNewFriend", "lc:7", "WELCOME1")
    assert (event["account_id"], event["corp_id"], event["create_time"]) == (account.id, CORP_ID, 1403610513)
    assert stored(db, account.id)[0].processed_at is not None


def test_a_replayed_duplicate_is_answered_and_stored_nothing_twice(account, wsgi_http, worker, db):
    xml = friend_added_xml()
    for nonce in ("1111", "2222"):  # WeChat's retries: same message, fresh timestamp/nonce/signature
        assert fire_callback(url_of(account), TARGET, xml, http=wsgi_http, nonce=nonce).status_code == 200
    worker.join()
    assert fire_callback(url_of(account), TARGET, xml, http=wsgi_http, nonce="3333").text == "success"
    worker.join()
    assert len(stored(db, account.id)) == 1
    assert len(events(db, account.tenant_id, "wecom.friend_added")) == 1


def test_distinct_events_in_the_same_second_are_both_kept(account, wsgi_http, db):
    fire_callback(url_of(account), TARGET, friend_added_xml(ExternalUserID="wmOne"), http=wsgi_http)
    fire_callback(url_of(account), TARGET, friend_added_xml(ExternalUserID="wmTwo"), http=wsgi_http)
    assert len(stored(db, account.id)) == 2


def test_a_plain_message_is_deduplicated_by_msgid(account, wsgi_http, db):
    xml = build_xml({"ToUserName": CORP_ID, "FromUserName": "zhangsan", "CreateTime": 1348831860,
                     "MsgType": "text", "Content": "hello", "MsgId": "1234567890123456", "AgentID": 1000002})
    fire_callback(url_of(account), TARGET, xml, http=wsgi_http)
    fire_callback(url_of(account), TARGET, xml, http=wsgi_http, nonce="again")
    [row] = stored(db, account.id)
    assert row.dedupe_key == "msg:1234567890123456"
    process_callback(account.tenant_id, inbound_id=row.id)
    assert events(db, account.tenant_id) == [] and stored(db, account.id)[0].processed_at is not None


def _post(http, account, body: bytes, signature: str | None = None, encrypt: str | None = None):
    ts, nonce = str(int(time.time())), "1320562132"
    signature = signature or msg_signature(CALLBACK_TOKEN, ts, nonce, encrypt or "")
    return http.post(url_of(account), params={"msg_signature": signature, "timestamp": ts, "nonce": nonce},
                     content=body)


def test_a_bad_signature_is_forbidden_and_stores_nothing(account, wsgi_http, db):
    encrypt, _sig = WeChatCrypto(CALLBACK_TOKEN, AES_KEY, CORP_ID).encrypt_message(friend_added_xml(), "1", "2")
    body = build_xml({"ToUserName": CORP_ID, "Encrypt": encrypt}).encode()
    assert _post(wsgi_http, account, body, signature="f" * 40).status_code == 403
    assert stored(db) == []


def test_a_message_for_another_corp_is_forbidden_and_stores_nothing(account, wsgi_http, db):
    other = CallbackTarget(OTHER_CORP_ID, CALLBACK_TOKEN, AES_KEY)  # right keys, wrong receive id
    response = fire_callback(url_of(account), other, friend_added_xml(), http=wsgi_http)
    assert response.status_code == 403
    assert stored(db) == []


@pytest.mark.parametrize("body", [b"<xml><Encrypt>abc", b"not xml at all", b"<xml><ToUserName>x</ToUserName></xml>",
                                  b"<!DOCTYPE x [<!ENTITY a 'b'>]><xml><Encrypt>&a;</Encrypt></xml>"],
                         ids=["truncated", "text", "no-encrypt", "doctype"])
def test_malformed_xml_is_a_bad_request_and_stores_nothing(account, wsgi_http, db, body):
    assert _post(wsgi_http, account, body).status_code == 400
    assert stored(db) == []


def test_an_undecryptable_body_is_a_bad_request(account, wsgi_http, db):
    encrypt = base64.b64encode(bytes(range(32))).decode()
    body = build_xml({"ToUserName": CORP_ID, "Encrypt": encrypt}).encode()
    assert _post(wsgi_http, account, body, encrypt=encrypt).status_code == 400
    assert stored(db) == []


def test_a_decrypted_body_that_is_not_xml_is_a_bad_request(account, wsgi_http, db):
    assert fire_callback(url_of(account), TARGET, "plain text, no xml", http=wsgi_http).status_code == 400
    assert stored(db) == []


def test_missing_query_parameters_are_a_bad_request(account, wsgi_http, db):
    assert wsgi_http.post(url_of(account), content=b"<xml/>").status_code == 400
    assert wsgi_http.get(url_of(account)).status_code == 400
    assert stored(db) == []


def test_callbacks_404_when_the_tenant_disabled_the_plugin(tenant, make_account, wsgi_http, db):
    account = make_account(tenant)
    assert fire_callback(url_of(account), TARGET, friend_added_xml(), http=wsgi_http).status_code == 404
    assert verify_url(url_of(account), TARGET, http=wsgi_http)[1].status_code == 404
    assert stored(db) == []


def test_a_callback_for_one_tenant_never_writes_the_other_tenants_rows(
        tenant, other_tenant, enable_plugins, make_account, wsgi_http, worker, db):
    enable_plugins(tenant, "wecom")
    enable_plugins(other_tenant, "wecom")
    mine, theirs = make_account(tenant), make_account(other_tenant, corp_id=OTHER_CORP_ID)
    assert fire_callback(url_of(mine), TARGET, friend_added_xml(), http=wsgi_http).status_code == 200
    # A's corp (A's receive id) posted to B's account URL is refused: B's corp id does not match.
    assert fire_callback(url_of(theirs), TARGET, friend_added_xml(), http=wsgi_http).status_code == 403
    worker.join()
    assert [r.tenant_id for r in stored(db)] == [tenant.id]
    assert stored(db, tenant_id=other_tenant.id) == []
    assert len(events(db, tenant.id)) == 1 and events(db, other_tenant.id) == []
    # the job refuses an inbound id of another tenant
    row = stored(db, mine.id)[0]
    process_callback(other_tenant.id, inbound_id=row.id)
    assert events(db, other_tenant.id) == []


SAMPLE_FIELDS = {
    "change_external_contact": {"UserID": "zhangsan", "ExternalUserID": "wmX", "Source": "DELETE_BY_TRANSFER",
                                "FailReason": "customer_refused"},
    "change_external_chat": {"ChatId": "wrChat1", "UpdateDetail": "add_member", "JoinScene": 3, "QuitScene": 0,
                             "MemChangeCnt": 2, "MemChangeList": {"Item": ["Jack", "Rose"]}, "CurMemVer": "v2"},
    "change_external_tag": {"Id": "etTag1", "TagType": "tag", "StrategyId": 1},
    "change_contact": {"UserID": "lisi", "Id": 7, "Name": "Stores", "ParentId": 1, "Department": "1,2"},
}


@pytest.mark.parametrize(("key", "event_type"), sorted(DOMAIN_EVENTS.items()), ids=lambda v: str(v))
def test_each_change_type_publishes_its_domain_event(account, wsgi_http, db, key, event_type):
    event, change_type = key
    xml = event_xml(CORP_ID, event, change_type, **SAMPLE_FIELDS[event])
    assert fire_callback(url_of(account), TARGET, xml, http=wsgi_http).status_code == 200
    [row] = stored(db, account.id)
    process_callback(account.tenant_id, inbound_id=row.id)
    process_callback(account.tenant_id, inbound_id=row.id)  # a redelivered job publishes nothing more
    db.commit()
    [published] = events(db, account.tenant_id)
    assert published["type"] == event_type and published["change_type"] == change_type
    if event == "change_external_chat":
        assert (published["chat_id"], published["join_scene"], published["member_userids"]) == \
            ("wrChat1", 3, ["Jack", "Rose"])
    elif event == "change_external_tag":
        assert (published["tag_id"], published["tag_type"]) == ("etTag1", "tag")
    elif event == "change_contact":
        assert (published["userid"], published["department"], published["parent_id"]) == ("lisi", [1, 2], 1)
    else:
        assert (published["userid"], published["external_userid"]) == ("zhangsan", "wmX")


def test_an_unknown_event_is_stored_and_processed_without_domain_event(account, wsgi_http, db):
    xml = event_xml(CORP_ID, "enter_agent", None, AgentID=1000002)
    assert fire_callback(url_of(account), TARGET, xml, http=wsgi_http).status_code == 200
    [row] = stored(db, account.id)
    process_callback(account.tenant_id, inbound_id=row.id)
    assert events(db, account.tenant_id) == [] and stored(db, account.id)[0].processed_at is not None


def test_stored_but_unprocessed_callbacks_are_rerun_by_the_platform_recovery(
        tenant, other_tenant, enable_plugins, make_account, worker, platform, db):
    from datetime import timedelta

    from scrm.core.inbox_recovery import RecoveryPolicy, recover_inbox

    enable_plugins(tenant, "wecom")
    enable_plugins(other_tenant, "wecom")
    mine = make_account(tenant)
    make_account(other_tenant, corp_id=OTHER_CORP_ID)
    db.add(InboundCallback(tenant_id=tenant.id, account_id=mine.id, plugin="wecom", dedupe_key="event:lost",
                           body=friend_added_xml(), process_actor=process_callbacks.name,
                           created_at=utcnow() - timedelta(hours=1)))
    db.commit()
    bus = platform.bus
    assert recover_inbox(platform.engine, bus, RecoveryPolicy(), bus.plugin_enabled).rerun == 1
    worker.join()
    assert events(db, other_tenant.id) == []
    assert [e["type"] for e in events(db, tenant.id)] == ["wecom.friend_added"]
    later = utcnow() + timedelta(hours=1)
    assert recover_inbox(platform.engine, bus, RecoveryPolicy(), bus.plugin_enabled, now=later).rerun == 0
