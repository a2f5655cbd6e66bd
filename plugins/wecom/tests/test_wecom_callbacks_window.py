"""A WeCom callback is accepted only while its signed timestamp is within the freshness window
(``SCRM_CALLBACK_MAX_AGE``, default 300 s, see ``scrm.sdk.wechat.freshness``): a replayed old callback is refused
and stores nothing; the URL-verification GET is held to the same window."""

from __future__ import annotations

import secrets
import time

import pytest
from scrm_wecom.sandbox import CallbackTarget, event_xml, fire_callback
from sqlalchemy import select
from wecom_foundation_fixtures import *  # noqa: F403
from wecom_foundation_fixtures import AES_KEY, CALLBACK_TOKEN, CORP_ID

from scrm.sdk import InboundCallback
from scrm.sdk.wechat import WeChatCrypto

TARGET = CallbackTarget(CORP_ID, CALLBACK_TOKEN, AES_KEY)
MINUTE = 60


@pytest.fixture
def account(tenant, enable_plugins, make_account):
    enable_plugins(tenant, "wecom")
    return make_account(tenant)


def url_of(account) -> str:
    return f"http://localhost/callbacks/wecom/{account.id}"


def stored(db) -> list[InboundCallback]:
    db.commit()
    db.expire_all()
    return list(db.execute(select(InboundCallback)).scalars())


def friend_added(external_userid: str) -> str:
    return event_xml(CORP_ID, "change_external_contact", "add_external_contact", UserID="zhangsan",
                     ExternalUserID=external_userid)


def fire_at(account, http, seconds_ago: int, external_userid: str = "wmOld"):
    return fire_callback(url_of(account), TARGET, friend_added(external_userid), http=http,
                         timestamp=int(time.time()) - seconds_ago)


def verify_url_at(account, http, seconds_ago: int):
    crypto = WeChatCrypto(CALLBACK_TOKEN, AES_KEY, CORP_ID, max_age=None)
    ts, nonce = str(int(time.time()) - seconds_ago), secrets.token_hex(5)
    echostr, signature = crypto.encrypt_message("echo-1234", ts, nonce)
    return http.get(url_of(account), params={"msg_signature": signature, "timestamp": ts, "nonce": nonce,
                                             "echostr": echostr})


def test_a_six_minute_old_callback_is_refused_and_stores_nothing(account, wsgi_http, db):
    response = fire_at(account, wsgi_http, 6 * MINUTE)
    assert response.status_code == 403
    assert response.text != "success"
    assert stored(db) == []


def test_a_four_minute_old_callback_is_accepted_and_stored(account, wsgi_http, db):
    response = fire_at(account, wsgi_http, 4 * MINUTE)
    assert response.status_code == 200 and response.text == "success"
    assert len(stored(db)) == 1


def test_a_callback_six_minutes_in_the_future_is_refused(account, wsgi_http, db):
    assert fire_at(account, wsgi_http, -6 * MINUTE).status_code == 403
    assert stored(db) == []


def test_the_window_is_configurable(account, wsgi_http, db, monkeypatch):
    monkeypatch.setenv("SCRM_CALLBACK_MAX_AGE", str(10 * MINUTE))
    assert fire_at(account, wsgi_http, 6 * MINUTE, "wmSix").status_code == 200
    monkeypatch.setenv("SCRM_CALLBACK_MAX_AGE", str(2 * MINUTE))
    assert fire_at(account, wsgi_http, 3 * MINUTE, "wmThree").status_code == 403
    assert [row.body.count("wmSix") for row in stored(db)] == [1]


def test_url_verification_is_held_to_the_same_window(account, wsgi_http):
    fresh = verify_url_at(account, wsgi_http, 4 * MINUTE)
    assert fresh.status_code == 200 and fresh.text == "echo-1234"
    stale = verify_url_at(account, wsgi_http, 6 * MINUTE)
    assert stale.status_code == 403 and "echo-1234" not in stale.text
