"""Short links over HTTP: the public redirect ``/s/<code>`` (302 to the stored target, click recorded, 404 / 410
pages in the visitor's language), the admin page 短链接 (list, filters, create with CSRF, detail, QR PNG, click
exports), the brand logo switch, the REST API, and tenant isolation of each."""

from __future__ import annotations

import csv
import io
import json
import re
from datetime import UTC, datetime, timedelta

import pytest
from openpyxl import load_workbook
from PIL import Image
from sqlalchemy import func, select

from scrm.core.models import AuditLog, ShortLink, ShortLinkClick
from scrm.sdk import shortlinks

PHONE_UA = "Mozilla/5.0 (iPhone; CPU iPhone OS 17_0 like Mac OS X) Mobile/15E148 MicroMessenger/8.0.47"
BASE = "/t/acme/marketing/short-links"


@pytest.fixture
def boss(make_user, tenant):
    return make_user("boss@acme.test", tenant, role="tenant_admin")


@pytest.fixture
def rival(make_user, other_tenant):
    return make_user("boss@globex.test", other_tenant, role="tenant_admin")


@pytest.fixture
def csrf_on(app, login, boss):
    """Signed in as the brand admin, then CSRF on as in production."""
    login(boss)
    app.config["WTF_CSRF_ENABLED"] = True
    yield
    app.config["WTF_CSRF_ENABLED"] = False


def csrf_token(client, url: str) -> str:
    html = client.get(url).get_data(as_text=True)
    return re.search(r'name="csrf_token" value="([^"]+)"', html).group(1)


def make_link(db, tenant, url="https://shop.example.com/1212", **kwargs) -> ShortLink:
    link = shortlinks.create(db, tenant.id, url, **kwargs)
    db.commit()
    return link


def click_count(db) -> int:
    return db.execute(select(func.count()).select_from(ShortLinkClick)).scalar_one()


def png_of(color) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (80, 80), color).save(out, "PNG")
    return out.getvalue()


# --- the public redirect ---------------------------------------------------------------------------------------

def test_redirect_answers_302_to_the_stored_target_and_records_the_click(client, db, tenant):
    link = make_link(db, tenant, "https://商城.example.cn/活动?from=sms", channel="sms")
    response = client.get(f"/s/{link.code}?next=https://evil.example/&url=https://evil.example/",
                          headers={"User-Agent": PHONE_UA})
    assert response.status_code == 302
    host = "商城".encode("idna").decode()
    assert response.headers["Location"] == f"https://{host}.example.cn/%E6%B4%BB%E5%8A%A8?from=sms"
    assert response.headers["Cache-Control"] == "no-store"
    assert "Set-Cookie" not in response.headers
    row = db.execute(select(ShortLinkClick)).scalars().one()
    assert (row.link_id, row.tenant_id, row.agent, row.recipient_id) == (link.id, tenant.id, "wechat", None)
    assert row.ip_hash and "127.0.0.1" not in row.ip_hash


def test_head_requests_are_answered_but_not_counted(client, db, tenant):
    link = make_link(db, tenant)
    assert client.head(f"/s/{link.code}").status_code == 302
    assert click_count(db) == 0


def test_unknown_codes_answer_404_and_expired_links_410_in_the_visitors_language(client, db, tenant):
    response = client.get("/s/Zz9Zz9Z", headers={"Accept-Language": "zh-CN"})
    assert response.status_code == 404 and "链接不存在" in response.get_data(as_text=True)
    assert client.get("/s/not-a-code!").status_code == 404
    old = make_link(db, tenant)
    row = db.get(ShortLink, old.id)
    row.expires_at = datetime.now(UTC) - timedelta(seconds=1)
    db.add(row)
    db.commit()
    response = client.get(f"/s/{old.code}", headers={"Accept-Language": "zh-CN"})
    assert response.status_code == 410 and "链接已过期" in response.get_data(as_text=True)
    assert "Location" not in response.headers
    english = client.get(f"/s/{old.code}", headers={"Accept-Language": "en"})
    assert "Link expired" in english.get_data(as_text=True)
    assert click_count(db) == 0


def test_the_detail_page_says_when_a_link_has_expired(client, login, boss, db, tenant):
    link = make_link(db, tenant)
    login(boss)
    assert "This link has expired" not in client.get(f"{BASE}/{link.id}").get_data(as_text=True)
    row = db.get(ShortLink, link.id)
    row.expires_at = datetime.now(UTC) - timedelta(seconds=1)
    db.add(row)
    db.commit()
    assert "This link has expired" in client.get(f"{BASE}/{link.id}").get_data(as_text=True)


def test_a_deactivated_brands_links_stop_working(client, db, tenant):
    from scrm.core.models import Tenant

    link = make_link(db, tenant, kind="long")
    row = db.get(Tenant, tenant.id)
    row.active = False
    db.add(row)
    db.commit()
    assert client.get(f"/s/{link.code}").status_code == 404
    assert click_count(db) == 0


def test_a_long_link_still_redirects_far_in_the_future(client, db, tenant):
    link = make_link(db, tenant, kind="long")
    assert link.expires_at is None
    assert client.get(f"/s/{link.code}").status_code == 302


def test_personalised_clicks_are_counted_per_recipient(client, db, tenant, make_customer):
    li = make_customer(tenant, "李雷", "13800000001")
    link = make_link(db, tenant, channel="sms", campaign="sms_task:7")
    mine, other = shortlinks.create_many_personalised(db, link, [("13800000001", li.id), "13800000002"])
    db.commit()
    for _ in range(3):
        assert client.get(f"/s/{mine}", headers={"User-Agent": PHONE_UA}).status_code == 302
    client.get(f"/s/{mine}", headers={"User-Agent": "Mozilla/5.0 (compatible; bingbot/2.0)"})  # a robot
    person = shortlinks.recipient_stats(db, tenant.id, link.id, mine)
    assert person.clicks == 3 and person.first_clicked_at is not None
    assert shortlinks.recipient_stats(db, tenant.id, link.id, other).clicks == 0
    numbers = shortlinks.stats(db, tenant.id, link.id)
    assert (numbers.clicks, numbers.bot_clicks, numbers.unique_recipients, numbers.recipients) == (3, 1, 1, 2)
    assert {c.customer_id for c in db.execute(select(ShortLinkClick)).scalars()} == {li.id}


# --- admin pages -----------------------------------------------------------------------------------------------

def test_the_menu_places_short_links_under_marketing_campaigns(client, login, make_user, tenant):
    login(make_user("op@acme.test", tenant, role="operator"))
    html = client.get("/t/acme/").get_data(as_text=True)
    assert 'data-endpoint="shortlinks.index"' in html


def test_list_with_filters(client, login, boss, db, tenant):
    sms = make_link(db, tenant, channel="sms", campaign="1212", campaign_label="双12会员日")
    poster = make_link(db, tenant, channel="poster", campaign="spring")
    login(boss)
    html = client.get(BASE).get_data(as_text=True)
    assert sms.code in html and poster.code in html
    html = client.get(f"{BASE}?channel=sms").get_data(as_text=True)
    assert sms.code in html and poster.code not in html
    html = client.get(f"{BASE}?campaign=会员").get_data(as_text=True)
    assert sms.code in html and poster.code not in html
    tomorrow = (datetime.now(UTC) + timedelta(days=2)).date().isoformat()
    html = client.get(f"{BASE}?from={tomorrow}").get_data(as_text=True)
    assert sms.code not in html and "No short links yet." in html
    assert client.get(f"{BASE}?from=garbage&channel=nope").status_code == 200


def test_create_form_refuses_bad_input_and_writes_nothing(client, login, boss, db):
    login(boss)
    for bad, message in (("javascript:alert(1)", "e.g. https://shop.example.com/1212"), ("https://a.example/" + "x" * 2048, "2048"),
                         ("", "Enter the address")):
        response = client.post(f"{BASE}/new", data={"target_url": bad, "kind": "short", "channel": "sms"})
        assert response.status_code == 422 and message in response.get_data(as_text=True)
    response = client.post(f"{BASE}/new", data={"target_url": "https://a.example/", "kind": "forever",
                                                 "channel": "sms"})
    assert response.status_code == 422
    response = client.post(f"{BASE}/new", data={"target_url": "https://a.example/", "kind": "short",
                                                 "channel": "fax"})
    assert response.status_code == 422
    assert db.execute(select(func.count()).select_from(ShortLink)).scalar_one() == 0


def test_create_needs_the_csrf_token_and_then_works(client, boss, db, tenant, csrf_on):
    form = {"target_url": "https://shop.example.com/new", "kind": "long", "channel": "wecom", "campaign": "c1",
            "campaign_label": "新品"}
    assert client.post(f"{BASE}/new", data=form).status_code == 400
    assert db.execute(select(func.count()).select_from(ShortLink)).scalar_one() == 0
    response = client.post(f"{BASE}/new", data={**form, "csrf_token": csrf_token(client, f"{BASE}/new")})
    assert response.status_code == 302
    link = db.execute(select(ShortLink)).scalars().one()
    assert (link.tenant_id, link.kind, link.expires_at, link.channel, link.campaign_label, link.created_by) == (
        tenant.id, "long", None, "wecom", "新品", f"user:{boss.id}")
    assert db.execute(select(AuditLog).where(AuditLog.action == "short_link.create")).scalars().one()


def test_detail_shows_counts_chart_and_qr(client, login, boss, db, tenant):
    link = make_link(db, tenant, channel="sms")
    client.get(f"/s/{link.code}", headers={"User-Agent": PHONE_UA})
    login(boss)
    html = client.get(f"{BASE}/{link.id}").get_data(as_text=True)
    assert 'data-stat="clicks">1<' in html and f"/s/{link.code}" in html
    chart = json.loads(re.search(r'id="shortlink-chart-data">(.*?)</script>', html, re.S).group(1))
    assert len(chart["labels"]) == 30 and chart["datasets"][0]["data"][-1] == 1
    response = client.get(f"{BASE}/{link.id}/qr.png?size=860&download=1")
    assert response.status_code == 200 and response.mimetype == "image/png"
    assert "attachment" in response.headers["Content-Disposition"]
    assert Image.open(io.BytesIO(response.data)).size == (860, 860)
    assert client.get(f"{BASE}/{link.id}/qr.png?size=5").status_code == 400


def test_click_exports_csv_and_xlsx_with_masked_recipients(client, login, boss, db, tenant):
    link = make_link(db, tenant, channel="sms")
    (code,) = shortlinks.create_many_personalised(db, link, ["13800001234"])
    db.commit()
    client.get(f"/s/{code}", headers={"User-Agent": PHONE_UA})
    client.get(f"/s/{link.code}", headers={"User-Agent": "=cmd|' /C calc'!A0"})
    login(boss)
    text = client.get(f"{BASE}/{link.id}/clicks.csv").get_data(as_text=True)
    rows = list(csv.reader(io.StringIO(text.lstrip("\ufeff"))))
    assert rows[0][0] == "Clicked at (Asia/Shanghai)" and len(rows) == 3
    assert rows[1][2:4] == [code, "138****1234"] and "13800001234" not in text
    assert rows[1][1] == "WeChat" and rows[2][1] == "Other"
    book = load_workbook(io.BytesIO(client.get(f"{BASE}/{link.id}/clicks.xlsx").data), read_only=True)
    values = [list(r) for r in book.worksheets[0].iter_rows(values_only=True)]
    assert len(values) == 3 and values[1][3] == "138****1234"
    assert client.get(f"{BASE}/{link.id}/clicks.pdf").status_code == 404


def test_the_brand_logo_switch_changes_the_qr_images(client, boss, db, tenant, csrf_on):
    link = make_link(db, tenant)
    plain = client.get(f"{BASE}/{link.id}/qr.png?size=430").data
    token = csrf_token(client, "/t/acme/settings/brand")
    # the switch without a logo is refused, with a message
    response = client.post("/t/acme/settings/brand/logo", data={"on_qr_codes": "1", "csrf_token": token})
    assert response.status_code == 422 and "Upload a logo" in response.get_data(as_text=True)
    # a file that is no image is refused before decoding
    response = client.post("/t/acme/settings/brand/logo", data={
        "on_qr_codes": "1", "csrf_token": token, "logo": (io.BytesIO(b"%PDF-1.4 not an image"), "logo.png")},
        content_type="multipart/form-data")
    assert response.status_code == 422 and "PNG or JPEG" in response.get_data(as_text=True)
    assert shortlinks.qr_png(db, link, base="http://localhost/") == plain
    # a real logo, switch on: every QR image of the brand carries it
    response = client.post("/t/acme/settings/brand/logo", data={
        "on_qr_codes": "1", "csrf_token": token, "logo": (io.BytesIO(png_of((200, 20, 20))), "logo.png")},
        content_type="multipart/form-data")
    assert response.status_code == 302
    with_logo = client.get(f"{BASE}/{link.id}/qr.png?size=430").data
    assert with_logo != plain
    assert Image.open(io.BytesIO(with_logo)).convert("RGB").getpixel((215, 215))[0] > 150
    # switched off (the logo stays stored): plain again
    response = client.post("/t/acme/settings/brand/logo", data={"csrf_token": token})
    assert response.status_code == 302
    assert client.get(f"{BASE}/{link.id}/qr.png?size=430").data == plain
    assert client.get("/t/acme/settings/brand/logo.png").status_code == 200
    assert client.post("/t/acme/settings/brand/logo", data={"on_qr_codes": "1"}).status_code == 400  # no token


# --- tenant isolation ------------------------------------------------------------------------------------------

def test_pages_and_exports_of_another_tenant_answer_404(client, login, rival, db, tenant, other_tenant):
    link = make_link(db, tenant, channel="sms", campaign="secret-campaign")
    client.get(f"/s/{link.code}", headers={"User-Agent": PHONE_UA})
    theirs = make_link(db, other_tenant, channel="sms")
    login(rival)
    html = client.get("/t/globex/marketing/short-links").get_data(as_text=True)
    assert theirs.code in html and link.code not in html and "secret-campaign" not in html
    for path in ("", "/qr.png", "/clicks.csv", "/clicks.xlsx"):
        assert client.get(f"/t/globex/marketing/short-links/{link.id}{path}").status_code == 404
    assert client.get(f"{BASE}").status_code == 404  # not a member of acme
    # the brand logo and its switch are the brand's own
    from scrm.core import shortlinks as core
    from scrm.sdk import qr

    core.set_logo(db, tenant.id, qr.validate_logo(png_of((200, 20, 20))), True)
    db.commit()
    assert client.get("/t/globex/settings/brand/logo.png").status_code == 404
    assert qr.tenant_qr_logo(db, other_tenant.id) is None
    assert shortlinks.stats(db, other_tenant.id, link.id).clicks == 0
    assert shortlinks.stats(db, tenant.id, link.id).clicks == 1


# --- REST API --------------------------------------------------------------------------------------------------

def auth(token: str) -> dict:
    return {"Authorization": f"Bearer {token}"}


def test_api_creates_lists_and_reads_links_with_stats(client, api_token, db, tenant):
    token = api_token(tenant)
    response = client.post("/api/v1/short-links", headers=auth(token), json={
        "target_url": "https://shop.example.com/1212", "channel": "official_account", "campaign": "oa-menu"})
    assert response.status_code == 201, response.get_json()
    data = response.get_json()
    assert data["kind"] == "short" and data["url"].endswith(f"/s/{data['code']}") and data["created_by"].startswith("api:")
    created = datetime.fromisoformat(data["created_at"])
    assert datetime.fromisoformat(data["expires_at"]) == created.replace(year=created.year + 5)
    client.get(f"/s/{data['code']}", headers={"User-Agent": PHONE_UA})
    listing = client.get("/api/v1/short-links?channel=official_account", headers=auth(token)).get_json()
    assert [i["code"] for i in listing["items"]] == [data["code"]]
    detail = client.get(f"/api/v1/short-links/{data['id']}", headers=auth(token)).get_json()
    assert detail["stats"]["clicks"] == 1 and len(detail["stats"]["per_day"]) == 30


@pytest.mark.parametrize(("payload", "status", "field"), [
    ({"target_url": "javascript:alert(1)"}, 422, "target_url"),
    ({"target_url": "https://a.example/" + "x" * 2100}, 422, "target_url"),
    ({"target_url": "https://a.example/", "kind": "forever"}, 422, "kind"),
    ({"target_url": "https://a.example/", "channel": "Bad Channel"}, 422, "channel"),
    ({}, 422, "target_url"),
])
def test_api_refuses_bad_input_with_json_messages(client, api_token, db, tenant, payload, status, field):
    response = client.post("/api/v1/short-links", headers=auth(api_token(tenant)), json=payload)
    assert response.status_code == status
    error = response.get_json()["error"]
    assert error["message"] and field in error.get("fields", {})
    assert db.execute(select(func.count()).select_from(ShortLink)).scalar_one() == 0


def test_api_refuses_a_body_that_is_not_json(client, api_token, tenant):
    response = client.post("/api/v1/short-links", headers={**auth(api_token(tenant)),
                                                           "Content-Type": "application/json"}, data="{nope")
    assert response.status_code == 400 and response.get_json()["error"]["code"] == "invalid_json"


def test_api_personalised_links(client, api_token, db, tenant, other_tenant, make_customer):
    token = api_token(tenant)
    mine = make_customer(tenant, "韩梅梅", "13900000001")
    theirs = make_customer(other_tenant, "Other", "13900000002")
    link = make_link(db, tenant, channel="sms")
    response = client.post(f"/api/v1/short-links/{link.id}/personalised", headers=auth(token), json={
        "recipients": [{"recipient": "13900000001", "customer_id": mine.id}, {"recipient": "13900000009"}]})
    assert response.status_code == 201
    items = response.get_json()["items"]
    assert [i["recipient"] for i in items] == ["13900000001", "13900000009"]
    assert all(len(i["code"]) == 8 and i["url"].endswith(i["code"]) for i in items)
    # another tenant's customer is refused, nothing is written
    response = client.post(f"/api/v1/short-links/{link.id}/personalised", headers=auth(token), json={
        "recipients": [{"recipient": "13900000002", "customer_id": theirs.id}]})
    assert response.status_code == 422 and "no customer" in response.get_json()["error"]["message"]
    db.refresh(link)
    assert link.recipients == 2
    response = client.post(f"/api/v1/short-links/{link.id}/personalised", headers=auth(token),
                           json={"recipients": []})
    assert response.status_code == 422


def test_api_isolation_between_tenants(client, api_token, db, tenant, other_tenant):
    link = make_link(db, tenant, channel="sms")
    theirs = api_token(other_tenant)
    assert client.get(f"/api/v1/short-links/{link.id}", headers=auth(theirs)).status_code == 404
    assert client.get("/api/v1/short-links", headers=auth(theirs)).get_json()["items"] == []
    response = client.post(f"/api/v1/short-links/{link.id}/personalised", headers=auth(theirs),
                           json={"recipients": [{"recipient": "13900000001"}]})
    assert response.status_code == 404
    assert client.get("/api/v1/short-links").status_code == 401
