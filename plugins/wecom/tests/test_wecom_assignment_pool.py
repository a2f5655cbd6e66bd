"""The Unassigned tab: the pool list and its count line, claiming (confirmation, linked employee) and assigning with
an even split (spec 3.1, 4.1, acceptance 1-4), and tenant isolation."""

from __future__ import annotations

import re

from scrm_wecom.assignment.pool import split_evenly
from wecom_assignment_fixtures import *  # noqa: F403
from wecom_assignment_fixtures import employee, owner_of, pool_customers, records_of

from scrm.sdk import Customer


def _ids(html: str) -> set[int]:
    return {int(i) for i in re.findall(r'data-customer-id="(\d+)"', html)}


def test_split_evenly_gives_the_extra_customers_to_the_first_employees():
    shares = split_evenly(list(range(10)), [7, 8, 9])
    assert [len(shares[e]) for e in (7, 8, 9)] == [4, 3, 3]
    assert sorted(sum(shares.values(), [])) == list(range(10))
    assert split_evenly([1, 2], []) == {}


def test_pool_lists_customers_without_owner_with_member_counts(db, tenant, assignment_corp, make_user, login):
    pool = pool_customers(db, tenant, members=3, non_members=2)
    client = login(make_user("ops@acme.test", tenant, role="tenant_admin"))
    page = client.get("/t/acme/wecom/assignment/")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert _ids(html) == {c.id for c in pool}  # synced WeCom friends have owners: not in the pool
    assert "5 customers (members 3, non-members 2)" in html
    members_only = client.get("/t/acme/wecom/assignment/?member=1").get_data(as_text=True)
    assert "3 customers (members 3, non-members 0)" in members_only
    by_name = client.get("/t/acme/wecom/assignment/?q=N04").get_data(as_text=True)
    assert _ids(by_name) == {pool[4].id}


def test_claim_asks_for_confirmation_and_makes_the_user_the_owner(db, tenant, assignment_corp, make_user, login):
    pool = pool_customers(db, tenant, members=1, non_members=1)
    amy = employee(db, tenant.id, "amy")
    client = login(make_user("amy@acme.test", tenant, role="employee", scope="mine", employee_id=amy.id))
    html = client.get("/t/acme/wecom/assignment/").get_data(as_text=True)
    assert f"Claim the customer 【{pool[0].name}】?" in html and "data-confirm=" in html  # js/filters.js asks
    response = client.post("/t/acme/wecom/assignment/claim", data={"customer_ids": [pool[0].id]})
    assert response.status_code == 302
    assert owner_of(db, pool[0].id) == amy.id
    record, = records_of(db, tenant.id, customer_id=pool[0].id)
    assert (record.kind, record.status, record.takeover_employee_id) == ("pool_claim", "taken_over", amy.id)
    assert record.assigned_at is not None
    assert _ids(client.get("/t/acme/wecom/assignment/").get_data(as_text=True)) == {pool[1].id}


def test_claim_without_a_linked_employee_is_refused(db, tenant, assignment_corp, make_user, login):
    pool = pool_customers(db, tenant, members=1, non_members=0)
    client = login(make_user("ops@acme.test", tenant, role="operator"))
    response = client.post("/t/acme/wecom/assignment/claim", data={"customer_ids": [pool[0].id]})
    assert response.status_code == 400
    assert "not linked to an employee" in response.get_data(as_text=True)
    assert owner_of(db, pool[0].id) is None


def test_assign_requires_customers_and_employees(db, tenant, assignment_corp, make_user, login):
    pool = pool_customers(db, tenant, members=1, non_members=0)
    amy = employee(db, tenant.id, "amy")
    client = login(make_user("ops@acme.test", tenant, role="tenant_admin"))
    no_employee = client.post("/t/acme/wecom/assignment/assign", data={"customer_ids": [pool[0].id]})
    assert no_employee.status_code == 400
    assert "Choose at least one employee" in no_employee.get_data(as_text=True)
    no_customer = client.post("/t/acme/wecom/assignment/assign", data={"employee_ids": [amy.id], "confirm": "1"})
    assert no_customer.status_code == 400
    assert "Choose at least one customer" in no_customer.get_data(as_text=True)
    assert owner_of(db, pool[0].id) is None and records_of(db, tenant.id) == []


def test_assign_ten_over_three_employees_splits_4_3_3(db, tenant, assignment_corp, make_user, login):
    pool = pool_customers(db, tenant, members=6, non_members=4)
    staff = [employee(db, tenant.id, u) for u in ("amy", "ben", "fay")]
    client = login(make_user("ops@acme.test", tenant, role="tenant_admin"))
    form = {"customer_ids": [c.id for c in pool], "employee_ids": [e.id for e in staff]}
    preview = client.post("/t/acme/wecom/assignment/assign", data=form)
    assert preview.status_code == 200
    html = preview.get_data(as_text=True)
    assert "Selected records 10, selected members 3, expected to assign 10" in html
    assert owner_of(db, pool[0].id) is None  # the dialog changes nothing
    done = client.post("/t/acme/wecom/assignment/assign", data={**form, "confirm": "1"})
    assert done.status_code == 302
    db.expire_all()
    owners = [owner_of(db, c.id) for c in pool]
    assert [owners.count(e.id) for e in staff] == [4, 3, 3]
    records = records_of(db, tenant.id, kind="pool_assign")
    assert len(records) == 10 and {r.status for r in records} == {"taken_over"}
    assert "0 customers (members 0, non-members 0)" in client.get("/t/acme/wecom/assignment/").get_data(as_text=True)


def test_assign_refuses_an_employee_who_left(db, tenant, assignment_corp, make_user, login, wsgi_http, worker):
    from wecom_assignment_fixtures import resign_eve

    account, control = assignment_corp
    eve = resign_eve(db, wsgi_http, worker, account, control)
    pool = pool_customers(db, tenant, members=1, non_members=0)
    client = login(make_user("ops@acme.test", tenant, role="tenant_admin"))
    response = client.post("/t/acme/wecom/assignment/assign",
                           data={"customer_ids": [pool[0].id], "employee_ids": [eve.id], "confirm": "1"})
    assert response.status_code == 400 and "not an active employee" in response.get_data(as_text=True)


def test_pool_is_per_tenant(db, tenant, other_tenant, assignment_corp, enable_plugins, make_user, login):
    mine = pool_customers(db, tenant, members=1, non_members=0)
    enable_plugins(other_tenant, "wecom", "members")
    theirs = pool_customers(db, other_tenant, members=1, non_members=1)
    amy = employee(db, tenant.id, "amy")
    client = login(make_user("ops@acme.test", tenant, role="tenant_admin"))
    html = client.get("/t/acme/wecom/assignment/").get_data(as_text=True)
    assert _ids(html) == {mine[0].id}
    claimed = client.post("/t/acme/wecom/assignment/assign",
                          data={"customer_ids": [theirs[0].id], "employee_ids": [amy.id], "confirm": "1"})
    assert claimed.status_code == 400  # another tenant's id matches nothing here
    claimed = client.post("/t/acme/wecom/assignment/claim", data={"customer_ids": [theirs[1].id]})
    assert claimed.status_code == 400
    db.expire_all()
    assert {db.get(Customer, c.id).owner_employee_id for c in theirs} == {None}
    assert records_of(db, other_tenant.id) == [] and records_of(db, tenant.id) == []
    assert client.get("/t/globex/wecom/assignment/").status_code in (403, 404)
