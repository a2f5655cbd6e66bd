"""The employee chat sidebar: WeCom OAuth (code -> userid; state, single-use codes, members only), the JS-SDK
signature (the published worked example, tickets from the sandbox cached), team scope (acceptance 2), scripts sent
item by item, CSRF on the sends, and one tenant's sidebar session worthless under another."""

from __future__ import annotations

import hashlib
import re

import httpx
from scrm_wecom.materials import jssdk
from scrm_wecom.materials.models import TEAM, ContentGroup, MaterialSend
from sqlmodel import select
from wecom_materials_fixtures import *  # noqa: F403
from wecom_materials_fixtures import fresh, make_departments, make_material, sidebar_sign_in

from scrm.sdk import Tenant


def test_the_signature_matches_the_published_worked_example():
    """WeChat JS-SDK documentation, appendix 1 (the same example in WeCom's JS-SDK signature page)."""
    ticket = "sM4AOVdWfPE4DxkXGEs8VMCPGGVi4C3VM0P37wVUCFvkVAy_90u5h9nbSlYy3-Sl-HhTdfl2fzFy1AOcHKP7qg"
    assert jssdk.signature(ticket, "Wm3WZYTPz0wzccnW", 1414587457, "http://mp.weixin.qq.com?params=value") == \
        "0f9de62fce790f9a083d5c99e95740ceb90c27ed"
    assert jssdk.signature(ticket, "Wm3WZYTPz0wzccnW", 1414587457, "http://mp.weixin.qq.com?params=value#top") == \
        "0f9de62fce790f9a083d5c99e95740ceb90c27ed"


def test_jsconfig_signs_the_page_with_the_corp_and_agent_tickets_cached(db, app, world):
    client = sidebar_sign_in(app.test_client(), world, "zhangsan")
    url = "http://localhost/p/acme/wecom/sidebar/?tab=script"
    first = client.get("/p/acme/wecom/sidebar/jsconfig", query_string={"url": url}).json
    second = client.get("/p/acme/wecom/sidebar/jsconfig", query_string={"url": url}).json
    assert first["corpid"] == world.account.external_id and first["agentid"] == 1000002
    assert len(world.sandbox.calls("/cgi-bin/get_jsapi_ticket")) == 1
    assert len(world.sandbox.calls("/cgi-bin/ticket/get")) == 1
    [agent_call] = world.sandbox.calls("/cgi-bin/ticket/get")
    assert agent_call["query"] == {"type": "agent_config"}
    for cfg in (first, second):
        assert len(cfg["signature"]) == 40 and cfg["signature"] != cfg["agentSignature"]
    foreign = client.get("/p/acme/wecom/sidebar/jsconfig", query_string={"url": "https://evil.example.com/"})
    assert foreign.status_code == 400


def test_jsconfig_signature_is_sha1_of_the_sandbox_ticket(db, app, world, platform):
    client = sidebar_sign_in(app.test_client(), world, "zhangsan")
    url = "http://localhost/p/acme/wecom/sidebar/"
    cfg = client.get("/p/acme/wecom/sidebar/jsconfig", query_string={"url": url}).json
    ticket = platform.cache.get(f"wecom:jsapi_ticket:{world.account.id}:jsapi")
    plain = f"jsapi_ticket={ticket}&noncestr={cfg['nonceStr']}&timestamp={cfg['timestamp']}&url={url}"
    assert cfg["signature"] == hashlib.sha1(plain.encode()).hexdigest()


def test_oauth_refuses_a_wrong_state_and_a_reused_code(db, app, world):
    client = app.test_client()
    first = client.get(f"/p/acme/wecom/sidebar/?account={world.account.id}")
    location = first.headers["Location"]
    assert "/connect/oauth2/authorize?" in location and "scope=snsapi_base" in location
    assert location.endswith("#wechat_redirect") and "appid=wwcorp0000000001" in location
    answer = httpx.get(location.split("#")[0] + "&userid=zhangsan", follow_redirects=False, timeout=10)
    back = answer.headers["location"].replace("http://localhost", "")
    assert client.get(re.sub(r"state=[^&]+", "state=forged", back)).status_code == 403
    assert client.get("/p/acme/wecom/sidebar/").status_code == 302  # still not signed in
    client.get(f"/p/acme/wecom/sidebar/?account={world.account.id}")
    with client.session_transaction() as held:
        state = held["wecom_h5_state"]
    assert client.get(re.sub(r"state=[^&]+", f"state={state}", back)).status_code == 302  # signed in
    assert client.get("/p/acme/wecom/sidebar/").status_code == 200
    other = app.test_client()  # the same code again, with a valid state of its own: WeCom answers 40029
    other.get(f"/p/acme/wecom/sidebar/?account={world.account.id}")
    with other.session_transaction() as held:
        state = held["wecom_h5_state"]
    assert other.get(re.sub(r"state=[^&]+", f"state={state}", back)).status_code == 403
    assert other.get("/p/acme/wecom/sidebar/").status_code == 302


def test_a_member_not_in_the_brand_cannot_sign_in(db, app, world):
    client = app.test_client()
    first = client.get(f"/p/acme/wecom/sidebar/?account={world.account.id}")
    # a WeCom member the platform has not synced as an employee
    from wecom_livecodes_fixtures import USERS

    world.sandbox.seed({"corp_id": "wwcorp0000000001", "agent_id": 1000002,
                        "secrets": {"agent": "agent-secret-value-1", "contact": "contact-secret-value-1",
                                    "address_book": "book-secret-value-1"},
                        "departments": [{"id": 1, "name": "HQ"}],
                        "users": [*USERS, {"userid": "wangwu", "name": "Wang Wu", "department": [1]}]})
    answer = httpx.get(first.headers["Location"].split("#")[0] + "&userid=wangwu", follow_redirects=False,
                       timeout=10)
    assert client.get(answer.headers["location"].replace("http://localhost", "")).status_code == 403


def test_team_materials_reach_the_departments_of_their_group_and_sub_departments(db, app, world):
    deps = make_departments(db, world.tenant)
    zhang, li = world.employees["zhangsan"], world.employees["lisi"]
    zhang.department_id, li.department_id = deps["store"].id, deps["north"].id  # store is under east
    group = ContentGroup(tenant_id=world.tenant.id, library="material", scope=TEAM, name="华东",
                         department_ids=[deps["east"].id])
    db.add_all([zhang, li, group])
    db.commit()
    team = make_material(db, world.tenant, "link", scope=TEAM, group_id=group.id, title="华东门店活动")
    everyone = make_material(db, world.tenant, "link", title="全员活动")
    east = sidebar_sign_in(app.test_client(), world, "zhangsan")
    north = sidebar_sign_in(app.test_client(), world, "lisi")
    assert "华东门店活动" in east.get("/p/acme/wecom/sidebar/?tab=team").get_data(as_text=True)
    assert "华东门店活动" not in north.get("/p/acme/wecom/sidebar/?tab=team").get_data(as_text=True)
    for client in (east, north):
        assert "全员活动" in client.get("/p/acme/wecom/sidebar/?tab=enterprise").get_data(as_text=True)
    assert north.post("/p/acme/wecom/sidebar/send", data={"material_id": team.id}).status_code == 404
    assert east.post("/p/acme/wecom/sidebar/send", data={"material_id": team.id}).status_code == 200
    assert north.post("/p/acme/wecom/sidebar/send", data={"material_id": everyone.id}).status_code == 200


def test_a_script_is_sent_item_by_item_with_its_materials_tracked(db, app, world):
    from scrm_wecom.materials import scripts

    poster = make_material(db, world.tenant, "poster", title="双12海报")
    mini = make_material(db, world.tenant, "miniprogram", title="会员中心")
    script = scripts.save_script(db, world.tenant.id, "enterprise", scripts.ScriptValues(
        title="双12邀约", items=[scripts.Item("text", "您好，双12会员日全场9折～"), scripts.Item("image", material_id=poster.id),
                                 scripts.Item("miniprogram", material_id=mini.id)]), "op")
    db.commit()
    client = sidebar_sign_in(app.test_client(), world, "zhangsan")
    page = client.get("/p/acme/wecom/sidebar/?tab=script").get_data(as_text=True)
    assert "双12邀约" in page
    messages = client.post("/p/acme/wecom/sidebar/send_script", data={"script_id": script.id}).json["messages"]
    assert [m["msgtype"] for m in messages] == ["text", "news", "miniprogram"]
    assert messages[0]["text"]["content"] == "您好，双12会员日全场9折～"
    assert messages[2]["miniprogram"]["appid"] == "wx0123456789abcdef"
    fresh(db)
    assert sorted(s.material_id for s in db.exec(select(MaterialSend))) == sorted([poster.id, mini.id])


def test_sends_need_a_signed_in_employee_and_the_csrf_token(db, app, world):
    material = make_material(db, world.tenant, "link", title="会场")
    assert app.test_client().post("/p/acme/wecom/sidebar/send", data={"material_id": material.id}).status_code == 403
    client = sidebar_sign_in(app.test_client(), world, "zhangsan")
    app.config["WTF_CSRF_ENABLED"] = True
    try:
        assert client.post("/p/acme/wecom/sidebar/send", data={"material_id": material.id}).status_code == 400
        page = client.get("/p/acme/wecom/sidebar/").get_data(as_text=True)
        token = re.search(r'data-csrf="([^"]+)"', page).group(1)
        response = client.post("/p/acme/wecom/sidebar/send", data={"material_id": material.id},
                               headers={"X-CSRFToken": token})
        assert response.status_code == 200
    finally:
        app.config["WTF_CSRF_ENABLED"] = False
    fresh(db)
    assert len(db.exec(select(MaterialSend)).all()) == 1


def test_a_sidebar_session_is_worthless_under_another_tenant(db, app, world, enable_plugins):
    other = Tenant(slug="other", name="Other brand")
    db.add(other)
    db.commit()
    enable_plugins(other, "wecom")
    theirs = make_material(db, other, "link", title="别家")
    mine = make_material(db, world.tenant, "link", title="会场")
    client = sidebar_sign_in(app.test_client(), world, "zhangsan")
    assert client.post("/p/acme/wecom/sidebar/send", data={"material_id": theirs.id}).status_code == 404
    assert client.post("/p/other/wecom/sidebar/send", data={"material_id": mine.id}).status_code == 403
    assert client.post("/p/other/wecom/sidebar/send", data={"material_id": theirs.id}).status_code == 403
    assert client.get("/p/other/wecom/sidebar/jsconfig?url=http://localhost/").status_code == 403
    assert "别家" not in client.get("/p/acme/wecom/sidebar/").get_data(as_text=True)
