"""Tracked sends from the sidebar (spec 3.7, 4.3, 5.1, acceptance 3-7): one short link per send, a view per open with
the sender reminded, the customer's timeline and tags (once), durations from the page's beacons, the counters of
list, detail and sidebar, untracked previews, deleted materials, the browse-record export, isolation."""

from __future__ import annotations

import io
import re
from datetime import timedelta

from openpyxl import load_workbook
from scrm_wecom.materials import service, tracking
from scrm_wecom.materials.models import MaterialSend, MaterialView
from scrm_wecom.sync.models import Follow
from sqlmodel import select
from wecom_materials_fixtures import *  # noqa: F403
from wecom_materials_fixtures import fresh, make_material, make_tag, sidebar_sign_in

from scrm.sdk import Customer, CustomerEvent, CustomerTag, Tenant, utcnow

SEND = "/cgi-bin/message/send"


def customer(db, world, name, external_userid, userid="zhangsan"):
    row = Customer(tenant_id=world.tenant.id, name=name)
    db.add(row)
    db.flush()
    db.add(Follow(tenant_id=world.tenant.id, account_id=world.account.id, customer_id=row.id,
                  employee_id=world.employees[userid].id, userid=userid, external_userid=external_userid))
    db.commit()
    return row


def send(client, material, external_userid):
    response = client.post("/p/acme/wecom/sidebar/send", data={"material_id": material.id,
                                                               "external_userid": external_userid})
    assert response.status_code == 200, response.get_data(as_text=True)[:500]
    [message] = response.json["messages"]
    return message


def open_link(client, short_url):
    """The customer's phone: the short link answers 302 to the tracked page, which records the open."""
    path = re.sub(r"^https?://[^/]+", "", short_url)
    hop = client.get(path)
    assert hop.status_code == 302
    page = client.get(re.sub(r"^https?://[^/]+", "", hop.headers["Location"]))
    return page


def test_a_sent_material_opened_reminds_the_sender_writes_the_timeline_and_records_the_duration(
        db, app, world, worker):
    tag = make_tag(db, world.tenant, "看过双12")
    material = make_material(db, world.tenant, "link", title="双12会场", tag_ids=[tag.id])
    alice = customer(db, world, "王小姐", "wmAlice")
    employee = sidebar_sign_in(app.test_client(), world, "zhangsan")
    message = send(employee, material, "wmAlice")
    assert message["msgtype"] == "news" and message["news"]["title"] == "双12会场"
    assert "/s/" in message["news"]["link"]
    [row] = db.exec(select(MaterialSend)).all()
    assert (row.customer_id, row.employee_id) == (alice.id, world.employees["zhangsan"].id)

    phone = app.test_client()
    page = open_link(phone, message["news"]["link"])
    assert page.status_code == 200 and "双12会场" in page.get_data(as_text=True)
    worker.join(timeout=30)
    fresh(db)
    [view] = db.exec(select(MaterialView)).all()
    assert view.customer_id == alice.id and view.employee_id == world.employees["zhangsan"].id
    assert view.reminded_at is not None
    [notice] = [c for c in world.sandbox.calls(SEND) if c["errcode"] == 0]
    assert notice["body"]["touser"] == "zhangsan" and "双12会场" in notice["body"]["text"]["content"]
    [entry] = db.exec(select(CustomerEvent).where(CustomerEvent.kind == "material_opened")).all()
    assert entry.customer_id == alice.id and entry.data["material"] == "双12会场"

    view.opened_at -= timedelta(seconds=61)
    db.commit()
    beacon = {"beacon": view.beacon, "seconds": "60"}
    token = row.token
    assert phone.post(f"/p/acme/wecom/mt/{token}/beacon", data=beacon).status_code == 204
    fresh(db)
    assert tracking.format_duration(db.get(MaterialView, view.id).duration) == "1m0s"
    assert tag.id in [t.tag_id for t in db.exec(select(CustomerTag).where(CustomerTag.customer_id == alice.id))]


def test_a_page_cannot_claim_more_time_than_it_was_open(db, app, world):
    material = make_material(db, world.tenant, "article", title="新品速递")
    customer(db, world, "王小姐", "wmAlice")
    employee = sidebar_sign_in(app.test_client(), world, "zhangsan")
    phone = app.test_client()
    open_link(phone, send(employee, material, "wmAlice")["news"]["link"])
    fresh(db)
    view = db.exec(select(MaterialView)).one()
    token = db.exec(select(MaterialSend)).one().token
    phone.post(f"/p/acme/wecom/mt/{token}/beacon", data={"beacon": view.beacon, "seconds": "3600"})
    fresh(db)
    assert db.get(MaterialView, view.id).duration <= 5
    assert phone.post(f"/p/acme/wecom/mt/{token}/beacon", data={"beacon": view.beacon, "seconds": "x"}).status_code == 400
    assert phone.post(f"/p/acme/wecom/mt/{token}/beacon", data={"beacon": "nope", "seconds": "3"}).status_code == 404


def test_tags_are_applied_once_however_often_the_customer_opens(db, app, world):
    tag = make_tag(db, world.tenant, "看过新品")
    material = make_material(db, world.tenant, "link", title="新品", tag_ids=[tag.id])
    alice = customer(db, world, "王小姐", "wmAlice")
    employee = sidebar_sign_in(app.test_client(), world, "zhangsan")
    link = send(employee, material, "wmAlice")["news"]["link"]
    phone = app.test_client()
    open_link(phone, link)
    open_link(phone, link)
    fresh(db)
    assert len(db.exec(select(CustomerTag).where(CustomerTag.customer_id == alice.id,
                                                 CustomerTag.tag_id == tag.id)).all()) == 1
    assert len(db.exec(select(MaterialView)).all()) == 2


def test_views_count_records_and_viewers_count_customers(db, app, world, staff):
    material = make_material(db, world.tenant, "poster", title="双12海报")
    customer(db, world, "王小姐", "wmAlice")
    customer(db, world, "李先生", "wmBob", userid="lisi")
    zhang = sidebar_sign_in(app.test_client(), world, "zhangsan")
    li = sidebar_sign_in(app.test_client(), world, "lisi")
    to_alice = send(zhang, material, "wmAlice")["news"]["link"]
    to_bob = send(li, material, "wmBob")["news"]["link"]
    phone = app.test_client()
    open_link(phone, to_alice)
    open_link(phone, to_alice)
    open_link(phone, to_bob)
    list_page = staff.get("/t/acme/wecom/materials/").get_data(as_text=True)
    assert re.search(rf'data-material-id="{material.id}".*?data-stat="views">3<', list_page, re.S)
    detail = staff.get(f"/t/acme/wecom/materials/{material.id}").get_data(as_text=True)
    assert re.search(r'data-metric="views">.*?<strong>3</strong>', detail, re.S)
    assert re.search(r'data-metric="viewers">.*?<strong>2</strong>', detail, re.S)
    assert re.search(r'data-metric="senders">.*?<strong>2</strong>', detail, re.S)
    assert re.search(r'data-metric="sends">.*?<strong>2</strong>', detail, re.S)
    sidebar = zhang.get("/p/acme/wecom/sidebar/").get_data(as_text=True)
    assert re.search(rf'data-material-id="{material.id}".*?data-counts>[^<]*3[^<]*3', sidebar, re.S)


def test_the_internal_preview_is_never_tracked(db, app, world, worker):
    tag = make_tag(db, world.tenant, "预览")
    material = make_material(db, world.tenant, "link", title="会场", tag_ids=[tag.id])
    phone = app.test_client()
    assert phone.get(f"/p/acme/wecom/mp/{material.token}").status_code == 200
    worker.join(timeout=30)
    fresh(db)
    assert db.exec(select(MaterialView)).all() == [] and db.exec(select(CustomerTag)).all() == []
    assert [c for c in world.sandbox.calls(SEND)] == []


def test_a_deleted_material_link_says_so_and_records_nothing(db, app, world):
    material = make_material(db, world.tenant, "link", title="已下架")
    customer(db, world, "王小姐", "wmAlice")
    employee = sidebar_sign_in(app.test_client(), world, "zhangsan")
    link = send(employee, material, "wmAlice")["news"]["link"]
    service.delete_material(db.merge(material))
    db.commit()
    page = open_link(app.test_client(), link)
    assert page.status_code == 410
    fresh(db)
    assert db.exec(select(MaterialView)).all() == []
    assert app.test_client().get(f"/p/acme/wecom/mp/{material.token}").status_code == 404


def test_the_export_holds_exactly_the_filtered_records(db, app, world, staff):
    material = make_material(db, world.tenant, "link", title="会场")
    customer(db, world, "王小姐", "wmAlice")
    customer(db, world, "李先生", "wmBob", userid="lisi")
    zhang = sidebar_sign_in(app.test_client(), world, "zhangsan")
    li = sidebar_sign_in(app.test_client(), world, "lisi")
    phone = app.test_client()
    open_link(phone, send(zhang, material, "wmAlice")["news"]["link"])
    open_link(phone, send(li, material, "wmBob")["news"]["link"])
    fresh(db)
    old = db.exec(select(MaterialView).where(MaterialView.employee_id == world.employees["zhangsan"].id)).one()
    old.opened_at = utcnow() - timedelta(days=10)
    db.commit()
    open_link(phone, send(zhang, material, "wmAlice")["news"]["link"])
    db.commit()
    today = utcnow().date()
    args = f"employee={world.employees['zhangsan'].id}&start={today - timedelta(days=1)}&end={today + timedelta(days=1)}"
    response = staff.get(f"/t/acme/wecom/materials/{material.id}/records.xlsx?{args}")
    sheet = load_workbook(io.BytesIO(response.data)).worksheets[0]
    rows = list(sheet.iter_rows(values_only=True))
    assert len(rows) == 2 and rows[1][0] == "王小姐" and rows[1][1] == "Zhang San"
    csv = staff.get(f"/t/acme/wecom/materials/{material.id}/records.csv?{args}").get_data(as_text=True)
    assert csv.count("王小姐") == 1 and "李先生" not in csv


def test_links_and_beacons_of_one_tenant_answer_404_under_another(db, app, world, enable_plugins):
    other = Tenant(slug="other", name="Other brand")
    db.add(other)
    db.commit()
    enable_plugins(other, "wecom")  # the other brand uses WeCom too: its URLs exist, our tokens do not
    material = make_material(db, world.tenant, "link", title="会场")
    customer(db, world, "王小姐", "wmAlice")
    employee = sidebar_sign_in(app.test_client(), world, "zhangsan")
    link = send(employee, material, "wmAlice")["news"]["link"]
    open_link(app.test_client(), link)
    fresh(db)
    row, view = db.exec(select(MaterialSend)).one(), db.exec(select(MaterialView)).one()
    phone = app.test_client()
    for path in (f"/p/other/wecom/mt/{row.token}", f"/p/other/wecom/mp/{material.token}",
                 f"/p/other/wecom/mf/{material.token}/cover"):
        assert phone.get(path).status_code == 404, path
    assert phone.post(f"/p/other/wecom/mt/{row.token}/beacon",
                      data={"beacon": view.beacon, "seconds": "3"}).status_code == 404
    fresh(db)
    assert len(db.exec(select(MaterialView)).all()) == 1


def test_today_counts_the_tenant_day_and_the_overview_compares_with_yesterday(db, app, world, staff):
    material = make_material(db, world.tenant, "link", title="会场")
    customer(db, world, "王小姐", "wmAlice")
    employee = sidebar_sign_in(app.test_client(), world, "zhangsan")
    phone = app.test_client()
    link = send(employee, material, "wmAlice")["news"]["link"]
    open_link(phone, link)
    open_link(phone, link)
    fresh(db)
    first = db.exec(select(MaterialView).order_by(MaterialView.id)).first()
    first.opened_at -= timedelta(days=1)  # one view yesterday, one today: flat
    db.commit()
    assert tracking.view_counts(db, [material.id])[material.id] == (1, 2)
    detail = staff.get(f"/t/acme/wecom/materials/{material.id}").get_data(as_text=True)
    assert re.search(r'data-metric="views">.*?<strong>2</strong>\s*<span class="small" data-trend>Today flat', detail,
                     re.S)
    open_link(phone, link)  # two today against one yesterday: up by one
    detail = staff.get(f"/t/acme/wecom/materials/{material.id}").get_data(as_text=True)
    assert re.search(r'data-metric="views">.*?data-trend>Today ▲ 1<', detail, re.S)


def test_a_group_is_renamed_with_its_departments_checked(db, world, staff):
    from scrm_wecom.materials.models import ContentGroup
    from wecom_materials_fixtures import make_departments

    deps = make_departments(db, world.tenant)
    group = ContentGroup(tenant_id=world.tenant.id, library="material", scope="team", name="华东",
                         department_ids=[deps["east"].id])
    db.add(group)
    db.commit()
    assert "data-testid=\"group-edit\"" in staff.get("/t/acme/wecom/materials/?scope=team").get_data(as_text=True)
    staff.post(f"/t/acme/wecom/materials/groups/{group.id}/edit", data={"name": "华东门店", "department_ids": []})
    fresh(db)
    assert db.get(ContentGroup, group.id).name == "华东"  # a team group keeps at least one department
    staff.post(f"/t/acme/wecom/materials/groups/{group.id}/edit",
               data={"name": "华东门店", "department_ids": [str(deps["north"].id)]})
    fresh(db)
    assert (db.get(ContentGroup, group.id).name, db.get(ContentGroup, group.id).department_ids) == \
        ("华东门店", [deps["north"].id])


def test_the_timeline_line_names_the_material_and_the_sender(db, app, world, platform):
    material = make_material(db, world.tenant, "link", title="双12会场")
    customer(db, world, "王小姐", "wmAlice")
    employee = sidebar_sign_in(app.test_client(), world, "zhangsan")
    open_link(app.test_client(), send(employee, material, "wmAlice")["news"]["link"])
    fresh(db)
    events = db.exec(select(CustomerEvent).where(CustomerEvent.kind == "material_opened")).all()
    with app.test_request_context():
        entries = platform.hooks(db, db.merge(world.tenant)).contribute("timeline_entries", tenant=world.tenant,
                                                                         events=events, session=db)
    [line] = [e.html for e in entries if e.event_id == events[0].id]
    assert "双12会场" in line and "Zhang San" in line


def test_a_head_probe_of_a_tracked_link_records_no_view(db, app, world):
    material = make_material(db, world.tenant, "link", title="会场")
    customer(db, world, "王小姐", "wmAlice")
    employee = sidebar_sign_in(app.test_client(), world, "zhangsan")
    send(employee, material, "wmAlice")
    fresh(db)
    token = db.exec(select(MaterialSend)).one().token
    assert app.test_client().head(f"/p/acme/wecom/mt/{token}").status_code == 200
    fresh(db)
    assert db.exec(select(MaterialView)).all() == []
