"""The customer assignment records (spec 1.1, 2.5): filters, "Name (left)", CSV / XLSX export, who may open them,
tenant isolation of the page and the exports, and the tab strip's link to the group-chat tab."""

from __future__ import annotations

import csv
import io

from openpyxl import load_workbook
from wecom_assignment_fixtures import *  # noqa: F403
from wecom_assignment_fixtures import employee, pool_customers, records_of, resign_eve

from scrm.sdk import Customer


def _assign(client, customers, employees):
    response = client.post("/t/acme/wecom/assignment/assign", data={
        "customer_ids": [c.id for c in customers], "employee_ids": [e.id for e in employees], "confirm": "1"})
    assert response.status_code == 302


def test_records_list_filters_and_shows_resigned_takeover(db, tenant, assignment_live, make_user, login, wsgi_http,
                                                          worker):
    account, control = assignment_live
    amy, eve = employee(db, tenant.id, "amy"), employee(db, tenant.id, "eve")
    pool = pool_customers(db, tenant, members=2, non_members=1)
    client = login(make_user("admin@acme.test", tenant, role="tenant_admin"))
    _assign(client, pool[:2], [amy])
    _assign(client, pool[2:], [eve])
    resign_eve(db, wsgi_http, worker, account, control)
    db.commit()
    html = client.get("/t/acme/wecom/assignment/records").get_data(as_text=True)
    assert "3 assigned customers" in html and "<td>Eve (left)</td>" in html and "Assigned" in html
    only_amy = client.get(f"/t/acme/wecom/assignment/records?employee={amy.id}").get_data(as_text=True)
    assert "2 assigned customers" in only_amy and "<td>Eve (left)</td>" not in only_amy
    by_name = client.get(f"/t/acme/wecom/assignment/records?q={pool[2].name}").get_data(as_text=True)
    assert "1 assigned customers" in by_name
    waiting = client.get("/t/acme/wecom/assignment/records?status=waiting").get_data(as_text=True)
    assert "0 assigned customers" in waiting


def test_records_export_csv_and_xlsx_hold_only_the_tenants_records(db, tenant, other_tenant, assignment_live,
                                                                   enable_plugins, make_user, login, platform):
    from scrm_wecom.assignment.models import AssignmentRecord

    amy = employee(db, tenant.id, "amy")
    pool = pool_customers(db, tenant, members=1, non_members=1)
    enable_plugins(other_tenant, "wecom", "members")
    foreign = Customer(tenant_id=other_tenant.id, name="Globex customer")
    db.add(foreign)
    db.commit()
    db.add(AssignmentRecord(tenant_id=other_tenant.id, customer_id=foreign.id, kind="pool_claim"))
    db.commit()
    client = login(make_user("admin@acme.test", tenant, role="tenant_admin"))
    _assign(client, pool, [amy])
    csv_response = client.get("/t/acme/wecom/assignment/records/export.csv")
    assert csv_response.status_code == 200 and csv_response.mimetype == "text/csv"
    rows = list(csv.reader(io.StringIO(csv_response.get_data(as_text=True).lstrip("\ufeff"))))
    assert rows[0][:4] == ["Customer", "Kind", "From", "Takeover employee"]
    assert sorted(r[0] for r in rows[1:]) == sorted(c.name for c in pool)
    assert {r[3] for r in rows[1:]} == {"Amy"} and {r[4] for r in rows[1:]} == {"Taken over"}
    xlsx = client.get("/t/acme/wecom/assignment/records/export.xlsx")
    assert xlsx.status_code == 200
    sheet = load_workbook(io.BytesIO(xlsx.data)).active
    values = [[c.value for c in row] for row in sheet.iter_rows()]
    assert len(values) == 3 and "Globex customer" not in {v[0] for v in values}
    assert client.get("/t/acme/wecom/assignment/records/export.pdf").status_code == 404
    outsider = login(make_user("admin@globex.test", other_tenant, role="tenant_admin"))
    theirs = outsider.get("/t/globex/wecom/assignment/records/export.csv").get_data(as_text=True)
    assert "Globex customer" in theirs and pool[0].name not in theirs
    assert outsider.get("/t/acme/wecom/assignment/records/export.csv").status_code in (403, 404)
    assert len(records_of(db, tenant.id)) == 2


def test_employees_claim_but_do_not_open_the_other_tabs(db, tenant, assignment_corp, make_user, login):
    amy = employee(db, tenant.id, "amy")
    client = login(make_user("amy@acme.test", tenant, role="employee", scope="mine", employee_id=amy.id))
    assert client.get("/t/acme/wecom/assignment/").status_code == 200
    for path in ("resigned", "onjob", "records", "records/export.csv"):
        assert client.get(f"/t/acme/wecom/assignment/{path}").status_code == 403
    assert client.post("/t/acme/wecom/assignment/assign", data={}).status_code == 403


def test_operator_scope_limits_the_transfer_tab(db, tenant, assignment_corp, make_user, login):
    from scrm.sdk import Department

    amy = employee(db, tenant.id, "amy")
    client = login(make_user("ops@acme.test", tenant, role="operator", scope="mine", employee_id=amy.id))
    html = client.get("/t/acme/wecom/assignment/onjob").get_data(as_text=True)
    assert "2 customers" in html  # Amy's Ann and Bo only
    assert db.get(Department, amy.department_id).name == "Shanghai store"


def test_tab_strip_links_group_chats_only_when_installed(db, tenant, assignment_corp, make_user, login, app):
    client = login(make_user("admin@acme.test", tenant, role="tenant_admin"))
    html = client.get("/t/acme/wecom/assignment/").get_data(as_text=True)
    installed = "wecom.groupchats.unassigned" in app.view_functions
    assert ("Unassigned group chats" in html) == installed
    assert "Resigned inheritance" in html and "Assignment records" in html


def test_assignment_pages_are_absent_when_the_plugin_is_disabled(db, tenant, make_user, login, enable_plugins):
    enable_plugins(tenant, "members")
    client = login(make_user("admin@acme.test", tenant, role="tenant_admin"))
    assert client.get("/t/acme/wecom/assignment/").status_code == 404
