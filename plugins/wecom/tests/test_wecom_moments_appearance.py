"""The Moments settings of spec §2.1.1 (unified background and signature, employee mobile publishing) and the
employee's phone page (§3.1 "Update settings", "Employee mobile publish / delete"; §4.1 rules 4 to 6; acceptance
checks 5 and 6 of §7): uploads checked before decoding, nothing changed on bad input, the customer page showing
the brand's look or the employee's own, personal posts published and deleted only while the brand allows it, and
every route of one brand and one employee."""

from __future__ import annotations

import httpx
import pytest
from scrm_wecom.moments import pages
from scrm_wecom.moments.models import MomentSender, MomentsPage, MomentsSettings, MomentTask, TaskStatus
from sqlmodel import select
from wecom_materials_fixtures import *  # noqa: F403
from wecom_materials_fixtures import PDF, fresh, make_material, png

from scrm.core.models import AuditLog

SETTINGS = "/t/acme/wecom/moments/settings"
ME = "/p/acme/wecom/moments/me"
JSON = {"Accept": "application/json"}


def jpeg(size=(72, 56), color=(10, 120, 200)) -> bytes:
    import io

    from PIL import Image

    out = io.BytesIO()
    Image.new("RGB", size, color).save(out, "JPEG")
    return out.getvalue()


def employee_sign_in(client, world, userid: str, slug: str = "acme"):
    """The WeCom OAuth round trip of the phone page against the sandbox (as the sidebar's)."""
    first = client.get(f"/p/{slug}/wecom/moments/me?account={world.account.id}")
    assert first.status_code == 302, first.get_data(as_text=True)[:500]
    authorize = first.headers["Location"].split("#", 1)[0] + f"&userid={userid}"
    answer = httpx.get(authorize, follow_redirects=False, timeout=10)
    assert answer.status_code == 302, answer.text
    done = client.get(answer.headers["location"].replace("http://localhost", ""))
    assert done.status_code == 302 and done.headers["Location"].endswith("/p/acme/wecom/moments/me"), done.headers
    return client


def save_settings(staff, *, unify=False, signature="", mobile=False, background: tuple[bytes, str] | None = None,
                  remove=False):
    import io

    data = {"signature": signature}
    if unify:
        data["unify_background"] = "1"
    if mobile:
        data["mobile_publish"] = "1"
    if remove:
        data["remove_background"] = "1"
    if background is not None:
        data["background"] = (io.BytesIO(background[0]), background[1])
    return staff.post(f"{SETTINGS}/look", data=data, content_type="multipart/form-data")


def settings_row(db, tenant_id) -> MomentsSettings | None:
    fresh(db)
    return db.exec(select(MomentsSettings).where(MomentsSettings.tenant_id == tenant_id)).first()


def page_of(db, world, userid: str) -> MomentsPage:
    fresh(db)
    page = pages.page_for(db, world.employees[userid])
    db.commit()
    return page


def customer_view(app, page: MomentsPage, slug: str = "acme") -> str:
    """The customer's page, in a browser of its own (no employee or admin session)."""
    response = app.test_client().get(f"/p/{slug}/wecom/moments/{page.token}")
    assert response.status_code == 200
    return response.get_data(as_text=True)


def background_bytes(app, page: MomentsPage) -> bytes | None:
    response = app.test_client().get(f"/p/acme/wecom/moments/{page.token}/background")
    return response.data if response.status_code == 200 else None


@pytest.fixture
def employee_client(app):
    """A phone of its own (no admin session)."""
    phone = app.test_client()
    phone.environ_base["HTTP_ACCEPT_LANGUAGE"] = "en"
    return phone


# -- the settings tab -------------------------------------------------------------------------------------------------


def test_the_settings_tab_shows_the_form_with_the_recommended_size(world, staff):
    page = staff.get(SETTINGS).get_data(as_text=True)
    assert 'data-testid="moments-look"' in page and "720×560" in page and "PNG or JPG up to 2 MB" in page
    assert 'name="unify_background"' in page and 'name="mobile_publish"' in page
    assert "/p/acme/wecom/moments/me" in page  # where employees open their phone page


def test_unify_needs_a_background_and_a_signature_and_nothing_changes_on_bad_input(db, world, staff):
    answer = save_settings(staff, unify=True, mobile=True)
    assert answer.status_code == 422
    text = answer.get_data(as_text=True)
    assert 'data-error="background"' in text and 'data-error="signature"' in text
    assert settings_row(db, world.tenant.id) is None  # the mobile switch was not saved either

    assert save_settings(staff, unify=True, signature="x" * 101, background=(png(), "wall.png")).status_code == 422
    assert settings_row(db, world.tenant.id) is None
    answer = save_settings(staff, unify=True, signature="珍" * 100, background=(png(), "wall.png"), mobile=True)
    assert answer.status_code == 302
    row = settings_row(db, world.tenant.id)
    assert row.unify_background and row.mobile_publish and row.signature == "珍" * 100
    assert row.background == png() and row.background_mime == "image/png"
    entry = db.exec(select(AuditLog).where(AuditLog.tenant_id == world.tenant.id,
                                           AuditLog.action == "wecom.moments.appearance")).one()
    assert entry.actor == "operator@acme.test" and entry.detail["unify_background"] is True

    # unified, the background cannot be removed nor the signature emptied
    assert save_settings(staff, unify=True, signature="珍客", remove=True).status_code == 422
    assert save_settings(staff, unify=True, signature="").status_code == 422
    row = settings_row(db, world.tenant.id)
    assert row.background == png() and row.signature == "珍" * 100
    # kept: a save without a new file keeps the stored background
    assert save_settings(staff, unify=True, signature="珍客SCRM，您的资产运营专家").status_code == 302
    assert settings_row(db, world.tenant.id).background == png()


@pytest.mark.parametrize(("data", "name", "message"), [
    (PDF, "wall.png", "The file is not a PNG or JPG image."),
    (b"GIF89a" + b"\x00" * 64, "wall.gif", "The file is not a PNG or JPG image."),
    (b"\x89PNG\r\n\x1a\n" + b"\x00" * (2 * 1024 * 1024), "big.png", "The file is too large (at most 2 MB)."),
])
def test_a_background_that_is_not_a_png_or_jpg_of_2_mb_is_refused(db, world, staff, data, name, message):
    save_settings(staff, signature="before", background=(png(), "wall.png"))
    answer = save_settings(staff, unify=True, signature="after", background=(data, name))
    assert answer.status_code == 422 and message in answer.get_data(as_text=True)
    row = settings_row(db, world.tenant.id)
    assert row.background == png() and row.signature == "before" and not row.unify_background


def test_a_jpeg_of_exactly_2_mb_is_accepted(db, world, staff):
    data = jpeg()
    data = data[:-2] + b"\x00" * (2 * 1024 * 1024 - len(data)) + data[-2:]  # padded before the end marker
    assert len(data) == 2 * 1024 * 1024
    assert save_settings(staff, background=(data, "wall.jpg")).status_code == 302
    assert settings_row(db, world.tenant.id).background_mime == "image/jpeg"


# -- acceptance check 5: unified background ---------------------------------------------------------------------------


def test_acceptance_5_unified_background(app, db, world, staff, employee_client):
    phone = employee_sign_in(employee_client, world, "zhangsan")
    brand_wall, own_wall = png(color=(1, 2, 3)), jpeg()
    assert save_settings(staff, unify=True, signature="珍客SCRM，您的资产运营专家",
                         background=(brand_wall, "brand.png")).status_code == 302
    page = page_of(db, world, "zhangsan")

    # unified: the employee's change is refused and nothing changes
    home = phone.get(ME).get_data(as_text=True)
    assert 'data-testid="moments-look-locked"' in home and 'name="signature"' not in home
    import io

    refused = phone.post(f"{ME}/look", data={"signature": "我的签名", "background": (io.BytesIO(own_wall), "me.jpg")},
                         content_type="multipart/form-data")
    assert refused.status_code == 403
    assert "cannot be changed" in refused.get_data(as_text=True)
    assert phone.post(f"{ME}/look", data={"signature": "我的签名"}, headers=JSON).status_code == 403
    page = page_of(db, world, "zhangsan")
    assert page.signature == "" and page.background is None
    shown = customer_view(app, page)
    assert 'data-look="brand"' in shown and "珍客SCRM，您的资产运营专家" in shown
    assert background_bytes(app, page) == brand_wall

    # switched off: the employee personalises, and the customer page shows the employee's own
    assert save_settings(staff, signature="珍客SCRM，您的资产运营专家").status_code == 302
    assert 'data-testid="moments-look-locked"' not in phone.get(ME).get_data(as_text=True)
    done = phone.post(f"{ME}/look", data={"signature": "张三的小店，欢迎光临", "background": (io.BytesIO(own_wall),
                                                                                      "me.jpg")},
                      content_type="multipart/form-data")
    assert done.status_code == 302
    page = page_of(db, world, "zhangsan")
    assert page.signature == "张三的小店，欢迎光临" and page.background == own_wall
    shown = customer_view(app, page)
    assert 'data-look="own"' in shown and "张三的小店，欢迎光临" in shown and "珍客SCRM" not in shown
    assert background_bytes(app, page) == own_wall
    assert db.exec(select(AuditLog).where(AuditLog.action == "wecom.moments.own_look")).one().actor == \
        "wecom:zhangsan"

    # unified again: the brand's look comes back, the employee's own stays stored for later
    assert save_settings(staff, unify=True, signature="珍客SCRM，您的资产运营专家").status_code == 302
    assert 'data-look="brand"' in customer_view(app, page) and background_bytes(app, page) == brand_wall


def test_an_employee_upload_is_checked_too(db, world, staff, employee_client):
    import io

    phone = employee_sign_in(employee_client, world, "zhangsan")
    answer = phone.post(f"{ME}/look", data={"signature": "新签名", "background": (io.BytesIO(PDF), "me.png")},
                        content_type="multipart/form-data")
    assert answer.status_code == 422 and "The file is not a PNG or JPG image." in answer.get_data(as_text=True)
    assert phone.post(f"{ME}/look", data={"signature": "x" * 101}).status_code == 422
    page = page_of(db, world, "zhangsan")
    assert page.signature == "" and page.background is None


def test_a_page_without_any_look_shows_the_default_wall(app, db, world):
    page = page_of(db, world, "lisi")
    shown = customer_view(app, page)
    assert 'data-look="default"' in shown and 'data-testid="moments-background-default"' in shown
    assert 'data-testid="moments-signature"' not in shown
    assert app.test_client().get(f"/p/acme/wecom/moments/{page.token}/background").status_code == 404


def test_the_background_is_served_with_an_etag(app, db, world, staff):
    save_settings(staff, unify=True, signature="珍客", background=(png(), "wall.png"))
    page = page_of(db, world, "zhangsan")
    browser = app.test_client()
    first = browser.get(f"/p/acme/wecom/moments/{page.token}/background")
    assert first.status_code == 200 and first.mimetype == "image/png" and first.headers["ETag"]
    assert "max-age" in first.headers["Cache-Control"] and first.headers["X-Content-Type-Options"] == "nosniff"
    again = browser.get(f"/p/acme/wecom/moments/{page.token}/background",
                        headers={"If-None-Match": first.headers["ETag"]})
    assert again.status_code == 304 and not again.data
    preview = staff.get(f"{SETTINGS}/background")
    assert preview.status_code == 200 and preview.data == png() and "private" in preview.headers["Cache-Control"]


# -- acceptance check 6: mobile publish permission --------------------------------------------------------------------


def _posts(db, tenant_id) -> list[MomentTask]:
    fresh(db)
    return list(db.exec(select(MomentTask).where(MomentTask.tenant_id == tenant_id).order_by(MomentTask.id)))


def test_acceptance_6_mobile_publish_permission(app, db, world, staff, employee_client):
    phone = employee_sign_in(employee_client, world, "zhangsan")
    save_settings(staff, mobile=True)
    made = phone.post(f"{ME}/posts", data={"text": "今天到店的新品"}, headers=JSON)
    assert made.status_code == 201
    assert save_settings(staff, mobile=False).status_code == 302

    # off: publish and delete answer a permission error and change nothing
    home = phone.get(ME).get_data(as_text=True)
    assert 'data-testid="moments-publish-off"' in home and 'data-testid="moments-publish-form"' not in home
    assert 'data-testid="moments-delete"' not in home
    refused = phone.post(f"{ME}/posts", data={"text": "不该发出"}, headers=JSON)
    assert refused.status_code == 403 and "not turned on publishing" in refused.get_json()["error"]
    assert phone.post(f"{ME}/posts", data={"text": "不该发出"}).status_code == 403
    [kept] = _posts(db, world.tenant.id)
    assert phone.post(f"{ME}/posts/{kept.id}/delete", headers=JSON).status_code == 403
    assert [t.id for t in _posts(db, world.tenant.id)] == [kept.id]

    # on: the post succeeds as a personal, pages-only post on the employee's page, and the employee deletes it
    assert save_settings(staff, mobile=True).status_code == 302
    made = phone.post(f"{ME}/posts", data={"text": "双十二到店有礼", "link_title": "活动详情",
                                           "link_url": "https://shop.example.com/1212"}, headers=JSON)
    assert made.status_code == 201 and made.get_json()["publish_type"] == "personal"
    task = next(t for t in _posts(db, world.tenant.id) if t.id == made.get_json()["id"])
    assert task.publish_type == "personal" and task.status == TaskStatus.PAGE and not task.to_wecom
    assert task.attachment == {"type": "link", "title": "活动详情", "url": "https://shop.example.com/1212"}
    [sender] = db.exec(select(MomentSender).where(MomentSender.task_id == task.id)).all()
    assert sender.employee_id == world.employees["zhangsan"].id and sender.published
    shown = customer_view(app, page_of(db, world, "zhangsan"))
    assert f'data-task-id="{task.id}"' in shown and "双十二到店有礼" in shown
    assert phone.post(f"{ME}/posts/{task.id}/delete").status_code == 302
    assert task.id not in [t.id for t in _posts(db, world.tenant.id)]
    assert "双十二到店有礼" not in customer_view(app, page_of(db, world, "zhangsan"))
    actions = [a.action for a in db.exec(select(AuditLog).where(AuditLog.actor == "wecom:zhangsan"))]
    assert actions.count("wecom.moments.personal_post") == 2 and "wecom.moments.personal_delete" in actions


def test_a_personal_post_follows_the_content_rules(db, world, staff, employee_client):
    phone = employee_sign_in(employee_client, world, "zhangsan")
    save_settings(staff, mobile=True)
    assert phone.post(f"{ME}/posts", data={"text": "字" * 501}, headers=JSON).status_code == 422
    assert phone.post(f"{ME}/posts", data={"text": ""}, headers=JSON).status_code == 422
    bad_link = phone.post(f"{ME}/posts", data={"link_url": "javascript:alert(1)"})
    assert bad_link.status_code == 422 and 'data-error="link_url"' in bad_link.get_data(as_text=True)
    assert _posts(db, world.tenant.id) == []
    assert phone.post(f"{ME}/posts", data={"text": "字" * 500}, headers=JSON).status_code == 201
    posters = [make_material(db, world.tenant, "poster", title=f"海报{i}") for i in range(10)]
    too_many = phone.post(f"{ME}/posts", data={"material_ids": [str(p.id) for p in posters]}, headers=JSON)
    assert too_many.status_code == 422 and "At most 9 images." in too_many.get_json()["error"]
    made = phone.post(f"{ME}/posts", data={"text": "新品海报", "material_ids": [str(p.id) for p in posters[:9]]},
                      headers=JSON)
    assert made.status_code == 201
    task = next(t for t in _posts(db, world.tenant.id) if t.id == made.get_json()["id"])
    assert task.attachment == {"type": "image", "material_ids": [p.id for p in posters[:9]]}
    assert 'data-testid="moments-image"' in phone.get(f"/p/acme/wecom/moments/{page_of(db, world, 'zhangsan').token}"
                                                       ).get_data(as_text=True)


def test_an_enterprise_post_cannot_be_deleted_from_the_phone(db, world, staff, employee_client):
    from scrm_wecom.moments import service
    from scrm_wecom.moments.models import PublishMode, PublishType

    from scrm.sdk import utcnow

    save_settings(staff, mobile=True)
    task = service.page_post(db, world.tenant.id, account=world.account, text="企业发表的朋友圈", attachment={},
                             employees=[world.employees["zhangsan"]], publish_type=PublishType.ENTERPRISE,
                             publish_mode=PublishMode.NOW, at=utcnow())
    db.commit()
    phone = employee_sign_in(employee_client, world, "zhangsan")
    home = phone.get(ME).get_data(as_text=True)
    assert f'data-task-id="{task.id}"' in home and 'data-testid="moments-delete"' not in home
    assert phone.post(f"{ME}/posts/{task.id}/delete", headers=JSON).status_code == 403
    assert [t.id for t in _posts(db, world.tenant.id)] == [task.id]


# -- isolation --------------------------------------------------------------------------------------------------------


def test_another_employee_cannot_delete_my_post(app, db, world, staff, employee_client):
    save_settings(staff, mobile=True)
    mine = employee_sign_in(employee_client, world, "zhangsan").post(f"{ME}/posts", data={"text": "我的"}, headers=JSON)
    task_id = mine.get_json()["id"]
    other = employee_sign_in(app.test_client(), world, "lisi")
    assert other.post(f"{ME}/posts/{task_id}/delete", headers=JSON).status_code == 404
    assert f'data-task-id="{task_id}"' not in other.get(ME).get_data(as_text=True)
    assert [t.id for t in _posts(db, world.tenant.id)] == [task_id]


def test_no_one_but_a_signed_in_member_of_the_brand_reaches_the_phone_page(app, db, world, staff):
    save_settings(staff, mobile=True)
    stranger = app.test_client()
    assert stranger.post(f"{ME}/posts", data={"text": "x"}).status_code == 403
    assert stranger.post(f"{ME}/look", data={"signature": "x"}).status_code == 403
    # a customer opening the page in WeChat: WeCom names no member, the sign-in is refused
    first = stranger.get(f"{ME}?account={world.account.id}")
    authorize = first.headers["Location"].split("#", 1)[0] + "&visitor=wmCustomer1"
    answer = httpx.get(authorize, follow_redirects=False, timeout=10)
    assert stranger.get(answer.headers["location"].replace("http://localhost", "")).status_code == 403
    assert stranger.post(f"{ME}/posts", data={"text": "x"}).status_code == 403
    # a forged state is refused
    assert stranger.get(f"{ME}/oauth?account={world.account.id}&code=abc&state=forged").status_code == 403
    assert _posts(db, world.tenant.id) == []


def test_a_brand_sees_only_its_own_pages_images_and_employees(app, db, world, staff, other_tenant, enable_plugins,
                                                              employee_client):
    enable_plugins(other_tenant, "wecom")
    save_settings(staff, unify=True, signature="Acme", background=(png(), "wall.png"), mobile=True)
    page = page_of(db, world, "zhangsan")
    browser = app.test_client()
    assert browser.get(f"/p/acme/wecom/moments/{page.token}/background").status_code == 200
    assert browser.get(f"/p/globex/wecom/moments/{page.token}/background").status_code == 404
    assert browser.get(f"/p/globex/wecom/moments/{page.token}").status_code == 404
    assert staff.get("/t/globex/wecom/moments/settings/background").status_code in (403, 404)
    assert staff.post("/t/globex/wecom/moments/settings/look", data={"signature": "x"}).status_code in (403, 404)
    fresh(db)
    assert db.exec(select(MomentsSettings).where(MomentsSettings.tenant_id == other_tenant.id)).first() is None
    # acme's employee session is no sign-in at globex
    phone = employee_sign_in(employee_client, world, "zhangsan")
    assert phone.post("/p/globex/wecom/moments/me/posts", data={"text": "x"}).status_code == 403
    assert phone.post("/p/globex/wecom/moments/me/look", data={"signature": "x"}).status_code == 403
    assert _posts(db, other_tenant.id) == []
