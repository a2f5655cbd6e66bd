"""The sandbox's customer group chat endpoints through the real client: list pages and filters, details, transfers
(asynchronous, completed by the control API) and WeCom's error codes."""

from __future__ import annotations

import pytest
from scrm_wecom.sandbox import GroupChatControl
from wecom_foundation_fixtures import *  # noqa: F403
from wecom_groupchats_fixtures import *  # noqa: F403
from wecom_sync_fixtures import *  # noqa: F403
from wecom_sync_fixtures import CORP_ID

from scrm.sdk.wechat import WeChatAPIError


@pytest.fixture
def client(tenant, enable_plugins, make_account, sandbox, chats, wecom_client):
    enable_plugins(tenant, "wecom")
    return wecom_client(make_account(tenant, sandbox[0]))


def test_the_list_pages_with_a_cursor_and_filters_by_status_and_owner(client, sandbox):
    first, cursor = client.list_group_chats(limit=2)
    rest, end = client.list_group_chats(cursor, 2)
    assert len(first) == 2 and cursor and end == ""
    assert {r["chat_id"]: r["status"] for r in first + rest} == {"wrLeftA": 1, "wrLeftB": 1, "wrActive": 0}
    assert [r["chat_id"] for r in client.list_group_chats(status_filter=1)[0]] == ["wrLeftA", "wrLeftB"]
    assert [r["chat_id"] for r in client.list_group_chats(owner_userids=["zhangsan"])[0]] == ["wrActive"]
    body = sandbox[1].calls("/cgi-bin/externalcontact/groupchat/list")[-1]["body"]
    assert body == {"status_filter": 0, "limit": 1000, "owner_filter": {"userid_list": ["zhangsan"]}}


def test_a_chat_is_read_with_its_members(client):
    chat = client.get_group_chat("wrLeftA")
    assert (chat["name"], chat["owner"], chat["notice"], chat["create_time"]) == ("VIP group", "wangwu", "Hi",
                                                                                  1700000000)
    members = {m["userid"]: m for m in chat["member_list"]}
    assert members["lisi"]["invitor"] == {"userid": "wangwu"} and members["wmAlice"]["unionid"] == "unionAlice"
    assert members["wmBob"]["name"] == "Bob" and chat["member_version"]


def test_wecom_error_codes(client, sandbox):
    with pytest.raises(WeChatAPIError) as unknown:
        client.get_group_chat("wrNope")
    assert unknown.value.errcode == 40050
    for limit in (0, 1001):
        with pytest.raises(WeChatAPIError) as bad:
            client.call(client_kind(), "POST", "/cgi-bin/externalcontact/groupchat/list", json={"limit": limit})
        assert bad.value.errcode == 40058
    with pytest.raises(WeChatAPIError) as too_many:
        client.transfer_group_chats([f"wr{i}" for i in range(101)], "lisi")
    assert too_many.value.errcode == 40058
    with pytest.raises(WeChatAPIError) as nobody:
        client.transfer_group_chats(["wrLeftA"], "ghost")
    assert nobody.value.errcode == 60111
    with pytest.raises(WeChatAPIError) as left:
        client.transfer_group_chats(["wrLeftA"], "wangwu")
    assert left.value.errcode == 40058


def client_kind():
    from scrm_wecom.accounts import SecretKind

    return SecretKind.CONTACT


def test_a_transfer_waits_until_completed_and_reports_failed_chats(client, sandbox, chats):
    failed = client.transfer_group_chats(["wrLeftA", "wrActive", "wrNope"], "lisi")
    assert {f["chat_id"]: f["errcode"] for f in failed} == {"wrActive": 90500, "wrNope": 40050}
    assert client.get_group_chat("wrLeftA")["owner"] == "wangwu"
    assert [r["status"] for r in client.list_group_chats(status_filter=2)[0]] == [2]
    assert chats.complete_transfers()["completed"] == 1
    assert client.get_group_chat("wrLeftA")["owner"] == "lisi"
    assert [r["chat_id"] for r in client.list_group_chats(status_filter=3)[0]] == ["wrLeftA"]


def test_members_join_and_leave_with_the_callback_xml(client, sandbox):
    control = GroupChatControl(sandbox[1], CORP_ID)
    before = client.get_group_chat("wrActive")["member_version"]
    joined = control.join("wrActive", {"userid": "wmNew", "type": 2}, join_scene=3)
    assert "<UpdateDetail><![CDATA[add_member]]></UpdateDetail>" in joined["xml"]
    assert "<Item><![CDATA[wmNew]]></Item>" in joined["xml"] and f"<LastMemVer><![CDATA[{before}]]>" in joined["xml"]
    assert "wmNew" in {m["userid"] for m in client.get_group_chat("wrActive")["member_list"]}
    left = control.leave("wrActive", "wmNew")
    assert "del_member" in left["xml"] and "<QuitScene>0</QuitScene>" in left["xml"]
    control.dismiss("wrActive")
    with pytest.raises(WeChatAPIError) as gone:
        client.get_group_chat("wrActive")
    assert gone.value.errcode == 40050
