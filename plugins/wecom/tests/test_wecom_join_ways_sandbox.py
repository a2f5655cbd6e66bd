"""Group chat join ways (``groupchat/add_join_way`` / ``get_join_way`` / ``update_join_way`` / ``del_join_way``)
through the real client against the sandbox: WeCom's request and answer shapes, the limits (five chats, a room base
name of 40 characters, a state of 30) at exactly the boundary, error codes, and one corp's join ways unknown to
another's."""

from __future__ import annotations

import pytest
from wecom_foundation_fixtures import *  # noqa: F403
from wecom_groupchats_fixtures import *  # noqa: F403
from wecom_sync_fixtures import *  # noqa: F403
from wecom_sync_fixtures import seed

from scrm.sdk.wechat import WeChatAPIError

PATH = "/cgi-bin/externalcontact/groupchat/"


@pytest.fixture
def client(tenant, enable_plugins, make_account, sandbox, chats, wecom_client):
    enable_plugins(tenant, "wecom")
    chats.create(*({"chat_id": f"wrJoin{i}", "name": f"门店福利群{i}", "owner": "zhangsan"} for i in range(1, 7)))
    return wecom_client(make_account(tenant, sandbox[0]))


def _error(call) -> int:
    with pytest.raises(WeChatAPIError) as caught:
        call()
    return caught.value.errcode


def test_a_join_way_is_created_read_with_its_qr_code_and_sent_as_documented(client, sandbox):
    config_id = client.add_join_way(scene=2, chat_ids=["wrJoin1", "wrJoin2"], room_base_name="门店福利群",
                                    room_base_id=3, remark="春季活动", state="jw:7")
    body = sandbox[1].calls(PATH + "add_join_way")[-1]["body"]
    assert body == {"scene": 2, "chat_id_list": ["wrJoin1", "wrJoin2"], "auto_create_room": 1,
                    "room_base_name": "门店福利群", "room_base_id": 3, "remark": "春季活动", "state": "jw:7"}
    way = client.get_join_way(config_id)
    assert way["config_id"] == config_id and way["chat_id_list"] == ["wrJoin1", "wrJoin2"]
    assert (way["scene"], way["auto_create_room"], way["room_base_name"], way["room_base_id"], way["state"]) == (
        2, 1, "门店福利群", 3, "jw:7")
    assert way["qr_code"].startswith("https://")


def test_the_mini_program_scene_has_no_qr_code(client):
    way = client.get_join_way(client.add_join_way(scene=1, chat_ids=["wrJoin1"], auto_create_room=False))
    assert way["scene"] == 1 and way["auto_create_room"] == 0 and "qr_code" not in way


def test_five_chats_are_accepted_and_six_refused(client):
    five = [f"wrJoin{i}" for i in range(1, 6)]
    assert client.get_join_way(client.add_join_way(scene=2, chat_ids=five))["chat_id_list"] == five
    assert _error(lambda: client.add_join_way(scene=2, chat_ids=[*five, "wrJoin6"])) == 40058
    assert _error(lambda: client.add_join_way(scene=2, chat_ids=[])) == 40058


def test_room_base_name_and_state_limits_at_the_boundary(client):
    assert client.add_join_way(scene=2, chat_ids=["wrJoin1"], room_base_name="群" * 40, state="s" * 30)
    assert _error(lambda: client.add_join_way(scene=2, chat_ids=["wrJoin1"], room_base_name="群" * 41)) == 40058
    assert _error(lambda: client.add_join_way(scene=2, chat_ids=["wrJoin1"], state="s" * 31)) == 40058
    assert _error(lambda: client.add_join_way(scene=3, chat_ids=["wrJoin1"])) == 40058


def test_unknown_or_dismissed_chats_are_refused(client, chats):
    assert _error(lambda: client.add_join_way(scene=2, chat_ids=["wrNope"])) == 40050
    chats.dismiss("wrJoin6")
    assert _error(lambda: client.add_join_way(scene=2, chat_ids=["wrJoin6"])) == 40050


def test_update_overwrites_the_configuration_and_delete_removes_it(client, sandbox):
    config_id = client.add_join_way(scene=2, chat_ids=["wrJoin1"], room_base_name="老群", state="jw:1")
    client.update_join_way(config_id, scene=2, chat_ids=["wrJoin2", "wrJoin3"])
    body = sandbox[1].calls(PATH + "update_join_way")[-1]["body"]
    assert body == {"config_id": config_id, "scene": 2, "chat_id_list": ["wrJoin2", "wrJoin3"], "auto_create_room": 1}
    way = client.get_join_way(config_id)
    assert way["chat_id_list"] == ["wrJoin2", "wrJoin3"] and way["room_base_name"] == "" and way["state"] == ""
    assert _error(lambda: client.update_join_way(config_id, scene=2, chat_ids=["wrNope"])) == 40050
    assert client.get_join_way(config_id)["chat_id_list"] == ["wrJoin2", "wrJoin3"]
    client.delete_join_way(config_id)
    assert _error(lambda: client.get_join_way(config_id)) == 41044
    assert _error(lambda: client.delete_join_way(config_id)) == 41044
    assert _error(lambda: client.update_join_way("nope", scene=2, chat_ids=["wrJoin1"])) == 41044


def test_another_corp_does_not_know_the_join_way(client, sandbox, other_tenant, make_account, enable_plugins,
                                                 wecom_client):
    config_id = client.add_join_way(scene=2, chat_ids=["wrJoin1"])
    sandbox[1].seed(seed(corp_id="wwotherjoin"))
    enable_plugins(other_tenant, "wecom")
    other = wecom_client(make_account(other_tenant, sandbox[0], corp_id="wwotherjoin"))
    assert _error(lambda: other.get_join_way(config_id)) == 41044
    assert _error(lambda: other.delete_join_way(config_id)) == 41044
    assert client.get_join_way(config_id)["chat_id_list"] == ["wrJoin1"]
