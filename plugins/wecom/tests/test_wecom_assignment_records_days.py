"""The customer assignment records in China time (spec 1.1, 2.5): times shown and filtered as Asia/Shanghai days,
the breadcrumb "Unassigned users > Assignment records", a Detail link per row; and the periodic resigned-member
check (J1) on the durable scheduler."""

from __future__ import annotations

import re
from datetime import UTC, datetime

from scrm_wecom.assignment import resigned
from scrm_wecom.assignment.models import AssignmentRecord
from sqlalchemy import select, update
from wecom_assignment_fixtures import *  # noqa: F403
from wecom_assignment_fixtures import corp, employee, pool_customers, records_of

from scrm.sdk import EmployeeStatus, ScheduledJob

BASE = "/t/acme/wecom/assignment"


def _record_ids(html: str) -> set[int]:
    return {int(i) for i in re.findall(r'data-record-id="(\d+)"', html)}


def test_records_show_and_filter_asia_shanghai_days(db, tenant, other_tenant, assignment_corp, enable_plugins,
                                                   make_user, login):
    late, early = pool_customers(db, tenant, members=1, non_members=1)
    amy = employee(db, tenant.id, "amy")
    client = login(make_user("admin@acme.test", tenant, role="tenant_admin"))
    response = client.post(f"{BASE}/assign", data={"customer_ids": [late.id, early.id], "employee_ids": [amy.id],
                                                   "confirm": "1"})
    assert response.status_code == 302
    by_customer = {r.customer_id: r.id for r in records_of(db, tenant.id)}
    moments = {late.id: datetime(2024, 3, 9, 16, 30, tzinfo=UTC),  # 2024-03-10 00:30 in Shanghai
               early.id: datetime(2024, 3, 9, 15, 30, tzinfo=UTC)}  # 2024-03-09 23:30 in Shanghai
    for customer_id, moment in moments.items():
        db.execute(update(AssignmentRecord).where(AssignmentRecord.id == by_customer[customer_id])
                   .values(assigned_at=moment))
    db.commit()
    html = client.get(f"{BASE}/records").get_data(as_text=True)
    assert "2024-03-10 00:30" in html and "2024-03-09 23:30" in html
    assert _record_ids(client.get(f"{BASE}/records?from=2024-03-10&to=2024-03-10").get_data(as_text=True)) == {
        by_customer[late.id]}
    assert _record_ids(client.get(f"{BASE}/records?from=2024-03-09&to=2024-03-09").get_data(as_text=True)) == {
        by_customer[early.id]}
    csv_text = client.get(f"{BASE}/records/export.csv?from=2024-03-10&to=2024-03-10").get_data(as_text=True)
    assert "2024-03-10 00:30:00" in csv_text and early.name not in csv_text
    enable_plugins(other_tenant, "wecom", "members")
    outsider = login(make_user("admin@globex.test", other_tenant, role="tenant_admin"))
    assert _record_ids(outsider.get("/t/globex/wecom/assignment/records?from=2024-03-10&to=2024-03-10")
                       .get_data(as_text=True)) == set()


def test_records_page_has_breadcrumbs_and_a_detail_link_per_row(db, tenant, assignment_corp, make_user, login):
    customer, = pool_customers(db, tenant, members=1, non_members=0)
    amy = employee(db, tenant.id, "amy")
    client = login(make_user("admin@acme.test", tenant, role="tenant_admin"))
    client.post(f"{BASE}/assign", data={"customer_ids": [customer.id], "employee_ids": [amy.id], "confirm": "1"})
    html = client.get(f"{BASE}/records").get_data(as_text=True)
    crumbs = html[html.index('data-testid="breadcrumbs"'):]
    crumbs = crumbs[:crumbs.index("</nav>")]
    assert f'href="{BASE}/"' in crumbs and "Unassigned users</a> &gt; <span>Assignment records</span>" in crumbs
    record, = records_of(db, tenant.id)
    row = html[html.index(f'data-record-id="{record.id}"'):]
    assert f'href="/t/acme/members/customers/{customer.id}">Detail</a>' in row[:row.index("</tr>")]


def test_the_resigned_member_check_runs_on_a_durable_schedule(db, platform, tenant, other_tenant, assignment_corp,
                                                             make_user, login):
    account, control = assignment_corp
    db.commit()
    job = db.execute(select(ScheduledJob).where(ScheduledJob.key == resigned.check_key(tenant.id))).scalar_one()
    assert job.status == "pending" and job.actor == resigned.CHECK_JOB and job.tenant_id == tenant.id
    assert job.interval_seconds == int(resigned.CHECK_EVERY.total_seconds())
    control.seed(corp(eve_status=5))  # Eve left; no callback reached us
    from scrm_wecom.assignment.jobs import check_resigned

    check_resigned.fn(tenant.id)  # what the scheduler runs when the job is due
    db.expire_all()
    assert employee(db, tenant.id, "eve").status == EmployeeStatus.LEFT
    assert db.execute(select(ScheduledJob).where(ScheduledJob.key == resigned.check_key(other_tenant.id))).first() \
        is None  # a tenant without the plugin has no check
