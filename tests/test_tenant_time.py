"""Tenant time: times are stored in UTC and shown, and "today" counted, in the tenant's time zone (Asia/Shanghai by
default); the brand settings page changes the zone (validated against zoneinfo); exports name the zone; the API
keeps ISO 8601 UTC."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime

import pytest
from sqlmodel import select

from scrm.core import timeutil
from scrm.core.jobs import actor
from scrm.core.models import AuditLog, Customer, Tenant

# 02:00 UTC on 6 December is 21:00 of 5 December in New York (EST, UTC-5) and 10:00 of 6 December in Shanghai
EVENT = datetime(2026, 12, 6, 2, 0, tzinfo=UTC)


@pytest.fixture
def tenant_admin(db, tenant, make_user):
    return make_user("boss@acme.test", tenant, role="tenant_admin")


def set_zone(db, tenant, name: str) -> None:
    row = db.get(Tenant, tenant.id)
    row.timezone = name
    db.add(row)
    db.commit()


@pytest.fixture
def csrf_on(app, login, tenant_admin):
    """Signed in as the tenant admin, then CSRF on as in production."""
    login(tenant_admin)
    app.config["WTF_CSRF_ENABLED"] = True
    yield
    app.config["WTF_CSRF_ENABLED"] = False


def csrf_token(client, url: str) -> str:
    html = client.get(url).get_data(as_text=True)
    return re.search(r'name="csrf_token" value="([^"]+)"', html).group(1)


# --- the helpers --------------------------------------------------------------------------------------------------

def test_local_day_and_display_follow_the_zone():
    new_york = timeutil.zone("America/New_York")
    assert timeutil.local_today(EVENT, new_york) == date(2026, 12, 5)
    assert timeutil.format_local(EVENT, tz=new_york) == "2026-12-05 21:00"
    assert timeutil.format_local(EVENT) == "2026-12-06 10:00"  # outside a tenant: Asia/Shanghai
    with timeutil.use_zone("America/New_York"):
        assert timeutil.format_local(EVENT) == "2026-12-05 21:00"
        span = timeutil.day_span(EVENT)
        assert (span.start, span.end) == (datetime(2026, 12, 5, 5, tzinfo=UTC), datetime(2026, 12, 6, 5, tzinfo=UTC))
        month = timeutil.month_span(EVENT)
        assert (month.start, month.end) == (datetime(2026, 12, 1, 5, tzinfo=UTC), datetime(2027, 1, 1, 5, tzinfo=UTC))
    assert timeutil.current_zone().key == "Asia/Shanghai"
    naive_utc = EVENT.replace(tzinfo=None)  # as SQLite hands it back
    assert timeutil.format_local(naive_utc, tz=new_york) == "2026-12-05 21:00"
    assert timeutil.format_local(None) == "—"
    # ISO text kept in JSON settings (a WeCom account's check time) is shown in the zone too; without offset it is UTC
    assert timeutil.format_local("2026-12-06T02:00:00+00:00", tz=new_york) == "2026-12-05 21:00"
    assert timeutil.format_local("2026-12-06T02:00:00", tz=new_york) == "2026-12-05 21:00"


@pytest.mark.parametrize("name", ["", " Asia/Shanghai", "Mars/Olympus", "../etc/passwd", "/etc/localtime",
                                  "Asia/Shanghai\n"])
def test_unknown_zones_are_refused(name):
    assert not timeutil.is_valid_zone(name)
    assert timeutil.zone(name).key == timeutil.DEFAULT_TIMEZONE


def test_new_tenants_default_to_shanghai_and_chinese(db, tenant):
    row = db.get(Tenant, tenant.id)
    assert (row.timezone, row.language) == ("Asia/Shanghai", "zh_CN")


# --- pages ----------------------------------------------------------------------------------------------------------

def test_new_york_tenant_sees_a_0200_utc_event_on_the_previous_day(client, login, tenant_admin, db, tenant,
                                                                      other_tenant, make_user):
    db.add(AuditLog(tenant_id=tenant.id, actor="someone@acme.test", action="customer.create", created_at=EVENT))
    db.add(AuditLog(tenant_id=other_tenant.id, actor="x@globex.test", action="customer.create", created_at=EVENT))
    db.commit()
    login(tenant_admin)
    assert "2026-12-06 10:00:00" in client.get("/t/acme/audit").get_data(as_text=True)
    set_zone(db, tenant, "America/New_York")
    html = client.get("/t/acme/audit").get_data(as_text=True)
    assert "2026-12-05 21:00:00" in html and "2026-12-06 10:00:00" not in html
    # the zone is the tenant's: another tenant's pages (and the next request of this thread) stay in theirs
    other_admin = make_user("boss@globex.test", other_tenant, role="tenant_admin")
    login(other_admin)
    assert "2026-12-06 10:00:00" in client.get("/t/globex/audit").get_data(as_text=True)
    assert timeutil.current_zone().key == "Asia/Shanghai"


def test_today_counts_change_with_the_zone(client, login, tenant_admin, db, tenant, monkeypatch):
    # now: 03:00 UTC on 6 December = 22:00 of 5 December in New York, 11:00 of 6 December in Shanghai
    monkeypatch.setattr(timeutil, "utcnow", lambda: datetime(2026, 12, 6, 3, 0, tzinfo=UTC))
    moments = [EVENT,                                    # New York 5 Dec 21:00 | Shanghai 6 Dec 10:00
               datetime(2026, 12, 5, 12, 0, tzinfo=UTC),  # New York 5 Dec 07:00 | Shanghai 5 Dec 20:00
               datetime(2026, 12, 5, 17, 0, tzinfo=UTC),  # New York 5 Dec 12:00 | Shanghai 6 Dec 01:00
               datetime(2026, 12, 5, 4, 0, tzinfo=UTC)]   # New York 4 Dec 23:00 | Shanghai 5 Dec 12:00
    db.add_all([Customer(tenant_id=tenant.id, name=f"c{i}", created_at=m) for i, m in enumerate(moments)])
    db.commit()
    login(tenant_admin)

    def new_today() -> str:
        html = client.get("/t/acme/").get_data(as_text=True)
        card = html[html.index("New customers") if "New customers" in html else html.index("新增客户"):]
        return re.search(r'<div class="value">([\d,]+)</div>', card).group(1)

    assert new_today() == "2"
    set_zone(db, tenant, "America/New_York")
    assert new_today() == "3"


def test_brand_settings_change_the_zone_with_csrf_on(app, client, login, tenant_admin, db, tenant, csrf_on):
    token = csrf_token(client, "/t/acme/settings/brand")
    response = client.post("/t/acme/settings/brand", data={"csrf_token": token, "name": "Acme Beauty",
                                                           "language": "en", "timezone": "America/New_York"})
    assert response.status_code == 302
    db.expire_all()
    row = db.get(Tenant, tenant.id)
    assert (row.name, row.language, row.timezone) == ("Acme Beauty", "en", "America/New_York")
    entry = db.exec(select(AuditLog).where(AuditLog.action == "tenant.settings")).one()
    assert entry.detail["timezone"] == ["Asia/Shanghai", "America/New_York"]


@pytest.mark.parametrize("form", [{"timezone": "Mars/Olympus"}, {"timezone": "../../etc/passwd"},
                                  {"language": "fr"}, {"name": "  "}, {"name": "x" * 101}])
def test_brand_settings_refuse_bad_input(client, login, tenant_admin, db, tenant, form):
    login(tenant_admin)
    data = {"name": "Acme", "language": "zh_CN", "timezone": "Asia/Tokyo", **form}
    response = client.post("/t/acme/settings/brand", data=data)
    assert response.status_code == 422
    assert 'role="alert"' in response.get_data(as_text=True)
    db.expire_all()
    row = db.get(Tenant, tenant.id)
    assert (row.name, row.timezone) == ("Acme Cosmetics", "Asia/Shanghai")


def test_brand_settings_are_for_tenant_admins_of_their_own_tenant(client, login, make_user, tenant, other_tenant,
                                                                  db):
    login(make_user("op@acme.test", tenant, role="operator"))
    assert client.get("/t/acme/settings/brand").status_code == 403
    login(make_user("boss@acme.test", tenant, role="tenant_admin"))
    assert client.get("/t/globex/settings/brand").status_code == 404
    response = client.post("/t/globex/settings/brand", data={"name": "Hacked", "language": "en",
                                                             "timezone": "UTC"})
    assert response.status_code == 404
    db.expire_all()
    assert db.get(Tenant, other_tenant.id).name == "Globex Retail"


# --- jobs, exports and the API ----------------------------------------------------------------------------------------

SEEN_ZONES: dict[int, str] = {}


@actor(name="tests.time.note_zone", plugin="core")
def note_zone(tenant_id: int) -> None:
    SEEN_ZONES[tenant_id] = timeutil.current_zone().key


def test_a_tenants_job_runs_in_its_zone(app, db, tenant, other_tenant, worker):
    SEEN_ZONES.clear()
    set_zone(db, tenant, "America/New_York")
    worker.zones.forget()
    note_zone.send(tenant.id)
    note_zone.send(other_tenant.id)
    worker.join()
    assert SEEN_ZONES == {tenant.id: "America/New_York", other_tenant.id: "Asia/Shanghai"}


def test_api_keeps_iso_utc(client, api_token, db, tenant):
    set_zone(db, tenant, "America/New_York")
    db.add(Customer(tenant_id=tenant.id, name="Ann", created_at=EVENT))
    db.commit()
    response = client.get("/api/v1/customers", headers={"Authorization": f"Bearer {api_token(tenant)}"})
    assert response.status_code == 200
    created = response.get_json()["items"][0]["created_at"]
    assert datetime.fromisoformat(created.replace("Z", "+00:00")) == EVENT
    assert created.endswith(("Z", "+00:00"))


@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
def test_exports_are_in_the_tenant_zone_and_say_so(client, login, tenant_admin, db, tenant, other_tenant,
                                                   enable_plugins, fmt):
    import csv
    import io

    from openpyxl import load_workbook

    enable_plugins(tenant, "members")
    set_zone(db, tenant, "America/New_York")
    db.add(Customer(tenant_id=tenant.id, name="Ann", created_at=EVENT))
    db.add(Customer(tenant_id=other_tenant.id, name="Globex Ben", created_at=EVENT))
    db.commit()
    login(tenant_admin)
    response = client.get(f"/t/acme/members/customers/export.{fmt}")
    assert response.status_code == 200
    if fmt == "csv":
        rows = list(csv.reader(io.StringIO(response.get_data(as_text=True).lstrip("\ufeff"))))
    else:
        rows = [list(r) for r in load_workbook(io.BytesIO(response.data), read_only=True).worksheets[0]
                .iter_rows(values_only=True)]
    header, *body = rows
    column = header.index("Created at (America/New_York)")
    assert [(r[1], r[column]) for r in body] == [("Ann", "2026-12-05 21:00:00")]  # not another tenant's customer
