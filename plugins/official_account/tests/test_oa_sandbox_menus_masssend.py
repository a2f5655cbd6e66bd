"""The sandbox's menu, mass-send and template-list endpoints answer WeChat's error codes (protocols.md 3.1, 3.3)."""

from __future__ import annotations

import httpx
import pytest
from oa_fixtures import *  # noqa: F403
from oa_fixtures import APPID, OTHER_APPID, OTHER_SECRET, SECRET


@pytest.fixture
def api(oa_sandbox):
    base, control = oa_sandbox
    control.account(OTHER_APPID, OTHER_SECRET, account_type="subscription", verified=False)

    def call(path, body=None, appid=APPID, method="POST"):
        secret = SECRET if appid == APPID else OTHER_SECRET
        token = httpx.get(f"{base}/cgi-bin/token", params={"grant_type": "client_credential", "appid": appid,
                                                           "secret": secret}).json()["access_token"]
        if method == "GET":
            return httpx.get(f"{base}{path}", params={"access_token": token}).json()
        return httpx.post(f"{base}{path}", params={"access_token": token}, json=body or {}).json()

    return call


def view(name):
    return {"type": "view", "name": name, "url": "https://shop.example.com/"}


def test_menu_errors(api):
    assert api("/cgi-bin/menu/create", {"button": []})["errcode"] == 40016
    assert api("/cgi-bin/menu/create", {"button": [view(str(i)) for i in range(4)]})["errcode"] == 40016
    assert api("/cgi-bin/menu/create", {"button": [{"name": "会员", "sub_button": [view(str(i)) for i in range(6)]}]}
               )["errcode"] == 40023
    assert api("/cgi-bin/menu/create", {"button": [view("会员中心服务台")]})["errcode"] == 40018  # 21 bytes
    assert api("/cgi-bin/menu/create", {"button": [{"type": "bogus", "name": "x"}]})["errcode"] == 40015
    assert api("/cgi-bin/menu/create", {"button": [{"type": "click", "name": "x", "key": "k" * 129}]})["errcode"] == 40019
    assert api("/cgi-bin/menu/create", {"button": [{"type": "view", "name": "x", "url": "ftp://x"}]})["errcode"] == 40054
    assert api("/cgi-bin/menu/get", method="GET")["errcode"] == 46003
    rule = {"button": [view("专属")], "matchrule": {"client_platform_type": "1"}}
    assert api("/cgi-bin/menu/addconditional", rule)["errcode"] == 65303  # no default menu yet
    assert api("/cgi-bin/menu/create", {"button": [view("首页")]})["errcode"] == 0
    assert api("/cgi-bin/menu/addconditional", {**rule, "matchrule": {}})["errcode"] == 65304
    menuid = api("/cgi-bin/menu/addconditional", rule)["menuid"]
    assert api("/cgi-bin/menu/get", method="GET")["conditionalmenu"][0]["menuid"] == menuid
    assert api("/cgi-bin/menu/delconditional", {"menuid": menuid})["errcode"] == 0
    assert api("/cgi-bin/menu/delconditional", {"menuid": menuid})["errcode"] == 65301
    assert api("/cgi-bin/menu/delete", method="GET")["errcode"] == 0
    assert api("/cgi-bin/menu/get", method="GET")["errcode"] == 46003


def test_mass_send_errors(api):
    text = {"msgtype": "text", "text": {"content": "会员日"}}
    assert api("/cgi-bin/message/mass/send", {**text, "touser": ["oA"]})["errcode"] == 40130
    assert api("/cgi-bin/message/mass/send", {**text, "touser": [f"o{i}" for i in range(10_001)]})["errcode"] == 40130
    assert api("/cgi-bin/message/mass/send", {"touser": ["oA", "oB"], "msgtype": "music", "music": {}}
               )["errcode"] == 40008
    assert api("/cgi-bin/message/mass/send", {**text, "touser": ["oA", "oB"]}, appid=OTHER_APPID)["errcode"] == 48001
    assert api("/cgi-bin/message/mass/send", {**text, "touser": ["oA", "oB"], "clientmsgid": "c" * 65}
               )["errcode"] == 45067
    first = api("/cgi-bin/message/mass/send", {**text, "touser": ["oA", "oB"], "clientmsgid": "m1"})
    assert first["errcode"] == 0 and first["msg_id"]
    again = api("/cgi-bin/message/mass/send", {**text, "touser": ["oA", "oB"], "clientmsgid": "m1"})
    assert again["errcode"] == 45065 and again["msg_id"] == first["msg_id"]
    ok = api("/cgi-bin/message/mass/send", {**text, "touser": [f"o{i}" for i in range(10_000)]})
    assert ok["errcode"] == 0


def test_the_template_list_needs_a_verified_service_account(api, oa_sandbox):
    _base, control = oa_sandbox
    control.http.post("/sandbox/templates", json={"appid": APPID, "templates": [{"template_id": "T1", "title": "通知"}]})
    assert [t["template_id"] for t in api("/cgi-bin/template/get_all_private_template", method="GET")[
        "template_list"]] == ["T1"]
    assert api("/cgi-bin/template/get_all_private_template", method="GET", appid=OTHER_APPID)["errcode"] == 48001
