"""Friend welcome message pages: create, edit, delete, list preview, bad input, isolation, disabled plugin."""

from __future__ import annotations

from zoneinfo import ZoneInfo

from scrm_wecom.welcome.models import WelcomeMessage, WelcomeMessageEmployee
from sqlmodel import select
from wecom_livecodes_fixtures import *  # noqa: F403
from wecom_livecodes_fixtures import fresh
from wecom_materials_fixtures import make_material

from scrm.sdk import Employee, format_local

SHANGHAI = ZoneInfo("Asia/Shanghai")  # the tenant's default zone: times are shown in it



def _link(db, world, title="Spring sale", url="https://shop.example.com/spring"):
    """A link material of the tenant, picked like the form's material picker does."""
    return make_material(db, world.tenant, "link", title=title, url=url)


def _form(employees, **extra):
    data = {"audience": "selected", "employee_ids": [str(e.id) for e in employees], "text": "Hi {customer_name}"}
    data.update(extra)
    return data


def _messages(db, tenant):
    return list(db.exec(select(WelcomeMessage).where(WelcomeMessage.tenant_id == tenant.id)))


def test_create_a_welcome_message_for_selected_employees(db, world, staff):
    link = _link(db, world)
    form = staff.get("/t/acme/wecom/welcome/new").get_data(as_text=True)
    assert f'name="material_ids" value="{link.id}"' in form and 'name="att-0-media_id"' not in form
    response = staff.post("/t/acme/wecom/welcome/new",
                          data=_form([world.employees["zhangsan"]], material_ids=[str(link.id)]))
    assert response.status_code == 302
    [message] = _messages(db, world.tenant)
    assert message.content == {"text": "Hi {customer_name}", "attachments": [], "material_ids": [link.id]}
    links = db.exec(select(WelcomeMessageEmployee).where(WelcomeMessageEmployee.welcome_id == message.id)).all()
    assert [link.employee_id for link in links] == [world.employees["zhangsan"].id]
    page = staff.get("/t/acme/wecom/welcome/").get_data(as_text=True)
    assert "[2 items] Hi {customer_name}" in page and "Zhang San" in page


def test_ten_attachments_are_refused_with_422_and_nothing_saved(db, world, staff):
    links = [_link(db, world, f"T{i}", f"https://a.example.com/{i}") for i in range(10)]
    data = _form([world.employees["zhangsan"]], material_ids=[str(m.id) for m in links])
    response = staff.post("/t/acme/wecom/welcome/new", data=data)
    assert response.status_code == 422
    assert "At most 9 attachments" in response.get_data(as_text=True)
    assert _messages(db, world.tenant) == []
    nine = _form([world.employees["zhangsan"]], material_ids=[str(m.id) for m in links[:9]])
    assert staff.post("/t/acme/wecom/welcome/new", data=nine).status_code == 302
    [message] = _messages(db, world.tenant)
    assert message.content["material_ids"] == [m.id for m in links[:9]]


def test_typed_attachments_and_other_brands_materials_are_refused(db, world, staff, other_tenant):
    stranger = make_material(db, other_tenant, "link", title="Globex sale")
    cases = [
        ({"att-0-type": "image", "att-0-media_id": "MEDIA_IMG"}, "Pick attachments from the material library"),
        ({"att-0-type": "link", "att-0-title": "Sale", "att-0-url": "https://a.example.com"},
         "Pick attachments from the material library"),
        ({"material_ids": [str(stranger.id)]}, "Choose materials of this brand"),
        ({"material_ids": ["nope"]}, "Choose materials of this brand"),
    ]
    for extra, message in cases:
        response = staff.post("/t/acme/wecom/welcome/new", data=_form([world.employees["zhangsan"]], **extra))
        assert response.status_code == 422, extra
        assert message in response.get_data(as_text=True), extra
    assert _messages(db, world.tenant) == []


def test_a_deleted_material_cannot_be_picked(db, world, staff):
    from scrm_wecom.materials import service as materials

    link = _link(db, world)
    materials.delete_material(link)
    db.add(link)
    db.commit()
    response = staff.post("/t/acme/wecom/welcome/new",
                          data=_form([world.employees["zhangsan"]], material_ids=[str(link.id)]))
    assert response.status_code == 422 and _messages(db, world.tenant) == []


def test_bad_input_is_shown_in_the_form(db, world, staff):
    cases = [
        ({"audience": "selected", "text": "Hello"}, "Choose at least one active employee"),
        ({"audience": "all", "text": ""}, "Write a text or add at least one attachment"),
        ({"audience": "all", "text": "Hi {nick}"}, "Unknown variable"),
        ({"audience": "all", "text": "Hi", "segmented": "1"}, "Add at least one time segment"),
        ({"audience": "all", "text": "Hi", "segmented": "1", "seg-0-weekdays": "1", "seg-0-start": "10:00",
          "seg-0-end": "09:00", "seg-0-text": "x"}, "The end must be after the start"),
    ]
    for data, message in cases:
        response = staff.post("/t/acme/wecom/welcome/new", data=data)
        assert response.status_code == 422, data
        assert message in response.get_data(as_text=True), data
    assert _messages(db, world.tenant) == []


def test_another_tenants_employee_cannot_be_chosen(db, world, staff, other_tenant):
    stranger = Employee(tenant_id=other_tenant.id, userid="wangwu", name="Wang Wu")
    db.add(stranger)
    db.commit()
    response = staff.post("/t/acme/wecom/welcome/new", data=_form([stranger]))
    assert response.status_code == 422
    assert _messages(db, world.tenant) == []


def test_segmented_message_keeps_its_segments(db, world, staff):
    data = {"audience": "all", "text": "Default", "segmented": "1",
            "seg-0-weekdays": ["1", "2"], "seg-0-start": "09:00", "seg-0-end": "18:00", "seg-0-text": "Daytime",
            "seg-1-start": "", "seg-1-end": "", "seg-1-text": ""}
    assert staff.post("/t/acme/wecom/welcome/new", data=data).status_code == 302
    [message] = _messages(db, world.tenant)
    assert message.all_employees and message.segmented
    assert message.segments == [{"weekdays": [1, 2], "start": "09:00", "end": "18:00",
                                 "content": {"text": "Daytime", "attachments": []}}]
    form = staff.get(f"/t/acme/wecom/welcome/{message.id}/edit").get_data(as_text=True)
    assert "Daytime" in form and 'value="09:00"' in form


def test_the_details_page_shows_content_attachments_segments_scope_and_times(db, world, staff):
    link = _link(db, world)
    mini = make_material(db, world.tenant, "miniprogram", title="Mini shop")
    data = _form([world.employees["zhangsan"], world.employees["lisi"]], text="Hello {customer_name}",
                 material_ids=[str(link.id), str(mini.id)], segmented="1", **{"seg-0-weekdays": ["6", "7"], "seg-0-start": "10:00", "seg-0-end": "22:00",
                                   "seg-0-text": "Weekend hello"})
    assert staff.post("/t/acme/wecom/welcome/new", data=data).status_code == 302
    [message] = _messages(db, world.tenant)
    listing = staff.get("/t/acme/wecom/welcome/").get_data(as_text=True)
    assert f'href="/t/acme/wecom/welcome/{message.id}"' in listing
    response = staff.get(f"/t/acme/wecom/welcome/{message.id}")
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    for expected in ("[3 items] Hello {customer_name}", "Li Si, Zhang San", "Spring sale", "Mini shop", "Sat, Sun", "10:00–22:00", "Weekend hello", "operator@acme.test",
                     format_local(message.created_at, tz=SHANGHAI), format_local(message.updated_at, tz=SHANGHAI)):
        assert expected in page, expected
    assert "<form" not in page.split('data-testid="welcome-facts"')[1]  # read only


def test_another_tenant_cannot_open_the_details(db, world, staff, other_tenant, enable_plugins, make_user, client):
    staff.post("/t/acme/wecom/welcome/new", data=_form([world.employees["zhangsan"]], text="Acme only"))
    [message] = _messages(db, world.tenant)
    staff.post("/logout")
    enable_plugins(other_tenant, "wecom")
    intruder = make_user("admin@globex.test", other_tenant, role="tenant_admin")
    client.post("/login", data={"email": intruder.email, "password": "correct-horse-battery"})
    response = client.get(f"/t/globex/wecom/welcome/{message.id}")
    assert response.status_code == 404 and "Acme only" not in response.get_data(as_text=True)


EVERY_DAY = ["1", "2", "3", "4", "5", "6", "7"]


def test_segments_covering_the_whole_week_need_no_default_content(db, world, staff):
    data = {"audience": "all", "text": "", "segmented": "1",
            "seg-0-weekdays": EVERY_DAY, "seg-0-start": "00:00", "seg-0-end": "09:00", "seg-0-text": "Night",
            "seg-1-weekdays": EVERY_DAY, "seg-1-start": "09:00", "seg-1-end": "23:59", "seg-1-text": "Day"}
    assert staff.post("/t/acme/wecom/welcome/new", data=data).status_code == 302
    [message] = _messages(db, world.tenant)
    assert message.content == {"text": "", "attachments": []} and len(message.segments) == 2
    listing = staff.get("/t/acme/wecom/welcome/").get_data(as_text=True)
    assert "[1 item] Night" in listing
    page = staff.get(f"/t/acme/wecom/welcome/{message.id}").get_data(as_text=True)
    assert "None: the time segments cover the whole week." in page


def test_segments_leaving_a_gap_still_need_the_default_content(db, world, staff):
    data = {"audience": "all", "text": "", "segmented": "1",
            "seg-0-weekdays": EVERY_DAY[:5], "seg-0-start": "00:00", "seg-0-end": "23:59", "seg-0-text": "Weekday"}
    response = staff.post("/t/acme/wecom/welcome/new", data=data)
    assert response.status_code == 422
    assert "Write the default content for the times no segment covers" in response.get_data(as_text=True)
    assert _messages(db, world.tenant) == []


def test_edit_makes_the_message_the_newest(db, world, staff):
    for text in ("First", "Second"):
        staff.post("/t/acme/wecom/welcome/new", data=_form([world.employees["zhangsan"]], text=text))
    first, second = sorted(_messages(db, world.tenant), key=lambda m: m.id)
    response = staff.post(f"/t/acme/wecom/welcome/{first.id}/edit",
                          data=_form([world.employees["lisi"]], text="First, edited"))
    assert response.status_code == 302
    fresh(db)
    edited = db.get(WelcomeMessage, first.id)
    assert edited.content["text"] == "First, edited" and edited.updated_at > second.updated_at
    page = staff.get("/t/acme/wecom/welcome/").get_data(as_text=True)
    assert page.index("First, edited") < page.index("Second")


def test_delete(db, world, staff):
    staff.post("/t/acme/wecom/welcome/new", data=_form([world.employees["zhangsan"]]))
    [message] = _messages(db, world.tenant)
    assert staff.post(f"/t/acme/wecom/welcome/{message.id}/delete").status_code == 302
    fresh(db)
    assert _messages(db, world.tenant) == []


def test_another_tenant_cannot_read_or_change_a_message(db, world, staff, other_tenant, enable_plugins, make_user,
                                                          client):
    staff.post("/t/acme/wecom/welcome/new", data=_form([world.employees["zhangsan"]], text="Acme only"))
    [message] = _messages(db, world.tenant)
    staff.post("/logout")
    enable_plugins(other_tenant, "wecom")
    intruder = make_user("op@globex.test", other_tenant, role="tenant_admin")
    client.post("/login", data={"email": intruder.email, "password": "correct-horse-battery"})
    assert "Acme only" not in client.get("/t/globex/wecom/welcome/").get_data(as_text=True)
    assert client.get(f"/t/globex/wecom/welcome/{message.id}/edit").status_code == 404
    assert client.post(f"/t/globex/wecom/welcome/{message.id}/edit", data={"audience": "all", "text": "x"}
                       ).status_code == 404
    assert client.post(f"/t/globex/wecom/welcome/{message.id}/delete").status_code == 404
    fresh(db)
    assert db.get(WelcomeMessage, message.id).content["text"] == "Acme only"


def test_pages_404_when_the_plugin_is_disabled(tenant, staff):
    for path in ("/t/acme/wecom/welcome/", "/t/acme/wecom/welcome/new"):
        assert staff.get(path).status_code == 404


def test_typed_attachments_stored_before_are_kept_on_edit_until_unticked(db, world, staff):
    typed = {"type": "image", "media_id": "MEDIA_OLD"}
    message = WelcomeMessage(tenant_id=world.tenant.id, all_employees=True,
                             content={"text": "Old", "attachments": [typed]})
    db.add(message)
    db.commit()
    form = staff.get(f"/t/acme/wecom/welcome/{message.id}/edit").get_data(as_text=True)
    assert 'data-testid="kept-attachments-default"' in form and "MEDIA_OLD" in form
    link = _link(db, world)
    kept = {"audience": "all", "text": "Old", "att-0-type": "image", "att-0-media_id": "MEDIA_OLD", "att-0-kept": "1",
            "att-0-keep": "1", "material_ids": [str(link.id)]}
    assert staff.post(f"/t/acme/wecom/welcome/{message.id}/edit", data=kept).status_code == 302
    fresh(db)
    assert message.content == {"text": "Old", "attachments": [typed], "material_ids": [link.id]}
    swapped = {**kept, "att-0-media_id": "MEDIA_NEW"}  # a media id typed in place of the stored one
    assert staff.post(f"/t/acme/wecom/welcome/{message.id}/edit", data=swapped).status_code == 422
    removed = {k: v for k, v in kept.items() if k != "att-0-keep"}
    assert staff.post(f"/t/acme/wecom/welcome/{message.id}/edit", data=removed).status_code == 302
    fresh(db)
    assert message.content == {"text": "Old", "attachments": [], "material_ids": [link.id]}
