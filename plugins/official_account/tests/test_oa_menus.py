"""Custom menus (spec 3.6, 4.4, acceptance 15-18) against the sandbox: the menu bounds, save without a WeChat call,
publish with exactly one create call of the saved tree, personalised menus by phone system and OA tag (never a
member tag) with 未生效 / 已生效, the cascade of deleting the default menu, click replies and click statistics,
tenant and account isolation, CSRF."""

from __future__ import annotations

import json

import pytest
from oa_fixtures import *  # noqa: F403
from oa_fixtures import AES_KEY, APPID, ORIGINAL_ID, OTHER_APPID, TOKEN
from oa_materials_support import *  # noqa: F403
from oa_materials_support import fresh
from scrm_official_account.fans.models import OATag
from scrm_official_account.menus import tree as menu_tree
from scrm_official_account.menus.models import Menu
from scrm_official_account.sandbox import message_xml, read_reply
from sqlmodel import select

from scrm.sdk import Tag, TagGroup

CREATE, DELETE = "/cgi-bin/menu/create", "/cgi-bin/menu/delete"
ADD_COND, DEL_COND = "/cgi-bin/menu/addconditional", "/cgi-bin/menu/delconditional"


def view(name, url="https://shop.example.com/"):
    return {"name": name, "type": "view", "url": url}


def top(name, subs):
    return {"name": name, "sub_button": subs}


def full_tree():
    """3 top-level menus × 5 sub-menus: the largest menu WeChat takes."""
    return [top(f"菜单{i}", [view(f"子菜单{i}-{j}", f"https://shop.example.com/{i}/{j}") for j in range(1, 6)])
            for i in range(1, 4)]


def codes(tree) -> list[str]:
    return [p.code for p in menu_tree.validate(menu_tree.normalize(tree))]


def menu_calls(world) -> list[dict]:
    """The platform's menu calls (the tests' own ``menu/get`` reads of the sandbox left out)."""
    return [c for c in world.control.calls() if c["path"].startswith("/cgi-bin/menu/")
            and c["path"] != "/cgi-bin/menu/get"]


def save(world, tree, account=None):
    return world.staff.post(world.url("/menus/default"), data={
        "account_id": str((account or world.account).id), "tree": json.dumps(tree, ensure_ascii=False)})


def publish(world, account=None):
    return world.staff.post(world.url("/menus/default/publish"), data={"account_id": str((account or world.account).id)})


def sandbox_menus(world, appid=None) -> dict:
    answer = world.control.http.get("/cgi-bin/menu/get", params={"access_token": token(world, appid)}).json()
    return answer


def token(world, appid=None):
    from oa_fixtures import APPID, OTHER_SECRET, SECRET

    appid = appid or APPID
    return world.control.http.get("/cgi-bin/token", params={
        "grant_type": "client_credential", "appid": appid,
        "secret": SECRET if appid == APPID else OTHER_SECRET}).json()["access_token"]


def oa_tag(db, world, wechat_id, name, account=None):
    tag = OATag(tenant_id=world.tenant.id, account_id=(account or world.account).id, wechat_id=wechat_id, name=name)
    db.add(tag)
    db.commit()
    return tag


# -- acceptance 15: menu bounds ------------------------------------------------------------------------------------

def test_menu_bounds_at_the_limits():
    assert codes([]) == [menu_tree.MENU_MIN_ONE_TOP]
    assert codes([view("首页")]) == []
    assert codes(full_tree()) == []  # 3 × 5 succeeds
    assert codes(full_tree() + [view("第四个")]) == [menu_tree.MENU_MAX_THREE_TOP]
    six = full_tree()
    six[0]["sub_button"].append(view("第六个"))
    assert codes(six) == [menu_tree.MENU_MAX_FIVE_SUB]
    assert codes([top("会员", [view("一" * 16)])]) == []
    assert codes([top("会员", [view("一" * 17)])]) == [menu_tree.NAME_TOO_LONG]
    assert codes([top("会员", [view("a" * 17)])]) == [menu_tree.NAME_TOO_LONG]


def test_top_level_names_are_held_to_wechats_16_bytes():
    assert codes([view("会员中心服务")]) == [menu_tree.NAME_TOO_LONG]  # 6 汉字 = 18 bytes
    assert codes([view("会员中心服")]) == []  # 15 bytes
    assert codes([view("a" * 16)]) == []
    assert codes([view("a" * 17)]) == [menu_tree.NAME_TOO_LONG]


def test_items_need_their_content():
    assert codes([{"name": "空"}]) == [menu_tree.CONTENT_REQUIRED]
    assert codes([{"name": "网页", "type": "view", "url": ""}]) == [menu_tree.CONTENT_REQUIRED]
    assert codes([view("网页", "javascript:alert(1)")]) == [menu_tree.BAD_URL]
    assert codes([view("网页", "https://x.cn/" + "a" * 1011)]) == []  # 1024 bytes
    assert codes([view("网页", "https://x.cn/" + "a" * 1012)]) == [menu_tree.BAD_URL]
    mini = {"name": "小程序", "type": "miniprogram", "url": "https://shop.example.com/", "appid": "wx286b93c14bbf93aa",
            "pagepath": "pages/index/index"}
    assert codes([mini]) == []
    assert codes([{**mini, "appid": "wx123"}]) == [menu_tree.BAD_APPID]
    assert codes([{**mini, "pagepath": ""}]) == [menu_tree.BAD_PAGEPATH]
    click = {"name": "优惠", "type": "click", "reply": {"kind": "text", "text": "一" * 600}}
    assert codes([click]) == []
    assert codes([{**click, "reply": {"kind": "text", "text": "一" * 601}}]) == [menu_tree.REPLY_TOO_LONG]
    assert codes([{**click, "reply": {"kind": "text", "text": ""}}]) == [menu_tree.REPLY_REQUIRED]


@pytest.mark.parametrize("tree,code", [([], "at least 1"), (full_tree() + [view("第四个")], "at most 3"),
                                       ([top("会员", [view("一" * 17)])], "longer than 16 characters")])
def test_a_menu_out_of_bounds_is_refused_and_nothing_is_sent(oa_world, db, tree, code):
    response = save(oa_world, tree)
    assert response.status_code == 422
    assert code in response.get_data(as_text=True)
    fresh(db)
    assert db.exec(select(Menu)).all() == []
    assert publish(oa_world).status_code == 422  # nothing saved to publish
    assert menu_calls(oa_world) == []


# -- acceptance 16: save vs publish ---------------------------------------------------------------------------------

def test_save_makes_no_wechat_call_and_publish_exactly_one_create_of_the_saved_tree(oa_world, db):
    tree = full_tree()
    tree[2] = {"name": "优惠", "type": "click", "reply": {"kind": "text", "text": "本周会员日全场九折"}}
    response = save(oa_world, tree)
    assert response.status_code == 302, response.get_data(as_text=True)[:2000]
    assert menu_calls(oa_world) == []
    fresh(db)
    [menu] = db.exec(select(Menu)).all()
    assert menu.status == "draft" and menu.published_at is None
    page = oa_world.staff.get(oa_world.url("/menus/")).get_data(as_text=True)
    assert 'data-status="draft"' in page and "Not in effect" in page
    assert publish(oa_world).status_code == 302
    [call] = menu_calls(oa_world)
    assert call["path"] == CREATE and call["errcode"] == 0
    fresh(db)
    menu = db.get(Menu, menu.id)
    assert call["body"] == menu_tree.to_wechat(menu.tree)
    assert call["body"]["button"][2] == {"type": "click", "name": "优惠", "key": menu.tree[2]["key"]}
    assert menu.status == "published" and menu.published_tree == menu.tree
    assert sandbox_menus(oa_world)["menu"]["button"] == call["body"]["button"]
    assert 'data-status="published"' in oa_world.staff.get(oa_world.url("/menus/")).get_data(as_text=True)
    # saving a change again: no call, not in effect until published
    tree[0]["sub_button"][0]["name"] = "新品上市"
    assert save(oa_world, tree).status_code == 302
    assert len(menu_calls(oa_world)) == 1
    fresh(db)
    assert db.get(Menu, menu.id).status == "draft"


def test_a_refused_publish_surfaces_wechats_error_and_keeps_the_menu_unpublished(oa_world, db):
    assert save(oa_world, [view("首页")]).status_code == 302
    oa_world.fail(CREATE, 45064)
    response = publish(oa_world)
    assert response.status_code == 502 and "45064" in response.get_data(as_text=True)
    fresh(db)
    [menu] = db.exec(select(Menu)).all()
    assert menu.status == "draft" and menu.last_error.startswith("45064")


# -- acceptance 18: personalised menus ------------------------------------------------------------------------------

def save_rule(world, name, *, platform="ios", tag_id="1", tree=None, menu_id=None):
    data = {"account_id": str(world.account.id), "name": name, "platform": platform, "tag_id": tag_id,
            "tree": json.dumps(tree or [view("会员专区")], ensure_ascii=False)}
    if menu_id:
        data["menu_id"] = str(menu_id)
    return world.staff.post(world.url("/menus/conditional"), data=data)


def test_personalised_menu_lifecycle_and_rule_name_limit(oa_world, db):
    oa_tag(db, oa_world, 1, "星标组")
    assert save(oa_world, [view("首页")]).status_code == 302 and publish(oa_world).status_code == 302
    refused = save_rule(oa_world, "规" * 31)
    assert refused.status_code == 422 and "longer than 30 characters" in refused.get_data(as_text=True)
    assert save_rule(oa_world, "规" * 30).status_code == 302
    fresh(db)
    [rule] = db.exec(select(Menu).where(Menu.kind == "conditional")).all()
    assert rule.status == "draft" and rule.platform == "ios" and rule.tag_id == 1 and rule.tag_name == "星标组"
    listing = oa_world.staff.get(oa_world.url("/menus/?tab=conditional")).get_data(as_text=True)
    assert "Not in effect" in listing
    before = len(menu_calls(oa_world))
    assert oa_world.staff.post(oa_world.url(f"/menus/conditional/{rule.id}/publish"),
                               data={"account_id": str(oa_world.account.id)}).status_code == 302
    [call] = menu_calls(oa_world)[before:]
    assert call["path"] == ADD_COND and call["body"]["matchrule"] == {"tag_id": "1", "client_platform_type": "1"}
    fresh(db)
    rule = db.get(Menu, rule.id)
    assert rule.status == "published" and rule.wechat_menuid
    assert "In effect" in oa_world.staff.get(oa_world.url("/menus/?tab=conditional")).get_data(as_text=True)
    [conditional] = sandbox_menus(oa_world)["conditionalmenu"]
    assert conditional["menuid"] == rule.wechat_menuid


def test_only_oa_tags_are_offered_and_accepted_never_member_tags(oa_world, db, make_oa_account):
    oa_tag(db, oa_world, 1, "星标组")
    second = make_oa_account(oa_world.tenant, api_base=oa_world.base, appid=OTHER_APPID, name="门店服务号")
    oa_tag(db, oa_world, 105, "门店会员", account=second)
    group = TagGroup(tenant_id=oa_world.tenant.id, name="会员等级")
    db.add(group)
    db.flush()
    for name in ("普通会员", "银卡会员", "VIP会员"):  # the member tag's id is none of the OA tags' ids
        member_tag = Tag(tenant_id=oa_world.tenant.id, group_id=group.id, name=name)
        db.add(member_tag)
        db.flush()
    db.commit()
    assert member_tag.id not in (1, 105)
    form = oa_world.staff.get(oa_world.url(f"/menus/conditional/new?account_id={oa_world.account.id}"))
    html = form.get_data(as_text=True)
    assert "星标组" in html and "会员" not in html.split('id="rule-tag"')[1].split("</select>")[0]
    for tag_id in (str(member_tag.id), "105"):  # a member tag, another account's OA tag
        refused = save_rule(oa_world, "VIP专属", tag_id=tag_id)
        assert refused.status_code == 422 and "official account tags" in refused.get_data(as_text=True)
    assert save_rule(oa_world, "无条件", platform="", tag_id="").status_code == 422
    fresh(db)
    assert db.exec(select(Menu)).all() == []


def test_a_personalised_menu_needs_the_default_menu_published_first(oa_world, db):
    oa_tag(db, oa_world, 1, "星标组")
    assert save_rule(oa_world, "星标粉丝").status_code == 302
    fresh(db)
    [rule] = db.exec(select(Menu).where(Menu.kind == "conditional")).all()
    response = oa_world.staff.post(oa_world.url(f"/menus/conditional/{rule.id}/publish"),
                                   data={"account_id": str(oa_world.account.id)})
    assert response.status_code == 302
    assert menu_calls(oa_world) == []
    fresh(db)
    assert db.get(Menu, rule.id).status == "draft"


# -- acceptance 17: the cascade -------------------------------------------------------------------------------------

def test_deleting_the_default_menu_deletes_every_personalised_menu_here_and_on_wechat(oa_world, db):
    oa_tag(db, oa_world, 1, "星标组")
    assert save(oa_world, [view("首页")]).status_code == 302 and publish(oa_world).status_code == 302
    assert save_rule(oa_world, "苹果用户", platform="ios", tag_id="").status_code == 302
    assert save_rule(oa_world, "星标安卓", platform="android", tag_id="1").status_code == 302
    fresh(db)
    rules = db.exec(select(Menu).where(Menu.kind == "conditional")).all()
    for rule in rules:
        assert oa_world.staff.post(oa_world.url(f"/menus/conditional/{rule.id}/publish"),
                                   data={"account_id": str(oa_world.account.id)}).status_code == 302
    assert len(sandbox_menus(oa_world)["conditionalmenu"]) == 2
    before = len(menu_calls(oa_world))
    response = oa_world.staff.post(oa_world.url("/menus/default/delete"), data={"account_id": str(oa_world.account.id)})
    assert response.status_code == 302
    [call] = menu_calls(oa_world)[before:]
    assert call["path"] == DELETE
    fresh(db)
    assert db.exec(select(Menu)).all() == []
    assert sandbox_menus(oa_world)["errcode"] == 46003  # no menu at all on WeChat


def test_deleting_one_personalised_menu_removes_it_on_wechat(oa_world, db):
    assert save(oa_world, [view("首页")]).status_code == 302 and publish(oa_world).status_code == 302
    assert save_rule(oa_world, "苹果用户", tag_id="").status_code == 302
    fresh(db)
    [rule] = db.exec(select(Menu).where(Menu.kind == "conditional")).all()
    oa_world.staff.post(oa_world.url(f"/menus/conditional/{rule.id}/publish"), data={"account_id": str(oa_world.account.id)})
    fresh(db)
    menuid = db.get(Menu, rule.id).wechat_menuid
    assert oa_world.staff.post(oa_world.url(f"/menus/conditional/{rule.id}/delete"),
                               data={"account_id": str(oa_world.account.id)}).status_code == 302
    [call] = [c for c in menu_calls(oa_world) if c["path"] == DEL_COND]
    assert call["body"] == {"menuid": menuid}
    assert "conditionalmenu" not in sandbox_menus(oa_world)


# -- clicks: replies and statistics -----------------------------------------------------------------------------------

def test_a_click_item_replies_passively_and_clicks_are_counted_once(oa_world, db, fire, worker):
    tree = [{"name": "优惠", "type": "click", "reply": {"kind": "text", "text": "本周会员日全场九折"}},
            view("商城", "https://shop.example.com/")]
    assert save(oa_world, tree).status_code == 302 and publish(oa_world).status_code == 302
    fresh(db)
    [menu] = db.exec(select(Menu)).all()
    key = menu.published_tree[0]["key"]
    account = oa_world.account
    click = message_xml(ORIGINAL_ID, "oFan001", "event",
                        create_time=1_765_000_000, Event="CLICK", EventKey=key)
    response = fire(account, click)
    assert response.status_code == 200
    target = {"appid": APPID, "token": TOKEN, "encoding_aes_key": AES_KEY, "mode": "safe"}
    reply = read_reply(target, response.get_data())
    assert reply["MsgType"] == "text" and reply["Content"] == "本周会员日全场九折" and reply["ToUserName"] == "oFan001"
    fire(account, click)  # WeChat's retry of the same callback
    fire(account, message_xml(ORIGINAL_ID, "oFan002", "event", create_time=1_765_000_100, Event="VIEW",
                              EventKey="https://shop.example.com/"))
    worker.join()
    page = oa_world.staff.get(oa_world.url("/menus/?tab=stats&from=2025-12-01&to=2025-12-31"))
    html = page.get_data(as_text=True)
    assert page.status_code == 200 and 'data-testid="click-total">2<' in html
    assert "优惠" in html and "商城" in html


def test_stats_refuse_a_range_over_92_days(oa_world):
    response = oa_world.staff.get(oa_world.url("/menus/?tab=stats&from=2025-01-01&to=2025-12-31"))
    assert response.status_code == 422


# -- isolation and CSRF -------------------------------------------------------------------------------------------

def test_another_tenants_account_is_not_found(oa_world, db, make_tenant, make_oa_account, enable_plugins):
    other = make_tenant("other")
    enable_plugins(other, "official_account")
    foreign = make_oa_account(other, api_base=oa_world.base, appid=OTHER_APPID)
    assert oa_world.staff.get(oa_world.url(f"/menus/?account_id={foreign.id}")).status_code == 404
    assert save(oa_world, [view("首页")], account=foreign).status_code == 404
    assert publish(oa_world, account=foreign).status_code == 404
    assert oa_world.staff.post(oa_world.url("/menus/default/delete"), data={"account_id": str(foreign.id)}).status_code == 404
    fresh(db)
    assert db.exec(select(Menu)).all() == []
    assert menu_calls(oa_world) == []


def test_a_menu_of_another_account_of_the_tenant_stays_apart(oa_world, db, make_oa_account):
    second = make_oa_account(oa_world.tenant, api_base=oa_world.base, appid=OTHER_APPID, name="门店服务号")
    assert save(oa_world, [view("首页")]).status_code == 302 and publish(oa_world).status_code == 302
    assert save(oa_world, [view("门店")], account=second).status_code == 302
    fresh(db)
    first, other = sorted(db.exec(select(Menu)).all(), key=lambda m: m.id)
    assert first.account_id == oa_world.account.id and other.account_id == second.id
    assert other.status == "draft" and first.status == "published"
    assert oa_world.staff.get(oa_world.url(f"/menus/conditional/{first.id}?account_id={second.id}")).status_code == 404
    assert oa_world.staff.post(oa_world.url("/menus/default/delete"), data={"account_id": str(second.id)}).status_code == 302
    fresh(db)
    assert [m.account_id for m in db.exec(select(Menu)).all()] == [oa_world.account.id]


def test_writes_without_the_csrf_token_are_refused(oa_world, db):
    raw = oa_world.staff.client
    response = raw.post(oa_world.url("/menus/default"), data={"account_id": str(oa_world.account.id),
                                                                "tree": json.dumps([view("首页")])})
    assert response.status_code == 400
    fresh(db)
    assert db.exec(select(Menu)).all() == []


def test_a_click_item_can_reply_with_an_image_material(oa_world, db, fire):
    from oa_materials_support import png
    from scrm_official_account.materials.models import Material

    assert oa_world.upload("image", png(), "会员日海报.png").status_code == 302
    fresh(db)
    [image] = db.exec(select(Material)).all()
    tree = [{"name": "海报", "type": "click", "reply": {"kind": "material", "material_id": image.id}}]
    assert save(oa_world, tree).status_code == 302 and publish(oa_world).status_code == 302
    fresh(db)
    key = db.exec(select(Menu)).one().published_tree[0]["key"]
    response = fire(oa_world.account, message_xml(ORIGINAL_ID, "oFan009", "event", Event="CLICK", EventKey=key))
    reply = read_reply({"appid": APPID, "token": TOKEN, "encoding_aes_key": AES_KEY, "mode": "safe"},
                       response.get_data())
    assert reply["MsgType"] == "image" and reply["Image"]["MediaId"] == image.media_id
    # the material is in use by the menu: it cannot be deleted
    oa_world.staff.post(oa_world.url(f"/materials/{image.id}/delete"), data={"account_id": str(oa_world.account.id)})
    fresh(db)
    assert db.get(Material, image.id) is not None
    other = {"name": "海报", "type": "click", "reply": {"kind": "material", "material_id": image.id + 999}}
    refused = save(oa_world, [other])
    assert refused.status_code == 422 and "not one of this account" in refused.get_data(as_text=True)


def test_the_pages_render_and_say_when_no_account_is_connected(tenant, enable_plugins, oa_admin, oa_world, db):
    for path in ("/menus/", "/menus/?tab=conditional", "/menus/?tab=stats",
                 f"/menus/conditional/new?account_id={oa_world.account.id}"):
        assert oa_world.staff.get(oa_world.url(path)).status_code == 200, path
    assert save_rule(oa_world, "苹果用户", tag_id="").status_code == 302
    fresh(db)
    rule = db.exec(select(Menu)).one()
    edit = oa_world.staff.get(oa_world.url(f"/menus/conditional/{rule.id}?account_id={oa_world.account.id}"))
    assert edit.status_code == 200 and "苹果用户" in edit.get_data(as_text=True)
    nav = oa_world.staff.get(oa_world.url("/menus/")).get_data(as_text=True)
    assert 'data-endpoint="official_account.menus.index"' in nav
    assert 'data-endpoint="official_account.masssend.index"' in nav


def test_without_an_account_the_page_says_so(make_tenant, enable_plugins, oa_admin):
    bare = make_tenant("bare")
    enable_plugins(bare, "official_account")
    staff = oa_admin(bare)
    for path in ("/menus/", "/masssend/"):
        page = staff.get(f"/t/bare/official_account{path}")
        assert page.status_code == 200 and 'data-testid="no-account"' in page.get_data(as_text=True)


def test_the_pages_are_gone_while_the_plugin_is_disabled(make_tenant, oa_admin):
    off = make_tenant("off")
    staff = oa_admin(off)
    for path in ("/menus/", "/masssend/"):
        assert staff.get(f"/t/off/official_account{path}").status_code == 404
