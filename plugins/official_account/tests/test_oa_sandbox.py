"""The sandbox base (issue 14 item 5): tokens, the customer-service window with the clock moved, injected failures,
and the control endpoint that pushes signed / encrypted callbacks to a served platform in every mode (the passive
reply read back) and runs the URL verification."""

from __future__ import annotations

import httpx
import pytest
from oa_fixtures import *  # noqa: F403
from oa_fixtures import APPID, ORIGINAL_ID, SECRET
from scrm_official_account.events import EVENT_TEXT
from scrm_official_account.replies import Reply, reply_handler, unregister
from scrm_official_account.sandbox import message_xml
from sqlmodel import select

from scrm.sdk import InboundCallback


def token(url: str) -> str:
    return httpx.get(f"{url}/cgi-bin/token", params={"grant_type": "client_credential", "appid": APPID,
                                                     "secret": SECRET}).json()["access_token"]


def send(url: str, access_token: str, openid: str) -> dict:
    return httpx.post(f"{url}/cgi-bin/message/custom/send", params={"access_token": access_token},
                      json={"touser": openid, "msgtype": "text", "text": {"content": "hi"}}).json()


def test_the_window_closes_after_48_hours_of_sandbox_time(oa_sandbox):
    url, control = oa_sandbox
    control.fans(["oF"], interacted_ago=47 * 3600)
    value = token(url)
    assert send(url, value, "oF")["errcode"] == 0
    control.post("clock", advance=2 * 3600)
    assert send(url, token(url), "oF")["errcode"] == 45015


def test_api_errors_of_the_sandbox(oa_sandbox):
    url, control = oa_sandbox
    assert httpx.post(f"{url}/cgi-bin/message/custom/send", json={}).json()["errcode"] == 41001
    assert httpx.post(f"{url}/cgi-bin/message/custom/send", params={"access_token": "nope"},
                      json={}).json()["errcode"] == 40001
    value = token(url)
    control.post("expire_tokens")
    assert send(url, value, "oF")["errcode"] == 42001
    value = token(url)
    assert httpx.post(f"{url}/cgi-bin/message/custom/send", params={"access_token": value},
                      json={"touser": "x", "msgtype": "bogus", "bogus": {}}).json()["errcode"] == 40008
    control.post("fail", path="/cgi-bin/message/custom/send", errcodes=[-1])
    assert send(url, value, "oF")["errcode"] == -1
    assert httpx.get(f"{url}/cgi-bin/unknown", params={"access_token": value}).json()["errcode"] == 404


@pytest.fixture
def served(live_server, oa_sandbox, tenant, enable_plugins, make_oa_account):
    url, control = oa_sandbox
    enable_plugins(tenant, "official_account")

    def account(mode: str):
        row = make_oa_account(tenant, api_base=url, mode=mode)
        control.account(original_id=ORIGINAL_ID, mode=mode,
                        callback_url=f"{live_server}/callbacks/official_account/{row.id}")
        return row

    return account, control


@pytest.mark.parametrize("mode", ["plain", "compatible", "safe"])
def test_the_sandbox_pushes_callbacks_in_every_mode_and_reads_the_passive_reply(served, db, mode):
    make, control = served
    account = make(mode)

    @reply_handler(EVENT_TEXT, order=1)
    def answer(ctx):
        return Reply.text("您好，" + ctx.event.payload["content"])

    try:
        pushed = control.post("push", appid=APPID, xml=message_xml(ORIGINAL_ID, "oPushed", "text", Content="在吗",
                                                                   MsgId=f"90{len(mode)}"))
    finally:
        unregister(answer)
    assert pushed["status"] == 200 and pushed["reply"]["Content"] == "您好，在吗"
    assert ("<Encrypt>" in pushed["body"]) == (mode != "plain")
    rows = db.exec(select(InboundCallback).where(InboundCallback.account_id == account.id)).all()
    assert len(rows) == 1
    verified = control.post("verify_url", appid=APPID, echostr="echo-1234")
    assert verified == {"ok": True, "status": 200, "body": "echo-1234"}


def test_a_pushed_message_opens_the_sandbox_window(served):
    make, control = served
    make("safe")
    control.post("push", appid=APPID, xml=message_xml(ORIGINAL_ID, "oNew", "text", Content="hi", MsgId="9901"))
    url = control.base_url
    assert send(url, token(url), "oNew")["errcode"] == 0


def test_template_send_finished_events_are_pushed_once(served, db, oa_client):
    from scrm_official_account.channel import template_body

    make, control = served
    account = make("safe")
    control.fans(["oTpl", "oBlocks"])
    control.post("accounts", appid=APPID, secret=SECRET, templates=["TPL_SHIP"])
    client = oa_client(account)
    first = client.send_template_message(template_body("oTpl", {"template_id": "TPL_SHIP", "params": {"a": "已发货"}},
                                                       "ship:1"))
    assert first["msgid"]
    pushed = control.post("template_finish", appid=APPID)
    assert pushed["pushed"] == 1 and pushed["statuses"] == [200]
    assert control.post("template_finish", appid=APPID)["pushed"] == 0
    bodies = [r.body for r in db.exec(select(InboundCallback).where(InboundCallback.account_id == account.id))]
    assert any("TEMPLATESENDJOBFINISH" in b and str(first["msgid"]) in b for b in bodies)
