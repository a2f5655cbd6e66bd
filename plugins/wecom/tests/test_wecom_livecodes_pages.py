"""Live-code pages against the sandbox: create / edit / delete through the contact-way API, bad input, upstream
errors, QR images with the logo, isolation between tenants and the disabled plugin."""

from __future__ import annotations

import io

from PIL import Image
from scrm_wecom.livecodes.models import LiveCode, LiveCodeEmployee, LiveCodeTag
from sqlmodel import select
from wecom_livecodes_fixtures import *  # noqa: F403
from wecom_livecodes_fixtures import CORP_ID, fresh, logo_png, make_account, make_tag

from scrm.sdk import Employee

EC = "/cgi-bin/externalcontact"


def form(world, *, name="Store entrance", kind=1, employees=("zhangsan",), **extra):
    data = {"name": name, "account_id": str(world.account.id), "kind": str(kind), "skip_verify": "1",
            "employee_ids": [str(world.employees[u].id) for u in employees]}
    data.update(extra)
    return data


def codes(db, tenant):
    fresh(db)
    return list(db.exec(select(LiveCode).where(LiveCode.tenant_id == tenant.id)))


def create(world, staff, **kwargs):
    response = staff.post("/t/acme/wecom/livecodes/new", data=form(world, **kwargs))
    assert response.status_code == 302, response.get_data(as_text=True)[:2000]
    return response


def test_create_calls_add_contact_way_and_stores_the_qr_code(db, world, staff):
    tag = make_tag(db, world.tenant, "Spring fair")
    create(world, staff, kind=2, employees=("zhangsan", "lisi"), tag_ids=[str(tag.id)], has_welcome="1",
           **{"welcome-text": "Welcome from the fair"})
    [code] = codes(db, world.tenant)
    assert code.state.startswith("lc:") and len(code.state) <= 30 and code.config_id and code.qr_code
    assert code.welcome == {"text": "Welcome from the fair", "attachments": []}
    [call] = world.sandbox.calls(f"{EC}/add_contact_way")
    assert call["body"] == {"type": 2, "scene": 2, "user": ["zhangsan", "lisi"], "state": code.state,
                            "remark": "Store entrance", "skip_verify": True}
    way = world.sandbox.corp(CORP_ID)["contact_ways"][code.config_id]
    assert way["qr_code"] == code.qr_code
    assert [r.tag_id for r in db.exec(select(LiveCodeTag).where(LiveCodeTag.live_code_id == code.id))] == [tag.id]
    page = staff.get(f"/t/acme/wecom/livecodes/{code.id}").get_data(as_text=True)
    assert "Store entrance" in page and "qr.png" in page and "livecode-chart" in page


def test_edit_calls_update_contact_way(db, world, staff):
    create(world, staff, kind=2, employees=("zhangsan",))
    [code] = codes(db, world.tenant)
    response = staff.post(f"/t/acme/wecom/livecodes/{code.id}/edit",
                          data=form(world, name="Renamed", kind=1, employees=("zhangsan", "lisi")))
    assert response.status_code == 302
    [call] = world.sandbox.calls(f"{EC}/update_contact_way")
    assert call["body"]["config_id"] == code.config_id and call["body"]["user"] == ["zhangsan", "lisi"]
    [code] = codes(db, world.tenant)
    assert code.name == "Renamed" and code.kind == 2  # the kind stays what WeCom fixed at creation
    links = db.exec(select(LiveCodeEmployee).where(LiveCodeEmployee.live_code_id == code.id)).all()
    assert len(links) == 2


def test_delete_calls_del_contact_way(db, world, staff):
    create(world, staff)
    [code] = codes(db, world.tenant)
    code_id, config_id = code.id, code.config_id
    assert staff.post(f"/t/acme/wecom/livecodes/{code_id}/delete").status_code == 302
    assert [c["body"]["config_id"] for c in world.sandbox.calls(f"{EC}/del_contact_way")] == [config_id]
    assert codes(db, world.tenant) == []
    assert config_id not in world.sandbox.corp(CORP_ID)["contact_ways"]


def test_a_code_wecom_no_longer_knows_is_deleted_here_too(db, world, staff):
    create(world, staff)
    [code] = codes(db, world.tenant)
    world.sandbox.fail_next(f"{EC}/del_contact_way", 41044)
    assert staff.post(f"/t/acme/wecom/livecodes/{code.id}/delete").status_code == 302
    assert codes(db, world.tenant) == []


def test_a_failed_delete_in_wecom_keeps_the_code(db, world, staff):
    create(world, staff)
    [code] = codes(db, world.tenant)
    world.sandbox.fail_next(f"{EC}/del_contact_way", 40058)
    response = staff.post(f"/t/acme/wecom/livecodes/{code.id}/delete", follow_redirects=True)
    assert "40058" in response.get_data(as_text=True)
    assert len(codes(db, world.tenant)) == 1


def test_bad_input_is_refused_with_422_and_nothing_created(db, world, staff, other_tenant):
    stranger = Employee(tenant_id=other_tenant.id, userid="wangwu", name="Wang Wu")
    db.add(stranger)
    db.commit()
    cases = [
        (form(world, name=""), "Enter a name"),
        (form(world, name="x" * 51), "Enter a name"),
        (form(world, account_id="999999"), "Choose a WeCom account"),
        (form(world, kind=3), "Choose single or several employees"),
        (form(world, employees=()), "Choose active employees"),
        ({**form(world), "employee_ids": [str(stranger.id)]}, "Choose active employees"),
        (form(world, kind=1, employees=("zhangsan", "lisi")), "exactly one employee"),
        (form(world, tag_ids=["999999"]), "Choose tags of this brand"),
        (form(world, has_welcome="1", **{"welcome-text": ""}), "Write a text or add at least one attachment"),
        (form(world, **{"welcome-text": "Hi", "welcome-att-0-type": "image", "welcome-att-0-media_id": "MEDIA"}),
         "Pick attachments from the material library"),
        (form(world, **{"welcome-text": "Hi", "welcome-material_ids": ["999999"]}), "Choose materials of this brand"),
    ]
    for data, message in cases:
        response = staff.post("/t/acme/wecom/livecodes/new", data=data)
        assert response.status_code == 422, message
        assert message in response.get_data(as_text=True), message
    assert codes(db, world.tenant) == []
    assert world.sandbox.calls(f"{EC}/add_contact_way") == []


def test_a_refusal_from_wecom_is_shown_and_nothing_is_kept(db, world, staff):
    world.sandbox.fail_next(f"{EC}/add_contact_way", 40058)
    response = staff.post("/t/acme/wecom/livecodes/new", data=form(world))
    assert response.status_code == 502
    assert "40058" in response.get_data(as_text=True)
    assert codes(db, world.tenant) == []


def test_a_wrong_secret_is_shown_on_the_account(db, world, staff):
    world.sandbox.fail_next(f"{EC}/add_contact_way", 48002)
    assert staff.post("/t/acme/wecom/livecodes/new", data=form(world)).status_code == 502
    fresh(db)
    assert db.get(type(world.account), world.account.id).last_error.startswith("48002")


def _decode(png: bytes) -> Image.Image:
    image = Image.open(io.BytesIO(png))
    image.load()
    return image.convert("RGB")


def test_qr_png_in_every_size_with_the_logo_in_the_centre(db, world, staff):
    create(world, staff)
    [code] = codes(db, world.tenant)
    plain = _decode(staff.get(f"/t/acme/wecom/livecodes/{code.id}/qr.png?size=430").data)
    assert plain.size == (430, 430)
    response = staff.post(f"/t/acme/wecom/livecodes/{code.id}/logo",
                          data={"logo": (io.BytesIO(logo_png((220, 20, 60))), "logo.png")},
                          content_type="multipart/form-data")
    assert response.status_code == 302
    for size in (258, 344, 430, 860, 1280):
        response = staff.get(f"/t/acme/wecom/livecodes/{code.id}/qr.png?size={size}&download=1")
        assert response.status_code == 200 and response.mimetype == "image/png"
        assert "attachment" in response.headers["Content-Disposition"]
        image = _decode(response.data)
        assert image.size == (size, size)
        assert image.getpixel((size // 2, size // 2)) == (220, 20, 60)
    assert staff.get(f"/t/acme/wecom/livecodes/{code.id}/qr.png?size=500").status_code == 400


def test_the_account_logo_applies_to_codes_without_their_own(db, world, staff):
    create(world, staff)
    [code] = codes(db, world.tenant)
    response = staff.post(f"/t/acme/wecom/livecodes/accounts/{world.account.id}/logo",
                          data={"code_id": str(code.id), "logo": (io.BytesIO(logo_png((0, 0, 255))), "brand.png")},
                          content_type="multipart/form-data")
    assert response.status_code == 302
    image = _decode(staff.get(f"/t/acme/wecom/livecodes/{code.id}/qr.png?size=344").data)
    assert image.getpixel((172, 172)) == (0, 0, 255)


def test_a_logo_that_is_not_a_png_or_jpeg_is_refused(db, world, staff):
    create(world, staff)
    [code] = codes(db, world.tenant)
    gif = io.BytesIO()
    Image.new("RGB", (64, 64), (0, 255, 0)).save(gif, "GIF")
    for data, message in ((b"not an image", "PNG or JPEG"), (gif.getvalue(), "PNG or JPEG"), (b"", "Choose")):
        response = staff.post(f"/t/acme/wecom/livecodes/{code.id}/logo",
                              data={"logo": (io.BytesIO(data), "logo.png")}, content_type="multipart/form-data")
        assert response.status_code == 422 and message in response.get_data(as_text=True)
    assert codes(db, world.tenant)[0].logo is None


def test_another_tenant_can_neither_see_nor_change_a_code(db, world, staff, platform, other_tenant, enable_plugins,
                                                          make_user, client):
    create(world, staff, name="Acme secret code")
    [code] = codes(db, world.tenant)
    enable_plugins(other_tenant, "wecom")
    other_account = make_account(db, platform, other_tenant, world.sandbox.base_url, corp_id="wwglobex", name="G")
    intruder = make_user("admin@globex.test", other_tenant, role="tenant_admin")
    client.post("/login", data={"email": intruder.email, "password": "correct-horse-battery"})
    assert "Acme secret code" not in client.get("/t/globex/wecom/livecodes/").get_data(as_text=True)
    for path in (f"/t/globex/wecom/livecodes/{code.id}", f"/t/globex/wecom/livecodes/{code.id}/edit",
                 f"/t/globex/wecom/livecodes/{code.id}/qr.png"):
        assert client.get(path).status_code == 404, path
    for path in (f"/t/globex/wecom/livecodes/{code.id}/edit", f"/t/globex/wecom/livecodes/{code.id}/delete",
                 f"/t/globex/wecom/livecodes/{code.id}/logo"):
        assert client.post(path, data={"name": "Hijacked"}).status_code == 404, path
    response = client.post(f"/t/globex/wecom/livecodes/accounts/{world.account.id}/logo",
                           data={"code_id": str(code.id)})
    assert response.status_code == 404
    # and Acme's account cannot be used for a Globex code
    response = client.post("/t/globex/wecom/livecodes/new", data={
        "name": "x", "account_id": str(world.account.id), "kind": "1", "employee_ids": []})
    assert response.status_code == 422
    [code] = codes(db, world.tenant)
    assert code.name == "Acme secret code" and other_account.id != world.account.id
    assert world.sandbox.calls(f"{EC}/del_contact_way") == []


def test_pages_404_when_the_plugin_is_disabled(tenant, staff):
    for path in ("/t/acme/wecom/livecodes/", "/t/acme/wecom/livecodes/new", "/t/acme/wecom/livecodes/1"):
        assert staff.get(path).status_code == 404


def test_the_forms_render_for_a_new_and_an_existing_code(db, world, staff):
    page = staff.get("/t/acme/wecom/livecodes/new").get_data(as_text=True)
    assert "welcome-material_ids" in page and 'name="welcome-att-0-media_id"' not in page and "Zhang San" in page
    create(world, staff, has_welcome="1", **{"welcome-text": "Hi"})
    [code] = codes(db, world.tenant)
    page = staff.get(f"/t/acme/wecom/livecodes/{code.id}/edit").get_data(as_text=True)
    assert 'value="Store entrance"' in page and "Hi</textarea>" in page
