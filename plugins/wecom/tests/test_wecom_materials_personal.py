"""个人素材, the sidebar's third tab (spec operations-materials-community S5, 2.2, 3.7): an employee adds their own link
or poster (the poster checked before decoding, as the library's uploads), sees, searches, sends it with the same
tracking and per-card counts as enterprise materials, and deletes it; nobody else sees or sends it (another
employee, another tenant); the admin library, its pages and every material picker leave it out."""

from __future__ import annotations

import io
import re

from scrm_wecom.materials.attachments import choices
from scrm_wecom.materials.models import PERSONAL, Material, MaterialSend, MaterialView
from scrm_wecom.sync.models import Follow
from sqlmodel import select
from test_wecom_materials_pages import bomb_png
from wecom_materials_fixtures import *  # noqa: F403
from wecom_materials_fixtures import PDF, fresh, make_material, png, sidebar_sign_in

from scrm.sdk import Customer, Tenant

SIDEBAR = "/p/acme/wecom/sidebar/"


def add(client, *, kind="link", title="我的门店活动", url="https://shop.example.com/mine", summary="到店礼",
        upload=None, name="mine.png", slug="acme"):
    data = {"kind": kind, "title": title, "url": url, "summary": summary}
    if upload is not None:
        data["file"] = (io.BytesIO(upload), name)
    return client.post(f"/p/{slug}/wecom/sidebar/personal", data=data, content_type="multipart/form-data")


def personal(db, tenant) -> list[Material]:
    fresh(db)
    return list(db.exec(select(Material).where(Material.tenant_id == tenant.id, Material.scope == PERSONAL,
                                               Material.deleted_at.is_(None)).order_by(Material.id)))


def test_an_employee_adds_a_link_and_a_poster_and_sees_only_their_own(db, app, world):
    zhang = sidebar_sign_in(app.test_client(), world, "zhangsan")
    assert add(zhang).status_code == 302
    assert add(zhang, kind="poster", title="我的海报", url="", upload=png(), name="poster.png").status_code == 302
    link, poster = personal(db, world.tenant)
    assert (link.kind, link.url, link.summary, link.owner_employee_id) == (
        "link", "https://shop.example.com/mine", "到店礼", world.employees["zhangsan"].id)
    assert (poster.kind, poster.file_name, poster.url) == ("poster", "poster.png", "")
    page = zhang.get(f"{SIDEBAR}?tab=personal").get_data(as_text=True)
    assert "我的门店活动" in page and "我的海报" in page and 'data-testid="personal-form"' in page
    assert "我的门店活动" not in zhang.get(f"{SIDEBAR}?tab=enterprise").get_data(as_text=True)
    searched = zhang.get(f"{SIDEBAR}?tab=personal&q=海报").get_data(as_text=True)
    assert "我的海报" in searched and "我的门店活动" not in searched
    li = sidebar_sign_in(app.test_client(), world, "lisi")
    for tab in ("personal", "enterprise", "team"):
        assert "我的门店活动" not in li.get(f"{SIDEBAR}?tab={tab}").get_data(as_text=True)


def test_bad_input_and_bad_uploads_are_refused_before_decoding_and_nothing_is_saved(db, app, world):
    zhang = sidebar_sign_in(app.test_client(), world, "zhangsan")
    cases = [({"title": ""}, "title"), ({"title": "字" * 21}, "title"), ({"url": "javascript:alert(1)"}, "url"),
             ({"kind": "article"}, "kind"), ({"kind": "miniprogram"}, "kind"),
             ({"kind": "poster", "upload": PDF, "name": "x.png"}, "file"),
             ({"kind": "poster", "upload": bomb_png(), "name": "bomb.png"}, "file"),
             ({"kind": "poster"}, "file")]
    for changes, field in cases:
        response = add(zhang, **changes)
        body = response.get_data(as_text=True)
        assert response.status_code == 422, changes
        assert f'data-error="{field}"' in body, changes
    assert personal(db, world.tenant) == []
    assert add(zhang, title="字" * 20).status_code == 302


def test_sharing_an_own_material_is_tracked_and_counted_like_the_library(db, app, world, worker):
    zhang = sidebar_sign_in(app.test_client(), world, "zhangsan")
    add(zhang)
    [mine] = personal(db, world.tenant)
    alice = Customer(tenant_id=world.tenant.id, name="王小姐")
    db.add(alice)
    db.flush()
    db.add(Follow(tenant_id=world.tenant.id, account_id=world.account.id, customer_id=alice.id,
                  employee_id=world.employees["zhangsan"].id, userid="zhangsan", external_userid="wmAlice"))
    db.commit()
    response = zhang.post(f"{SIDEBAR}send", data={"material_id": mine.id, "external_userid": "wmAlice"})
    assert response.status_code == 200
    [message] = response.json["messages"]
    assert message["msgtype"] == "news" and message["news"]["title"] == "我的门店活动"


    phone = app.test_client()
    hop = phone.get(re.sub(r"^https?://[^/]+", "", message["news"]["link"]))
    assert phone.get(re.sub(r"^https?://[^/]+", "", hop.headers["Location"])).status_code == 200
    worker.join(timeout=30)
    fresh(db)
    [send] = db.exec(select(MaterialSend)).all()
    [view] = db.exec(select(MaterialView)).all()
    assert (send.material_id, send.customer_id) == (mine.id, alice.id)
    assert (view.material_id, view.employee_id) == (mine.id, world.employees["zhangsan"].id)
    page = zhang.get(f"{SIDEBAR}?tab=personal").get_data(as_text=True)
    assert "今日浏览 1 · 总浏览 1" in page  # the card's counts (zh_CN, the default)
    notices = [c for c in world.sandbox.calls("/cgi-bin/message/send") if c["errcode"] == 0]
    assert [n["body"]["touser"] for n in notices] == ["zhangsan"]


def test_another_employee_cannot_send_or_delete_it_and_the_owner_deletes_it(db, app, world):
    zhang = sidebar_sign_in(app.test_client(), world, "zhangsan")
    add(zhang)
    [mine] = personal(db, world.tenant)
    li = sidebar_sign_in(app.test_client(), world, "lisi")
    assert li.post(f"{SIDEBAR}send", data={"material_id": mine.id}).status_code == 404
    assert li.post(f"{SIDEBAR}personal/{mine.id}/delete").status_code == 404
    assert personal(db, world.tenant) == [mine]
    link = zhang.post(f"{SIDEBAR}send", data={"material_id": mine.id}).json["messages"][0]["news"]["link"]
    assert zhang.post(f"{SIDEBAR}personal/{mine.id}/delete").status_code == 302
    assert personal(db, world.tenant) == []
    assert "我的门店活动" not in zhang.get(f"{SIDEBAR}?tab=personal").get_data(as_text=True)
    assert zhang.post(f"{SIDEBAR}send", data={"material_id": mine.id}).status_code == 404
    assert zhang.post(f"{SIDEBAR}personal/{mine.id}/delete").status_code == 404


    phone = app.test_client()
    hop = phone.get(re.sub(r"^https?://[^/]+", "", link))
    assert phone.get(re.sub(r"^https?://[^/]+", "", hop.headers["Location"])).status_code == 410


def test_another_tenant_neither_sees_nor_touches_it(db, app, world, enable_plugins):
    other = Tenant(slug="other", name="Other brand")
    db.add(other)
    db.commit()
    enable_plugins(other, "wecom")
    zhang = sidebar_sign_in(app.test_client(), world, "zhangsan")
    add(zhang)
    [mine] = personal(db, world.tenant)
    assert zhang.post("/p/other/wecom/sidebar/send", data={"material_id": mine.id}).status_code == 403
    assert zhang.post(f"/p/other/wecom/sidebar/personal/{mine.id}/delete").status_code == 403
    assert add(zhang, slug="other", title="越权").status_code == 403
    anonymous = app.test_client()
    assert anonymous.post(f"{SIDEBAR}personal/{mine.id}/delete").status_code == 403
    assert add(anonymous, title="匿名").status_code == 403
    assert [m.title for m in personal(db, world.tenant)] == ["我的门店活动"]
    fresh(db)
    assert db.exec(select(Material).where(Material.tenant_id == other.id)).all() == []


def test_the_admin_library_and_the_pickers_leave_personal_materials_out(db, app, world, staff):
    enterprise = make_material(db, world.tenant, "link", title="全员活动")
    zhang = sidebar_sign_in(app.test_client(), world, "zhangsan")
    add(zhang)
    [mine] = personal(db, world.tenant)
    for scope in ("enterprise", "team", "personal"):
        page = staff.get(f"/t/acme/wecom/materials/?scope={scope}").get_data(as_text=True)
        assert "我的门店活动" not in page
    assert "全员活动" in staff.get("/t/acme/wecom/materials/?scope=enterprise").get_data(as_text=True)
    for path in (f"{mine.id}", f"{mine.id}/edit", f"{mine.id}/share", f"{mine.id}/records.csv"):
        assert staff.get(f"/t/acme/wecom/materials/{path}").status_code == 404, path
    assert staff.post(f"/t/acme/wecom/materials/{mine.id}/delete").status_code == 404
    fresh(db)
    offered = [mid for mid, _label in choices(db, world.tenant.id)]
    assert enterprise.id in offered and mine.id not in offered
    for path in ("/t/acme/wecom/masssend/new", "/t/acme/wecom/welcome/new", "/t/acme/wecom/sop/new?kind=customer"):
        assert "我的门店活动" not in staff.get(path).get_data(as_text=True), path
    refused = staff.post("/t/acme/wecom/welcome/new", data={
        "audience": "selected", "employee_ids": [str(world.employees["zhangsan"].id)], "text": "Hi",
        "material_ids": [str(mine.id)]})
    assert refused.status_code == 422
