"""话术库: the form's rules (title ≤ 200, text items ≤ 1300, at least one item, materials of the item's type),
detail, keyword search, the XLSX import (acceptance 9: default group, new groups for all employees, non-text rows
reported, nothing half-imported, wrong files refused), isolation and CSRF."""

from __future__ import annotations

import io
import re

from openpyxl import Workbook
from scrm_wecom.materials.models import ENTERPRISE, ContentGroup, Script, ScriptContent
from scrm_wecom.materials.scope import usable_group_ids
from sqlmodel import select
from wecom_materials_fixtures import *  # noqa: F403
from wecom_materials_fixtures import fresh, make_material

from scrm.sdk import Tenant

BASE = "/t/acme/wecom/materials/scripts"


def all_scripts(db, tenant):
    fresh(db)
    return list(db.exec(select(Script).where(Script.tenant_id == tenant.id)))


def post_script(staff, title="双12邀约", items=(("text", "您好，双12会员日全场9折～", ""),), **extra):
    data = {"title": title, "scope": "enterprise", "item_type": [i[0] for i in items],
            "item_text": [i[1] for i in items], "item_material": [str(i[2]) for i in items], **extra}
    return staff.post(f"{BASE}/new", data=data)


def xlsx(rows) -> bytes:
    book = Workbook()
    sheet = book.active
    for row in rows:
        sheet.append(row)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def upload(staff, content: bytes, name="scripts.xlsx"):
    return staff.post(f"{BASE}/import", data={"file": (io.BytesIO(content), name)},
                      content_type="multipart/form-data")


def test_title_and_text_limits_are_exact(db, world, staff):
    assert post_script(staff, title="话" * 201).status_code == 422
    assert post_script(staff, items=(("text", "字" * 1301, ""),)).status_code == 422
    assert post_script(staff, items=()).status_code == 422
    assert all_scripts(db, world.tenant) == []
    assert post_script(staff, title="话" * 200, items=(("text", "字" * 1300, ""),)).status_code == 302
    [script] = all_scripts(db, world.tenant)
    assert db.get(ContentGroup, script.group_id).is_default


def test_a_script_of_three_items_shows_three_contents(db, world, staff):
    poster = make_material(db, world.tenant, "poster", title="双12海报")
    mini = make_material(db, world.tenant, "miniprogram", title="会员中心")
    response = post_script(staff, items=(("text", "您好～", ""), ("image", "", poster.id),
                                         ("miniprogram", "", mini.id)))
    assert response.status_code == 302
    [script] = all_scripts(db, world.tenant)
    page = staff.get(f"{BASE}/{script.id}").get_data(as_text=True)
    assert len(re.findall(r'<li data-type="', page)) == 3 and "双12海报" in page and "会员中心" in page


def test_an_item_needs_a_material_of_its_type(db, world, staff):
    video = make_material(db, world.tenant, "video", title="新品视频")
    response = post_script(staff, items=(("image", "", video.id),))
    assert response.status_code == 422 and 'data-error="item-0"' in response.get_data(as_text=True)
    other = Tenant(slug="other", name="Other brand")
    db.add(other)
    db.commit()
    theirs = make_material(db, other, "poster", title="别家")
    assert post_script(staff, items=(("image", "", theirs.id),)).status_code == 422
    assert all_scripts(db, world.tenant) == []


def test_keyword_search_covers_titles_and_texts(db, world, staff):
    post_script(staff, title="售后咨询", items=(("text", "请提供订单号", ""),))
    post_script(staff, title="新品推荐", items=(("text", "秋冬新品已到店", ""),))
    page = staff.get(f"{BASE}/?q=订单号").get_data(as_text=True)
    assert "售后咨询" in page and "新品推荐" not in page
    page = staff.get(f"{BASE}/?q=新品").get_data(as_text=True)
    assert "新品推荐" in page and "售后咨询" not in page


def test_import_uses_the_default_group_creates_missing_groups_for_everyone(db, world, staff):
    content = xlsx([["分组", "标题", "内容"], ["", "售后咨询", "请提供订单号"], ["G-new", "新品推荐", "秋冬新品已到店"],
                    ["G-new", "会员日", "双12会员日全场9折"]])
    response = upload(staff, content)
    assert response.status_code == 302
    scripts = {s.title: s for s in all_scripts(db, world.tenant)}
    assert set(scripts) == {"售后咨询", "新品推荐", "会员日"}
    assert db.get(ContentGroup, scripts["售后咨询"].group_id).is_default
    new_group = db.get(ContentGroup, scripts["新品推荐"].group_id)
    assert new_group.name == "G-new" and new_group.scope == ENTERPRISE
    assert scripts["会员日"].group_id == new_group.id
    for employee in world.employees.values():
        assert new_group.id in usable_group_ids(db, world.tenant.id, "script", employee)
    texts = [c.text for c in db.exec(select(ScriptContent).where(ScriptContent.script_id == scripts["会员日"].id))]
    assert texts == ["双12会员日全场9折"]


def test_bad_rows_are_reported_and_nothing_is_imported(db, world, staff):
    content = xlsx([["分组", "标题", "内容"], ["", "好的一行", "内容"], ["", "图片行", "看图", "image.png"],
                    ["", "话" * 201, "内容"], ["", "超长", "字" * 1301], ["", "", "没有标题"]])
    response = upload(staff, content)
    page = response.get_data(as_text=True)
    assert response.status_code == 422
    assert sorted(int(n) for n in re.findall(r'data-row="(\d+)"', page)) == [3, 4, 5, 6]
    assert all_scripts(db, world.tenant) == []
    fresh(db)
    assert db.exec(select(ContentGroup).where(ContentGroup.library == "script",
                                              ContentGroup.is_default.is_(False))).all() == []


def test_wrong_files_are_refused(db, world, staff):
    assert upload(staff, b"not a workbook").status_code == 422
    assert upload(staff, xlsx([["标题", "内容"], ["a", "b"]])).status_code == 422
    assert upload(staff, xlsx([["分组", "标题", "内容"]])).status_code == 422
    assert all_scripts(db, world.tenant) == []
    template = staff.get(f"{BASE}/import/template.xlsx")
    assert template.status_code == 200 and upload(staff, template.data).status_code == 302


def test_another_tenants_scripts_answer_404(db, world, staff):
    from scrm_wecom.materials import scripts as service

    other = Tenant(slug="other", name="Other brand")
    db.add(other)
    db.commit()
    theirs = service.save_script(db, other.id, "enterprise", service.ScriptValues(
        title="别家话术", items=[service.Item("text", "你好")]), "x")
    db.commit()
    for path in (f"{BASE}/{theirs.id}", f"{BASE}/{theirs.id}/edit"):
        assert staff.get(path).status_code == 404
    assert staff.post(f"{BASE}/{theirs.id}/delete").status_code == 404
    assert staff.post(f"{BASE}/{theirs.id}/edit", data={"title": "x"}).status_code == 404
    assert "别家话术" not in staff.get(f"{BASE}/").get_data(as_text=True)


def test_script_writes_need_the_csrf_token(db, app, world, staff):
    app.config["WTF_CSRF_ENABLED"] = True
    try:
        assert post_script(staff).status_code == 400
        assert upload(staff, xlsx([["分组", "标题", "内容"], ["", "a", "b"]])).status_code == 400
        assert all_scripts(db, world.tenant) == []
        token = re.search(r'name="csrf-token" content="([^"]+)"', staff.get(f"{BASE}/new").text).group(1)
        assert post_script(staff, csrf_token=token).status_code == 302
    finally:
        app.config["WTF_CSRF_ENABLED"] = False
