"""Mini program text links (小程序链接, spec wecom-operations 2.2.3, 2.3.1, 2.4.1, 2.5.1, 2.6.2, 4.4 rule 7): the one
pattern (its boundaries pinned, so a change of it fails here), the optional text link of a mini program material,
the insert button's picker (the brand's links only), and a friend welcome whose text carries an inserted link
reaching WeCom's send_welcome_msg unchanged."""

from __future__ import annotations

import io

import pytest
from scrm_wecom.materials import minilinks
from scrm_wecom.materials.models import Material
from scrm_wecom.welcome.content import ContentError, validate_content
from sqlmodel import select
from wecom_materials_fixtures import *  # noqa: F403
from wecom_materials_fixtures import fresh, make_material, png

from scrm.sdk import Tenant

BASE = "/t/acme/wecom/materials"
LINK = "#小程序://零售小商铺/首页/Ab12Cd34"


@pytest.mark.parametrize("value", [
    "#小程序://零售小商铺/Ab12",  # name and a code of 4
    LINK,  # name, page name and code
    "#小程序://" + "店" * 30 + "/" + "A" * 64,  # a name of 30 and a code of 64
    "#小程序://TeaHouse/xYz9",  # ASCII names too
])
def test_whole_links_match(value):
    assert minilinks.is_link(value), value
    assert minilinks.text_error(f"会员日来逛逛 {value} 到店有礼") is None


@pytest.mark.parametrize("value", [
    "#小程序://零售小商铺/Ab1",  # a code of 3
    "#小程序://" + "店" * 31 + "/Ab12Cd34",  # a name of 31
    "#小程序://零售小商铺/" + "A" * 65,  # a code of 65
    "#小程序://零售小商铺",  # no code
    "#小程序://零售小商铺/首页",  # a page name but no code
    "#小程序://零售小商铺/首页/Ab12/",  # a trailing slash
    "#小程序://零售 小商铺/Ab12Cd34",  # white space in the name
    "#小程序://零售小商铺/首页/更多/Ab12Cd34",  # two page names
    "#小程序:/零售小商铺/Ab12Cd34",  # one slash
    "#小程序://零售小商铺/Ab12_Cd34",  # the code is letters and digits
    "小程序://零售小商铺/Ab12Cd34",  # no #
])
def test_malformed_links_do_not_match(value):
    assert not minilinks.is_link(value), value


def test_a_text_with_a_broken_fragment_names_it_and_a_whole_link_beside_it_is_fine():
    assert minilinks.text_error("无链接的文字") is None
    assert minilinks.text_error(f"先看 {LINK}，再看 #小程序://甲店/X9y8") is None
    message = minilinks.text_error(f"先看 {LINK}，再看 #小程序://甲店/首页 领券")
    assert message is not None and "#小程序://甲店/首页" in message
    assert "#小程序:" in minilinks.text_error("#小程序:零售小商铺/Ab12Cd34")
    assert minilinks.links_in(f"{LINK} 与 #小程序://甲店/X9y8") == [LINK, "#小程序://甲店/X9y8"]


def test_the_pattern_is_the_one_the_page_gets(db, world, staff):
    page = staff.get("/t/acme/wecom/masssend/new").get_data(as_text=True)
    from markupsafe import escape

    assert f'data-pattern="{escape(minilinks.PATTERN)}"' in page


def post_miniprogram(staff, **extra):
    data = {"title": "会员商城", "kind": "miniprogram", "scope": "enterprise", "appid": "wx0123456789abcdef",
            "page": "pages/index/index.html", "cover": (io.BytesIO(png()), "cover.png"), **extra}
    return staff.post(f"{BASE}/new?scope=enterprise", data=data, content_type="multipart/form-data")


def test_a_mini_program_material_keeps_a_valid_text_link_and_refuses_a_malformed_one(db, world, staff):
    refused = post_miniprogram(staff, text_link="#小程序://零售小商铺/首页")
    assert refused.status_code == 422
    body = refused.get_data(as_text=True)
    assert 'data-error="text_link"' in body and "#小程序://零售小商铺/首页" in body
    fresh(db)
    assert db.exec(select(Material).where(Material.tenant_id == world.tenant.id)).all() == []
    assert post_miniprogram(staff, text_link=LINK).status_code == 302
    assert post_miniprogram(staff, title="无链接小程序").status_code == 302  # the link is optional
    fresh(db)
    stored = {m.title: m.text_link for m in db.exec(select(Material).where(Material.tenant_id == world.tenant.id))}
    assert stored == {"会员商城": LINK, "无链接小程序": ""}
    material = db.exec(select(Material).where(Material.text_link == LINK)).one()
    assert LINK in staff.get(f"{BASE}/{material.id}/edit").get_data(as_text=True)


def test_the_picker_lists_the_brands_mini_program_links_only(db, world, staff):
    make_material(db, world.tenant, "miniprogram", title="会员商城", text_link=LINK)
    make_material(db, world.tenant, "miniprogram", title="无链接")
    gone = make_material(db, world.tenant, "miniprogram", title="已删除", text_link="#小程序://旧店/Old12345")
    gone.deleted_at = gone.updated_at
    db.add(gone)
    db.commit()
    other = Tenant(slug="other", name="Other brand")
    db.add(other)
    db.commit()
    make_material(db, other, "miniprogram", title="别家商城", text_link="#小程序://别家商城/Zz99Yy88")
    for path in ("/t/acme/wecom/masssend/new", "/t/acme/wecom/masssend/new?tab=group", "/t/acme/wecom/welcome/new",
                 "/t/acme/wecom/welcome/group/new", "/t/acme/wecom/sop/new?kind=customer"):
        page = staff.get(path).get_data(as_text=True)
        assert 'data-minilink="' in page, path
        assert f'value="{LINK}"' in page, path
        assert "别家商城" not in page and "Zz99Yy88" not in page, path
        assert "Old12345" not in page and "无链接 ·" not in page, path


def test_a_welcome_text_with_an_inserted_link_is_checked_and_counted(db, world, staff):
    assert validate_content({"text": f"欢迎！{LINK}"})["text"] == f"欢迎！{LINK}"
    with pytest.raises(ContentError) as error:
        validate_content({"text": "欢迎！#小程序://零售小商铺/首页/Ab"})
    assert "#小程序://零售小商铺/首页/Ab" in error.value.fields["text"]
    with pytest.raises(ContentError):  # the link counts in the 4,000 bytes
        validate_content({"text": "字" * ((4000 - len(LINK.encode())) // 3 + 1) + LINK})
    data = {"audience": "selected", "employee_ids": [str(world.employees["zhangsan"].id)],
            "text": "您好 #小程序://零售小商铺/首"}
    response = staff.post("/t/acme/wecom/welcome/new", data=data)
    assert response.status_code == 422 and "#小程序://零售小商铺/首" in response.get_data(as_text=True)


def test_an_inserted_link_reaches_send_welcome_msg(db, world, staff, worker):
    from wecom_livecodes_fixtures import CORP_ID, deliver, friend_event

    text = f"Hi {{customer_name}}，点这里逛商城 {LINK} 领新人券"
    data = {"audience": "selected", "employee_ids": [str(world.employees["zhangsan"].id)], "text": text}
    assert staff.post("/t/acme/wecom/welcome/new", data=data).status_code == 302
    friend = world.sandbox.add_friend(CORP_ID, "zhangsan", {"name": "Lily"})
    deliver(db, friend_event(world, "zhangsan", friend["external_userid"], welcome_code=friend["welcome_code"]),
            worker)
    [call] = world.sandbox.calls("/cgi-bin/externalcontact/send_welcome_msg")
    assert call["body"]["text"]["content"] == f"Hi Lily，点这里逛商城 {LINK} 领新人券"
