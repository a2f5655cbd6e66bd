"""The sandbox itself: gettoken's documented error codes, token reuse, the control API, recorded calls, and
customers adding members that fire correctly encrypted callbacks at a running platform."""

from __future__ import annotations

import time

import httpx
import pytest
from scrm_wecom.jobs import process_callback
from scrm_wecom.sandbox import SandboxControl
from scrm_wecom.sandbox.remote import SandboxControlError
from sqlmodel import select
from wecom_foundation_fixtures import *  # noqa: F403
from wecom_foundation_fixtures import AES_KEY, CALLBACK_TOKEN, CORP_ID, SECRETS

from scrm.sdk import InboundCallback


def gettoken(url: str, **params) -> dict:
    return httpx.get(f"{url}/cgi-bin/gettoken", params=params).json()


@pytest.mark.parametrize(("params", "errcode"), [
    ({}, 41002), ({"corpid": "wwUnknownCorp00001"}, 40013), ({"corpid": CORP_ID}, 41004),
    ({"corpid": CORP_ID, "corpsecret": "nope"}, 40001),
])
def test_gettoken_errors(wecom_sandbox, params, errcode):
    assert gettoken(wecom_sandbox[0], **params)["errcode"] == errcode


def test_gettoken_returns_the_same_token_while_it_is_valid(wecom_sandbox):
    url, control = wecom_sandbox
    first = gettoken(url, corpid=CORP_ID, corpsecret=SECRETS["contact"])
    again = gettoken(url, corpid=CORP_ID, corpsecret=SECRETS["contact"])
    assert first["errcode"] == 0 and first["access_token"] == again["access_token"] and first["expires_in"] == 7200
    control.expire_tokens(CORP_ID, "contact")
    answer = httpx.get(f"{url}/cgi-bin/externalcontact/list",
                       params={"access_token": first["access_token"], "userid": "zhangsan"}).json()
    assert answer["errcode"] == 42001
    assert gettoken(url, corpid=CORP_ID, corpsecret=SECRETS["contact"])["access_token"] != first["access_token"]


def test_requests_without_or_with_unknown_tokens(wecom_sandbox):
    url, control = wecom_sandbox
    assert httpx.get(f"{url}/cgi-bin/user/get", params={"userid": "x"}).json()["errcode"] == 41001
    assert httpx.get(f"{url}/cgi-bin/user/get", params={"access_token": "forged"}).json()["errcode"] == 40014
    token = gettoken(url, corpid=CORP_ID, corpsecret=SECRETS["contact"])["access_token"]
    bad_json = httpx.post(f"{url}/cgi-bin/externalcontact/mark_tag", params={"access_token": token},
                          content=b"{not json").json()
    assert bad_json["errcode"] == 47001
    assert [c["errcode"] for c in control.calls("/cgi-bin/user/get")] == [41001, 40014]
    control.clear_calls()
    assert control.calls() == []


def test_the_control_api_refuses_unknown_corps(wecom_sandbox):
    with pytest.raises(SandboxControlError):
        wecom_sandbox[1].add_friend("wwUnknownCorp00001", "zhangsan")


def test_a_new_friend_fires_an_encrypted_callback_the_platform_accepts(
        tenant, enable_plugins, make_account, wecom_sandbox, live_server, db):
    enable_plugins(tenant, "wecom")
    account = make_account(tenant)
    _url, control = wecom_sandbox
    result = control.add_friend(CORP_ID, "zhangsan", {"name": "Dora", "unionid": "unionD"}, state="lc:9",
                                callback={"url": f"{live_server}/callbacks/wecom/{account.id}",
                                          "token": CALLBACK_TOKEN, "encoding_aes_key": AES_KEY})
    assert result["callback_status"] == 200
    db.commit()
    [row] = db.exec(select(InboundCallback).where(InboundCallback.account_id == account.id)).all()
    assert result["welcome_code"] in row.body and result["external_userid"] in row.body
    process_callback(tenant.id, inbound_id=row.id)
    corp = control.corp(CORP_ID)
    assert corp["follows"][result["external_userid"]][0]["state"] == "lc:9"


def test_sandbox_control_over_http(channel_sandbox):
    control = SandboxControl(channel_sandbox("wecom"))
    control.seed({"corp_id": CORP_ID, "secrets": {"agent": "a"}, "users": [{"userid": "u1"}]})
    assert control.settings(token_ttl=5)["token_ttl"] == 5
    assert control.corp(CORP_ID)["users"]["u1"]["status"] == 1
    control.reset()
    with pytest.raises(SandboxControlError):
        control.corp(CORP_ID)
    control.close()


def test_api_latency_holds_back_every_api_answer(wecom_sandbox):
    url, control = wecom_sandbox
    assert control.settings(api_latency=0.2)["api_latency"] == 0.2
    started = time.monotonic()
    assert gettoken(url, corpid=CORP_ID, corpsecret=SECRETS["contact"])["errcode"] == 0
    assert time.monotonic() - started >= 0.2
    for bad in (-1, 11, "slow"):
        with pytest.raises(SandboxControlError, match="api_latency"):
            control.settings(api_latency=bad)
    assert control.settings(api_latency=0)["api_latency"] == 0
    started = time.monotonic()
    gettoken(url, corpid=CORP_ID, corpsecret=SECRETS["contact"])
    assert time.monotonic() - started < 0.2
