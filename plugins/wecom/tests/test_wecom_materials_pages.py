"""素材库 pages: the form's rules (title ≤ 20, default group, type-specific fields), uploads refused before decoding
with nothing saved, list search and filters, groups (team groups need departments, the default group stays),
delete, internal share untracked, isolation between tenants, CSRF on writes."""

from __future__ import annotations

import io
import re
import struct
import zlib

from scrm_wecom.materials.models import ContentGroup, Material, MaterialFile
from sqlmodel import select
from wecom_materials_fixtures import *  # noqa: F403
from wecom_materials_fixtures import MP4, PDF, fresh, make_departments, make_material, png

from scrm.sdk import Tenant

BASE = "/t/acme/wecom/materials"


def materials(db, tenant):
    fresh(db)
    return list(db.exec(select(Material).where(Material.tenant_id == tenant.id, Material.deleted_at.is_(None))))


def post_material(staff, scope="enterprise", *, title="双12海报", kind="poster", upload=None, name="a.png", **extra):
    data = {"title": title, "kind": kind, "scope": scope, **extra}
    if kind == "poster" and upload is None:
        upload = png()
    if upload is not None:
        data["file"] = (io.BytesIO(upload), name)
    return staff.post(f"{BASE}/new?scope={scope}", data=data, content_type="multipart/form-data")


def bomb_png(side=60000) -> bytes:
    """A tiny PNG that declares a huge canvas (a decompression bomb): refused from its header."""
    def chunk(kind, body):
        return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body) & 0xFFFFFFFF)
    header = struct.pack(">IIBBBBB", side, side, 8, 2, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(b"\x00" * 10)) + \
        chunk(b"IEND", b"")


def test_a_title_of_20_characters_saves_into_the_default_group_and_21_is_refused(db, world, staff):
    response = post_material(staff, title="海" * 21)
    assert response.status_code == 422 and 'data-error="title"' in response.get_data(as_text=True)
    assert materials(db, world.tenant) == []
    assert post_material(staff, title="海" * 20).status_code == 302
    [material] = materials(db, world.tenant)
    group = db.get(ContentGroup, material.group_id)
    assert group.is_default and group.scope == "enterprise" and material.file_name == "a.png"
    assert db.exec(select(MaterialFile).where(MaterialFile.material_id == material.id)).one().mime == "image/png"


def test_uploads_are_checked_before_decoding_and_nothing_is_saved(db, world, staff):
    cases = [("poster", PDF, "x.png", "file"), ("poster", bomb_png(), "bomb.png", "file"),
             ("poster", b"\x89PNG\r\n\x1a\n" + b"\x00" * 40, "broken.png", "file"),
             ("file", png(), "not.pdf", "file"), ("video", PDF, "clip.mp4", "file"),
             ("video", b"", "empty.mp4", "file")]
    for kind, data, name, field in cases:
        response = post_material(staff, kind=kind, upload=data, name=name)
        assert response.status_code == 422, (kind, name)
        assert f'data-error="{field}"' in response.get_data(as_text=True), (kind, name)
    big = b"%PDF-" + b"0" * (20 * 1024 * 1024)
    response = post_material(staff, kind="file", upload=big, name="big.pdf")
    assert response.status_code == 422 and "20 MB" in response.get_data(as_text=True)
    assert materials(db, world.tenant) == []
    assert db.exec(select(MaterialFile)).all() == []


def test_each_type_needs_its_fields(db, world, staff):
    assert post_material(staff, kind="link", url="ftp://x").status_code == 422
    assert post_material(staff, kind="article", body="").status_code == 422
    bad_cover = staff.post(f"{BASE}/new?scope=enterprise", content_type="multipart/form-data", data={
        "title": "会员中心", "kind": "miniprogram", "appid": "wx0123456789abcdef", "page": "pages/index/index.html",
        "cover": (io.BytesIO(PDF), "cover.png")})
    assert bad_cover.status_code == 422 and 'data-error="cover"' in bad_cover.get_data(as_text=True)
    response = post_material(staff, kind="miniprogram", appid="wx123", page="")
    text = response.get_data(as_text=True)
    assert response.status_code == 422 and 'data-error="appid"' in text and 'data-error="cover"' in text
    assert materials(db, world.tenant) == []
    assert post_material(staff, kind="link", url="https://shop.example.com/a", title="双12会场").status_code == 302
    assert post_material(staff, kind="video", upload=MP4, name="新品.mp4", title="新品视频").status_code == 302
    assert post_material(staff, kind="file", upload=PDF, name="手册.pdf", title="会员手册").status_code == 302
    assert sorted(m.kind for m in materials(db, world.tenant)) == ["file", "link", "video"]


def test_list_searches_title_and_file_name_and_filters_by_type_and_group(db, world, staff):
    make_material(db, world.tenant, "poster", title="双12海报")
    make_material(db, world.tenant, "file", title="会员手册")
    make_material(db, world.tenant, "link", title="会场")
    page = staff.get(f"{BASE}/?q=brochure").get_data(as_text=True)  # the PDF's file name
    assert "会员手册" in page and "双12海报" not in page
    page = staff.get(f"{BASE}/?kind=link").get_data(as_text=True)
    assert "会场" in page and "会员手册" not in page
    assert "会场" not in staff.get(f"{BASE}/?scope=team").get_data(as_text=True)
    ten = staff.get(f"{BASE}/?per_page=10").get_data(as_text=True)
    assert len(re.findall(r"data-material-id=", ten)) == 3


def test_a_team_group_needs_a_department_and_the_default_group_stays(db, world, staff):
    deps = make_departments(db, world.tenant)
    staff.get(f"{BASE}/?scope=team")
    assert staff.post(f"{BASE}/groups/new", data={"library": "material", "scope": "team",
                                                  "name": "华东门店"}).status_code == 302
    fresh(db)
    assert [g.name for g in db.exec(select(ContentGroup).where(ContentGroup.tenant_id == world.tenant.id,
                                                               ContentGroup.is_default.is_(False)))] == []
    staff.post(f"{BASE}/groups/new", data={"library": "material", "scope": "team", "name": "华东门店",
                                           "department_ids": [str(deps["east"].id)]})
    fresh(db)
    group = db.exec(select(ContentGroup).where(ContentGroup.name == "华东门店")).one()
    assert group.department_ids == [deps["east"].id]
    material = make_material(db, world.tenant, "link", scope="team", group_id=group.id, title="华东活动")
    assert staff.post(f"{BASE}/groups/{group.id}/delete").status_code == 302
    fresh(db)
    moved = db.get(Material, material.id)
    assert db.get(ContentGroup, moved.group_id).is_default
    default = db.get(ContentGroup, moved.group_id)
    staff.post(f"{BASE}/groups/{default.id}/delete")
    fresh(db)
    assert db.get(ContentGroup, default.id) is not None


def test_delete_removes_the_material_from_the_list(db, world, staff):
    material = make_material(db, world.tenant, "link", title="过期活动")
    assert staff.post(f"{BASE}/{material.id}/delete").status_code == 302
    assert "过期活动" not in staff.get(f"{BASE}/").get_data(as_text=True)
    assert staff.get(f"{BASE}/{material.id}").status_code == 404


def test_edit_keeps_the_file_when_none_is_uploaded(db, world, staff):
    material = make_material(db, world.tenant, "poster", title="旧标题")
    response = staff.post(f"{BASE}/{material.id}/edit", data={"title": "新标题", "kind": "poster"},
                          content_type="multipart/form-data")
    assert response.status_code == 302
    fresh(db)
    assert db.get(Material, material.id).title == "新标题" and db.get(Material, material.id).file_name == "poster.png"


def test_internal_share_shows_an_untracked_preview_link_and_qr(db, world, staff):
    material = make_material(db, world.tenant, "link", title="会场")
    page = staff.get(f"{BASE}/{material.id}/share").get_data(as_text=True)
    assert f"/p/acme/wecom/mp/{material.token}" in page
    qr = staff.get(f"{BASE}/{material.id}/share.png")
    assert qr.status_code == 200 and qr.data.startswith(b"\x89PNG")


def test_another_tenants_materials_and_groups_answer_404(db, world, staff):
    other = Tenant(slug="other", name="Other brand")
    db.add(other)
    db.commit()
    theirs = make_material(db, other, "link", title="别家")
    for path in (f"{BASE}/{theirs.id}", f"{BASE}/{theirs.id}/edit", f"{BASE}/{theirs.id}/share",
                 f"{BASE}/{theirs.id}/share.png", f"{BASE}/{theirs.id}/records.csv"):
        assert staff.get(path).status_code == 404, path
    assert staff.post(f"{BASE}/{theirs.id}/delete").status_code == 404
    assert staff.post(f"{BASE}/groups/{theirs.group_id}/delete").status_code == 404
    assert staff.post(f"{BASE}/groups/{theirs.group_id}/edit", data={"name": "x"}).status_code == 404
    assert "别家" not in staff.get(f"{BASE}/").get_data(as_text=True)
    fresh(db)
    assert db.get(Material, theirs.id).deleted_at is None


def test_writes_need_the_csrf_token(db, app, world, staff):
    app.config["WTF_CSRF_ENABLED"] = True
    try:
        assert post_material(staff, title="无令牌").status_code == 400
        assert materials(db, world.tenant) == []
        token = re.search(r'name="csrf-token" content="([^"]+)"', staff.get(f"{BASE}/new").text).group(1)
        response = post_material(staff, title="有令牌", csrf_token=token)
        assert response.status_code == 302
        [material] = materials(db, world.tenant)
        assert staff.post(f"{BASE}/{material.id}/delete").status_code == 400
        assert staff.post(f"{BASE}/{material.id}/delete", data={"csrf_token": token}).status_code == 302
    finally:
        app.config["WTF_CSRF_ENABLED"] = False


def test_the_pages_are_404_while_the_plugin_is_disabled(db, platform, tenant, make_user, login):
    client = login(make_user("op2@acme.test", tenant, role="operator"))
    assert client.get(f"{BASE}/").status_code == 404
    assert client.get(f"{BASE}/scripts/").status_code == 404
