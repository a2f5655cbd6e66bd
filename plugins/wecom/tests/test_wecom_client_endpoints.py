"""The typed client methods against the sandbox over real HTTP: request and answer shapes, error codes, the
single-use 20-second welcome code, transfers and the secret each API needs."""

from __future__ import annotations

import time

import pytest
from scrm_wecom.accounts import AccountNotConfigured, SecretKind
from wecom_foundation_fixtures import *  # noqa: F403
from wecom_foundation_fixtures import CORP_ID

from scrm.sdk.wechat import WeChatAPIError


@pytest.fixture
def client(tenant, wecom_sandbox, make_account, wecom_client):
    return wecom_client(make_account(tenant, wecom_sandbox[0]))


@pytest.fixture
def control(wecom_sandbox):
    return wecom_sandbox[1]


def errcode_of(call) -> int:
    with pytest.raises(WeChatAPIError) as caught:
        call()
    return caught.value.errcode


def test_address_book(client):
    assert [d["id"] for d in client.list_departments()] == [1, 2]
    assert [d["id"] for d in client.list_departments(2)] == [2]
    assert [u["userid"] for u in client.list_users(1, fetch_child=True)] == ["zhangsan", "lisi", "wangwu"]
    assert [u["userid"] for u in client.list_users(2)] == ["lisi", "wangwu"]
    assert client.get_user("lisi")["name"] == "李四"
    assert errcode_of(lambda: client.get_user("nobody")) == 60111


def test_external_contacts(client):
    assert client.list_external_contacts("zhangsan") == ["wmCustomerA"]
    detail = client.get_external_contact("wmCustomerB")
    assert detail["external_contact"]["name"] == "Bob"
    assert [f["userid"] for f in detail["follow_user"]] == ["wangwu", "lisi"]
    page, cursor = client.batch_get_external_contacts(["zhangsan", "lisi"], limit=1)
    assert [r["external_contact"]["external_userid"] for r in page] == ["wmCustomerA"] and cursor
    page, cursor = client.batch_get_external_contacts(["zhangsan", "lisi"], cursor=cursor, limit=1)
    assert page[0]["follow_info"]["userid"] == "lisi" and cursor == ""
    assert errcode_of(lambda: client.get_external_contact("wmNobody")) == 40096


def test_a_member_without_customers_is_84061(tenant, client, control):
    control.seed({"corp_id": CORP_ID, "agent_id": 1000002,
                  "secrets": {"contact": "contact-secret-0002", "agent": "agent-secret-0001"},
                  "users": [{"userid": "loner", "department": [1]}]})
    control.invalidate_tokens()
    assert errcode_of(lambda: client.list_external_contacts("loner")) == 84061


def test_corp_tags(client):
    group = client.add_corp_tag([{"name": "Silver"}, {"name": "Bronze"}], group_name="Level")
    assert group["group_id"] == "etGroupVip" and [t["name"] for t in group["tag"]] == ["Silver", "Bronze"]
    silver = group["tag"][0]["id"]
    client.edit_corp_tag(silver, name="Platinum")
    [level] = client.list_corp_tags(group_ids=["etGroupVip"])
    assert [t["name"] for t in level["tag"]] == ["Gold", "Platinum", "Bronze"]
    client.mark_tag("zhangsan", "wmCustomerA", add=["etTagGold", silver])
    tags = client.get_external_contact("wmCustomerA")["follow_user"][0]["tags"]
    assert sorted(t["tag_name"] for t in tags) == ["Gold", "Platinum"]
    client.mark_tag("zhangsan", "wmCustomerA", remove=[silver])
    client.delete_corp_tags(tag_ids=[silver])
    assert [t["name"] for t in client.list_corp_tags()[0]["tag"]] == ["Gold", "Bronze"]
    assert errcode_of(lambda: client.mark_tag("lisi", "wmCustomerA", add=["etTagGold"])) == 84061
    assert errcode_of(lambda: client.add_corp_tag([{"name": "Gold"}], group_id="etGroupVip")) == 40071


def test_contact_ways(client):
    created = client.add_contact_way(type=1, scene=2, users=["zhangsan"], state="lc:42", remark="store 42")
    assert created["config_id"] and created["qr_code"].startswith("https://")
    way = client.get_contact_way(created["config_id"])
    assert (way["user"], way["state"], way["skip_verify"]) == (["zhangsan"], "lc:42", True)
    client.update_contact_way(created["config_id"], state="lc:43", skip_verify=False)
    assert client.get_contact_way(created["config_id"])["state"] == "lc:43"
    client.delete_contact_way(created["config_id"])
    assert errcode_of(lambda: client.get_contact_way(created["config_id"])) == 41044
    assert errcode_of(lambda: client.add_contact_way(type=1, scene=2, users=["zhangsan", "lisi"])) == 40058
    assert errcode_of(lambda: client.add_contact_way(type=2, scene=2, users=["x" * 3])) == 60111
    assert errcode_of(lambda: client.add_contact_way(type=2, scene=2, users=["lisi"], state="s" * 31)) == 40058


def test_a_welcome_code_is_single_use_and_used_within_its_life(client, control):
    friend = control.add_friend(CORP_ID, "zhangsan", {"name": "Carol"}, state="lc:42")
    client.send_welcome_msg(friend["welcome_code"], text="Welcome, Carol!")
    [sent] = control.corp(CORP_ID)["welcome_messages"]
    assert sent["text"]["content"] == "Welcome, Carol!" and sent["code_age"] < 20
    assert sent["external_userid"] == friend["external_userid"]
    assert errcode_of(lambda: client.send_welcome_msg(friend["welcome_code"], text="again")) == 41051
    assert errcode_of(lambda: client.send_welcome_msg("WELCOME_unknown", text="hi")) == 40058
    assert "lc:42" in friend["xml"] and friend["welcome_code"] in friend["xml"]


def test_an_expired_welcome_code_is_refused(client, control):
    control.settings(welcome_code_ttl=0.2)
    code = control.add_friend(CORP_ID, "zhangsan")["welcome_code"]
    time.sleep(0.3)
    assert errcode_of(lambda: client.send_welcome_msg(code, text="too late")) == 41051


MINI = {"title": "Shop", "appid": "wx8bd80126147dfa00", "page": "pages/index.html", "pic_media_id": "MEDIA"}


@pytest.mark.parametrize(("text", "attachments", "problem"), [
    (None, [{"msgtype": "file", "file": {}}], "file.media_id"),
    (None, [{"msgtype": "voice", "voice": {"media_id": "M"}}], "msgtype invalid"),
    (None, [{"msgtype": "image"}], "image missing"),
    (None, [{"msgtype": "image", "image": {}}], "image.media_id|pic_url"),
    (None, [{"msgtype": "link", "link": {"url": "https://a.example.com"}}], "link.title"),
    (None, [{"msgtype": "link", "link": {"title": "T"}}], "link.url"),
    (None, [{"msgtype": "link", "link": {"title": "标" * 43, "url": "https://a.example.com"}}], "128 bytes"),
    (None, [{"msgtype": "miniprogram", "miniprogram": {**MINI, "title": "标" * 22}}], "64 bytes"),
    *[(None, [{"msgtype": "miniprogram", "miniprogram": {k: v for k, v in MINI.items() if k != missing}}],
       f"miniprogram.{missing}") for missing in MINI],
    (None, [{"msgtype": "miniprogram", "miniprogram": {**MINI, "page": "pages/index"}}], ".html"),
    (None, [{"msgtype": "video", "video": {}}], "video.media_id"),
    ("x", [{"msgtype": "image", "image": {"media_id": "M"}}] * 10, "at most 9"),
    ("字" * 1334, [], "4000 bytes"),
])
def test_send_welcome_msg_refuses_bodies_wecom_refuses_and_keeps_the_code(client, control, text, attachments,
                                                                          problem):
    friend = control.add_friend(CORP_ID, "zhangsan", {"name": "Carol"})
    with pytest.raises(WeChatAPIError) as caught:
        client.send_welcome_msg(friend["welcome_code"], text=text, attachments=attachments)
    assert caught.value.errcode == 40058 and problem in caught.value.errmsg
    assert control.corp(CORP_ID)["welcome_messages"] == []
    client.send_welcome_msg(friend["welcome_code"], text="Welcome")  # a refused body does not use the code up
    assert len(control.corp(CORP_ID)["welcome_messages"]) == 1


def test_send_welcome_msg_takes_one_text_and_nine_attachments_of_every_type(client, control):
    friend = control.add_friend(CORP_ID, "zhangsan", {"name": "Carol"})
    attachments = [{"msgtype": "image", "image": {"pic_url": "https://p.qpic.cn/1.png"}},
                   {"msgtype": "link", "link": {"title": "标" * 42, "url": "https://a.example.com",
                                                "desc": "d", "picurl": "https://a.example.com/c.png"}},
                   {"msgtype": "miniprogram", "miniprogram": {**MINI, "title": "标" * 21}},
                   {"msgtype": "video", "video": {"media_id": "V"}}, {"msgtype": "file", "file": {"media_id": "F"}},
                   *[{"msgtype": "image", "image": {"media_id": f"M{i}"}} for i in range(4)]]
    client.send_welcome_msg(friend["welcome_code"], text="字" * 1333, attachments=attachments)
    [sent] = control.corp(CORP_ID)["welcome_messages"]
    assert sent["attachments"] == attachments


def test_app_messages_use_the_agent_secret(client, control):
    sent = client.send_app_text("New customer", users=["zhangsan", "ghost"])
    assert sent["invaliduser"] == "ghost" and sent["msgid"]
    card = client.send_app_textcard(title="Form submitted", description="Alice filled the form",
                                    url="https://example.com/p/1", button="Open", users=["lisi"])
    assert card["msgid"]
    assert [c["kind"] for c in control.calls("/cgi-bin/message/send")] == ["agent", "agent"]
    assert control.corp(CORP_ID)["app_messages"][1]["textcard"]["btntxt"] == "Open"
    assert errcode_of(lambda: client.send_app_textcard(title="t" * 129, description="d", url="https://e.com",
                                                       users=["lisi"])) == 40058


def test_mass_message_templates(client):
    result = client.add_msg_template(sender="zhangsan", external_userids=["wmCustomerA", "wmCustomerB"], text="Sale!")
    assert result["msgid"] and result["fail_list"] == ["wmCustomerB"]  # not a friend of the sender
    assert errcode_of(lambda: client.add_msg_template(chat_type="group", text="hi")) == 40058


def test_on_the_job_transfer(client, control):
    result = client.transfer_customer("lisi", "zhangsan", ["wmCustomerB", "wmCustomerA"], "Zhangsan takes over")
    assert result == [{"external_userid": "wmCustomerB", "errcode": 0},
                      {"external_userid": "wmCustomerA", "errcode": 84061}]
    assert client.transfer_result("lisi", "zhangsan")[0][0]["status"] == 2
    control.complete_transfers(CORP_ID)
    assert client.transfer_result("lisi", "zhangsan")[0][0]["status"] == 1
    assert client.list_external_contacts("zhangsan") == ["wmCustomerA", "wmCustomerB"]
    assert errcode_of(lambda: client.transfer_customer("wangwu", "zhangsan", ["wmCustomerB"])) == 40058


def test_resigned_transfer_and_the_unassigned_list(client):
    info, cursor = client.get_unassigned_list()
    assert [(i["handover_userid"], i["external_userid"]) for i in info] == [("wangwu", "wmCustomerB")]
    assert cursor == ""
    assert client.transfer_customer("wangwu", "zhangsan", ["wmCustomerB"], resigned=True)[0]["errcode"] == 0
    assert client.transfer_result("wangwu", "zhangsan", resigned=True)[0][0]["status"] == 2
    assert client.get_unassigned_list()[0] == []
    assert errcode_of(lambda: client.transfer_customer("lisi", "zhangsan", ["wmCustomerB"], resigned=True)) == 40058


def test_each_api_needs_its_own_secret(tenant, wecom_sandbox, make_account, wecom_client, control):
    account = make_account(tenant, wecom_sandbox[0], corp_id=CORP_ID, contact_secret="", address_book_secret="")
    client = wecom_client(account)
    with pytest.raises(AccountNotConfigured) as caught:
        client.list_external_contacts("zhangsan")
    assert caught.value.kind is SecretKind.CONTACT
    assert client.list_departments()  # the agent's token may read the address book
    # a token of the wrong secret is refused by WeCom with 48002
    token = client.access_token(SecretKind.AGENT)
    import httpx

    answer = httpx.get(f"{wecom_sandbox[0]}/cgi-bin/externalcontact/list",
                       params={"access_token": token, "userid": "zhangsan"}).json()
    assert answer["errcode"] == 48002
