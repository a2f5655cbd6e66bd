"""The sandbox's Moments and group welcome endpoints follow WeCom's protocol: shapes, the asynchronous job, paging
and error codes (protocols §4: add_moment_task, get_moment_task_result, get_moment_list, get_moment_task,
get_moment_customer_list, get_moment_send_result, get_moment_comments; group_welcome_template add/edit/get/del)."""

from __future__ import annotations

import time

import pytest
from scrm_wecom.moments import api
from scrm_wecom.sandbox import MomentsControl
from scrm_wecom.sandbox.remote import SandboxControlError
from wecom_foundation_fixtures import *  # noqa: F403
from wecom_sync_fixtures import *  # noqa: F403
from wecom_sync_fixtures import CORP_ID

from scrm.sdk.wechat import WeChatAPIError

GW = "/cgi-bin/externalcontact/group_welcome_template"


@pytest.fixture
def client(tenant, enable_plugins, make_account, sandbox, wecom_client):
    enable_plugins(tenant, "wecom")
    return wecom_client(make_account(tenant, sandbox[0]))


@pytest.fixture
def control(sandbox) -> MomentsControl:
    return MomentsControl(sandbox[1], CORP_ID)


def _created(client, **kwargs) -> dict:
    body = api.moment_body(kwargs.pop("text", "新品上市"), kwargs.pop("attachment", {}),
                           kwargs.pop("userids", ["zhangsan", "lisi"]), kwargs.pop("tags", []))
    jobid = api.add_moment_task(client, body)
    return api.get_moment_task_result(client, jobid)


def test_add_moment_task_answers_a_jobid_and_the_job_gives_the_moment(client):
    result = _created(client, userids=["zhangsan", "wangwu", "nobody"], tags=["etGold", "etGone"])
    assert result["status"] == 3 and result["type"] == "add_moment_task"
    assert result["result"]["moment_id"].startswith("mom")
    assert result["result"]["invalid_sender_list"]["user_list"] == ["wangwu", "nobody"]  # left / unknown
    assert result["result"]["invalid_external_contact_list"]["tag_list"] == ["etGone"]


def test_a_held_job_reports_creating_until_completed(client, control):
    control.hold_jobs()
    jobid = api.add_moment_task(client, api.moment_body("早安", {}, ["zhangsan"], []))
    assert api.get_moment_task_result(client, jobid) == {"status": 2, "type": "add_moment_task"}
    assert control.complete_jobs() == 1
    assert api.get_moment_task_result(client, jobid)["status"] == 3


@pytest.mark.parametrize("body", [
    {"visible_range": {}},  # no text, no attachment
    {"text": {"content": "x"}, "attachments": [{"msgtype": "image", "image": {"media_id": f"m{i}"}} for i in range(10)]},
    {"text": {"content": "x"}, "attachments": [{"msgtype": "link", "link": {"url": "https://a.example.com"}},
                                               {"msgtype": "image", "image": {"media_id": "m"}}]},
    {"text": {"content": "x"}, "attachments": [{"msgtype": "link", "link": {"title": "no url"}}]},
])
def test_invalid_bodies_answer_40058(client, body):
    with pytest.raises(WeChatAPIError) as exc:
        api.add_moment_task(client, body)
    assert exc.value.errcode == 40058


def test_nine_uploaded_images_are_accepted_and_temporary_media_refused(client):
    from scrm_wecom.moments.media import upload_attachment
    from wecom_materials_fixtures import png

    ids = [upload_attachment(client, "image", f"p{i}.png", png(), "image/png") for i in range(9)]
    body = {"text": {"content": "九宫格"}, "attachments": [{"msgtype": "image", "image": {"media_id": m}}
                                                         for m in ids]}
    assert api.add_moment_task(client, body)
    body["attachments"][0]["image"]["media_id"] = "3sbx_temporary"
    with pytest.raises(WeChatAPIError) as exc:
        api.add_moment_task(client, body)
    assert exc.value.errcode == 40007
    with pytest.raises(WeChatAPIError) as exc:
        upload_attachment(client, "image", "a.gif", b"GIF89a......", "image/gif")
    assert exc.value.errcode == 40005


def test_publish_results_customers_send_results_and_comments(client, control):
    moment_id = _created(client)["result"]["moment_id"]
    assert sorted(api.get_moment_customer_list(client, moment_id, "zhangsan")) == ["wmAlice", "wmCarol"]
    assert api.get_moment_send_result(client, moment_id, "zhangsan") == []  # not published yet
    assert {t["userid"]: t["publish_status"] for t in api.get_moment_task(client, moment_id)} == {
        "zhangsan": 0, "lisi": 0}
    control.publish(moment_id, "zhangsan")
    assert {t["userid"]: t["publish_status"] for t in api.get_moment_task(client, moment_id)}["zhangsan"] == 1
    assert sorted(api.get_moment_send_result(client, moment_id, "zhangsan")) == ["wmAlice", "wmCarol"]
    control.comment(moment_id, "zhangsan", "wmAlice", create_time=1765000000)
    assert control.like(moment_id, "zhangsan", "wmCarol") is True
    assert control.like(moment_id, "zhangsan", "wmCarol") is False  # one like per customer
    assert api.get_moment_comments(client, moment_id, "zhangsan") == {
        "comment_list": [{"external_userid": "wmAlice", "create_time": 1765000000}],
        "like_list": [{"external_userid": "wmCarol", "create_time": pytest.approx(time.time(), abs=60)}]}
    with pytest.raises(SandboxControlError):
        control.like(moment_id, "lisi", "wmBob")  # 李四 has not published
    with pytest.raises(WeChatAPIError) as exc:
        api.get_moment_comments(client, moment_id, "wangwu")
    assert exc.value.errcode == 40058  # not a sender
    with pytest.raises(WeChatAPIError) as exc:
        api.get_moment_task(client, "momUnknown")
    assert exc.value.errcode == 40058


def test_get_moment_list_pages_and_filters_by_kind(client, control, sandbox):
    for _ in range(3):
        _created(client)
    personal = control.personal("lisi", "今天店里到了新款")
    now = int(time.time())
    everything = api.get_moment_list(client, now - 3600, now + 60)
    assert len(everything) == 4  # paged at 20, cursor followed
    assert [m["moment_id"] for m in api.get_moment_list(client, now - 3600, now + 60, filter_type=1)] == [personal]
    assert len(api.get_moment_list(client, now - 3600, now + 60, filter_type=0)) == 3
    with pytest.raises(WeChatAPIError) as exc:
        api.get_moment_list(client, now - 40 * 86400, now)
    assert exc.value.errcode == 40058  # more than a month
    sandbox[1].clear_calls()
    for _ in range(20):
        _created(client)
    assert len(api.get_moment_list(client, now - 3600, now + 60, filter_type=0)) == 23
    assert len(sandbox[1].calls("/cgi-bin/externalcontact/get_moment_list")) == 2  # 20 + 3


def test_group_welcome_template_add_get_edit_del(client, sandbox):
    from scrm_wecom.accounts import SecretKind

    def call(path, body):
        return client.call(SecretKind.CONTACT, "POST", f"{GW}/{path}", json=body)

    template_id = call("add", {"text": {"content": "欢迎"}, "link": {"title": "礼包", "url": "https://a.example.com"},
                               "notify": 0})["template_id"]
    got = call("get", {"template_id": template_id})
    assert got["text"] == {"content": "欢迎"} and got["link"]["title"] == "礼包"
    call("edit", {"template_id": template_id, "text": {"content": "欢迎光临"}, "image": {"pic_url": "https://i.example.com/a.png"}})
    got = call("get", {"template_id": template_id})
    assert got["text"] == {"content": "欢迎光临"} and "link" not in got and got["image"]["pic_url"]
    call("del", {"template_id": template_id})
    for path, body in (("get", {"template_id": template_id}), ("add", {}),
                       ("add", {"text": {"content": "x"}, "image": {"pic_url": "p"}, "link": {"url": "u"}}),
                       ("add", {"link": {"title": "no url"}})):
        with pytest.raises(WeChatAPIError) as exc:
            call(path, body)
        assert exc.value.errcode == 40058, (path, body)


def test_the_hundred_and_first_group_welcome_template_is_refused(client):
    from scrm_wecom.accounts import SecretKind

    for i in range(100):
        client.call(SecretKind.CONTACT, "POST", f"{GW}/add", json={"text": {"content": f"欢迎 {i}"}})
    with pytest.raises(WeChatAPIError) as exc:
        client.call(SecretKind.CONTACT, "POST", f"{GW}/add", json={"text": {"content": "第 101 条"}})
    assert exc.value.errcode == 41060
