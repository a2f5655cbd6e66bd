"""The Unassigned tab's list (spec 3.1, 5, acceptance 1-4): the columns, member type / level / stage from the
``customer_columns`` hook (absent with members off), the filters (exact customers per filter), "New customer"
through the members' form, the claim (claimed time, the row button claims its row only, a customer taken meanwhile
is skipped) and the assign dialog's "selected X" before the pool check."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime

import pytest
from scrm_wecom.assignment import pool as pool_module
from sqlmodel import select
from wecom_assignment_fixtures import *  # noqa: F403
from wecom_assignment_fixtures import customer_of, employee, owner_of, pool_customers, records_of

from scrm.sdk import Customer, CustomerIdentity, Department, mask_mobile

BASE = "/t/acme/wecom/assignment/"


def _ids(html: str) -> set[int]:
    return {int(i) for i in re.findall(r'data-customer-id="(\d+)"', html)}


def _admin(make_user, login, tenant):
    return login(make_user("admin@acme.test", tenant, role="tenant_admin"))


def _row(html: str, customer_id: int) -> str:
    start = html.index(f'data-customer-id="{customer_id}"')
    return html[start:html.index("</tr>", start)]


def _level(db, tenant_id: int, customer_ids: list[int], name: str, until: date | None = None) -> int:
    levels = pytest.importorskip("scrm_members.loyalty.levels")
    level = levels.save_level(db, tenant_id, {"name": name, "rank": len(levels.ladder(db, tenant_id)) + 1})
    levels.assign(db, tenant_id, customer_ids, level, until, "test")
    db.commit()
    return level.id


def _stage(db, worker, tenant_id: int, customer_id: int, name: str) -> None:
    from wecom_churn_fixtures import set_stage

    set_stage(db, tenant_id, customer_id, name)
    worker.join()  # the stage change's event is handled before the test writes again
    db.commit()


def test_pool_rows_show_the_spec_columns_with_members_values(db, tenant, assignment_live, make_user, login, worker):
    client = _admin(make_user, login, tenant)
    ann, bea = pool_customers(db, tenant, members=1, non_members=1)
    row = db.get(Customer, ann.id)
    row.gender, row.mobile = 2, "13800000001"
    db.commit()
    _level(db, tenant.id, [ann.id], "Gold", until=date(2031, 5, 31))
    _stage(db, worker, tenant.id, ann.id, "意向客户")
    html = client.get(BASE).get_data(as_text=True)
    header = html[html.index("<thead>"):html.index("</thead>")]
    for title in ("No.", "Name", "Member type", "Member level", "Gender", "Mobile", "Source", "Current stage",
                  "Owner guide", "Actions"):
        assert f">{title}<" in header, title
    ann_row = _row(html, ann.id)
    assert ">Member<" in ann_row and "Gold (until 2031-05-31)" in ann_row and ">Female<" in ann_row
    assert mask_mobile("13800000001") in ann_row and ">意向客户<" in ann_row  # the tenant masks mobiles and ">manual<" in ann_row
    assert f'href="/t/acme/members/customers/{ann.id}"' in ann_row  # Detail: the members 360 profile
    assert f'href="/t/acme/members/customers/{ann.id}/edit"' in ann_row
    assert f'href="/t/acme/members/customers/{ann.id}/delete"' in ann_row  # More → Delete (its confirmation page)
    assert f'form="assign-{ann.id}"' in ann_row and f'form="claim-{ann.id}"' in ann_row
    bea_row = _row(html, bea.id)
    assert ">Non-member<" in bea_row and 'data-column="member_level"></td>' in bea_row


def test_pool_renders_without_the_members_columns_when_members_is_off(db, tenant, enable_plugins, make_user, login):
    enable_plugins(tenant, "wecom")  # members never enabled
    ann, = pool_customers(db, tenant, members=1, non_members=0)
    page = _admin(make_user, login, tenant).get(BASE)
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert _ids(html) == {ann.id}
    header = html[html.index("<thead>"):html.index("</thead>")]
    assert "Member level" not in header and "Current stage" not in header
    assert "/members/customers/" not in html and 'data-testid="new-customer"' not in html  # no dead links


def test_pool_filters_select_exactly_the_matching_customers(db, tenant, assignment_live, make_user, login):
    rows = pool_customers(db, tenant, members=2, non_members=3)
    m0, m1, n2, n3, n4 = rows
    values = {m0.id: dict(gender=1, source="mall"), m1.id: dict(gender=2), n2.id: dict(gender=2, source="import"),
              n3.id: dict(gender=0), n4.id: dict(gender=1)}
    for cid, fields in values.items():
        row = db.get(Customer, cid)
        for key, value in fields.items():
            setattr(row, key, value)
    db.get(Customer, n3.id).created_at = datetime(2024, 3, 9, 16, 30, tzinfo=UTC)  # 2024-03-10 00:30 in Shanghai
    db.get(Customer, n4.id).created_at = datetime(2024, 3, 10, 16, 30, tzinfo=UTC)  # 2024-03-11 00:30 in Shanghai
    db.add(CustomerIdentity(tenant_id=tenant.id, customer_id=n2.id, kind="mobile", value="13911112222"))
    db.commit()
    gold = _level(db, tenant.id, [m1.id], "Gold")
    client = _admin(make_user, login, tenant)

    def listed(query: str) -> set[int]:
        response = client.get(f"{BASE}?{query}")
        assert response.status_code == 200
        return _ids(response.get_data(as_text=True))

    assert listed("member=1") == {m0.id, m1.id}
    assert listed("member=0") == {n2.id, n3.id, n4.id}
    assert listed(f"level={gold}") == {m1.id}
    assert listed("gender=2") == {m1.id, n2.id}
    assert listed("gender=0") == {n3.id}
    assert listed("source=mall") == {m0.id}
    assert listed("field=mobile&q=1111") == {n2.id}
    assert listed("created_from=2024-03-10&created_to=2024-03-10") == {n3.id}  # Asia/Shanghai days
    assert listed("type=other") == {c.id for c in rows}  # none of them is a WeCom friend
    assert listed("type=wecom_friend") == set()


def test_pool_customer_type_and_store_filters_use_wecom_friendships(db, tenant, assignment_live, make_user, login):
    from scrm_wecom.sync.models import Follow

    ann = customer_of(db, tenant.id, "wmAnn")  # Amy's friend, Shanghai store
    bo = customer_of(db, tenant.id, "wmBo")
    for customer in (ann, bo):
        db.get(Customer, customer.id).owner_employee_id = None  # both back in the pool
    db.commit()
    fay = employee(db, tenant.id, "fay")  # Beijing store
    follow = db.exec(select(Follow).where(Follow.customer_id == bo.id)).one()
    follow.employee_id, follow.userid = fay.id, "fay"
    db.commit()
    plain, = pool_customers(db, tenant, members=0, non_members=1)
    client = _admin(make_user, login, tenant)
    assert _ids(client.get(f"{BASE}?type=wecom_friend").get_data(as_text=True)) == {ann.id, bo.id}
    assert _ids(client.get(f"{BASE}?type=other").get_data(as_text=True)) == {plain.id}
    shanghai = db.get(Department, employee(db, tenant.id, "amy").department_id)
    assert _ids(client.get(f"{BASE}?department={shanghai.id}").get_data(as_text=True)) == {ann.id}


def test_new_customer_from_the_pool_lands_in_the_pool(db, tenant, assignment_live, make_user, login, worker):
    """Acceptance 1: "New customer" on the Unassigned tab opens the members form with "without an owner" ticked; the
    customer is created with no owner (even by an admin linked to an employee) and is in the pool."""
    amy = employee(db, tenant.id, "amy")
    db.commit()
    client = login(make_user("admin@acme.test", tenant, role="tenant_admin", employee_id=amy.id))
    html = client.get(BASE).get_data(as_text=True)
    assert 'data-testid="new-customer"' in html and 'href="/t/acme/members/customers/new?unassigned=1"' in html
    form = client.get("/t/acme/members/customers/new?unassigned=1").get_data(as_text=True)
    assert re.search(r'name="unassigned" data-testid="unassigned"\s+checked', form)
    response = client.post("/t/acme/members/customers/new", data={"name": "Walk-in Wu", "mobiles": "13700000009",
                                                                  "gender": "1", "unassigned": "on"})
    assert response.status_code == 302
    created = db.exec(select(Customer).where(Customer.tenant_id == tenant.id, Customer.name == "Walk-in Wu")).one()
    created_id, created_owner = created.id, created.owner_employee_id
    db.commit()
    assert created_owner is None
    worker.join()  # the creation's events
    html = client.get(BASE).get_data(as_text=True)
    assert _ids(html) == {created_id}
    assert "1 customers (members 0, non-members 1)" in html
    # without the box the admin's own employee owns the customer, and it is not in the pool
    client.post("/t/acme/members/customers/new", data={"name": "Own Ou", "mobiles": "13700000010", "gender": "1"})
    owned = db.exec(select(Customer).where(Customer.tenant_id == tenant.id, Customer.name == "Own Ou")).one()
    owned_owner, amy_id = owned.owner_employee_id, amy.id
    db.commit()
    assert owned_owner == amy_id and _ids(client.get(BASE).get_data(as_text=True)) == {created_id}


def test_fields_required_for_unassigned_users_apply_only_without_an_owner(db, tenant, assignment_live, make_user,
                                                                         login, worker):
    """A custom field marked "required for unassigned users" (是否待分配用户必填) must be filled when the customer goes
    into the pool, and not otherwise; a refused form creates nothing."""
    from scrm_members.customers.models import CustomField

    db.add(CustomField(tenant_id=tenant.id, name="到店门店", field_type="single_line_text", enabled=True,
                       required_unassigned=True))
    db.commit()
    field = db.exec(select(CustomField).where(CustomField.tenant_id == tenant.id)).one()
    amy = employee(db, tenant.id, "amy")
    db.commit()
    client = login(make_user("admin@acme.test", tenant, role="tenant_admin", employee_id=amy.id))
    refused = client.post("/t/acme/members/customers/new", data={"name": "Pool Pan", "mobiles": "13700000011",
                                                                 "gender": "0", "unassigned": "on"})
    assert refused.status_code == 422
    assert db.exec(select(Customer).where(Customer.tenant_id == tenant.id, Customer.name == "Pool Pan")).first() is None
    db.commit()
    accepted = client.post("/t/acme/members/customers/new", data={
        "name": "Pool Pan", "mobiles": "13700000011", "gender": "0", "unassigned": "on", field.key: "静安店"})
    assert accepted.status_code == 302
    worker.join()
    owned = client.post("/t/acme/members/customers/new", data={"name": "Own Ou", "mobiles": "13700000012",
                                                               "gender": "0"})
    assert owned.status_code == 302


def test_claim_sets_the_claimed_time_to_now(db, tenant, assignment_live, make_user, login, monkeypatch):
    frozen = datetime(2025, 6, 1, 2, 3, 4, tzinfo=UTC)
    monkeypatch.setattr(pool_module, "utcnow", lambda: frozen)
    ann, = pool_customers(db, tenant, members=1, non_members=0)
    amy = employee(db, tenant.id, "amy")
    client = login(make_user("amy@acme.test", tenant, role="employee", scope="mine", employee_id=amy.id))
    assert client.post(f"{BASE}claim", data={"customer_ids": [ann.id]}).status_code == 302
    record, = records_of(db, tenant.id, customer_id=ann.id)
    assert record.assigned_at.replace(tzinfo=UTC) == frozen and owner_of(db, ann.id) == amy.id


def test_the_row_claim_button_claims_only_its_row(db, tenant, assignment_live, make_user, login):
    a, b, c = pool_customers(db, tenant, members=1, non_members=2)
    amy = employee(db, tenant.id, "amy")
    client = login(make_user("amy@acme.test", tenant, role="employee", scope="mine", employee_id=amy.id))
    html = client.get(BASE).get_data(as_text=True)
    row_form = html[html.index(f'id="claim-{c.id}"'):]
    row_form = row_form[:row_form.index("</form>")]
    assert re.findall(r'name="customer_ids" value="(\d+)"', row_form) == [str(c.id)]
    # the browser submits the row's own form; boxes A and B ticked in the list form are not part of it
    main = html[html.index('id="pool-form"'):html.index("</form>", html.index('id="pool-form"'))]
    assert f'form="claim-{c.id}"' in main and f'id="claim-{c.id}"' not in main
    assert client.post(f"{BASE}claim", data={"customer_ids": [c.id]}).status_code == 302
    assert [owner_of(db, x.id) for x in (a, b, c)] == [None, None, amy.id]


def test_claim_skips_a_customer_someone_else_took_meanwhile(db, tenant, assignment_live, make_user, login):
    a, b = pool_customers(db, tenant, members=1, non_members=1)
    amy, ben = employee(db, tenant.id, "amy"), employee(db, tenant.id, "ben")
    client = login(make_user("amy@acme.test", tenant, role="employee", scope="mine", employee_id=amy.id))
    client.get(BASE)
    db.get(Customer, b.id).owner_employee_id = ben.id  # Ben took B after Amy opened the page
    db.commit()
    response = client.post(f"{BASE}claim", data={"customer_ids": [a.id, b.id]}, follow_redirects=True)
    assert "1 customers claimed." in response.get_data(as_text=True)
    assert owner_of(db, a.id) == amy.id and owner_of(db, b.id) == ben.id
    assert [r.customer_id for r in records_of(db, tenant.id)] == [a.id]


def test_assign_dialog_counts_the_selection_before_the_pool_check(db, tenant, assignment_live, make_user, login):
    rows = pool_customers(db, tenant, members=2, non_members=2)
    amy, ben = employee(db, tenant.id, "amy"), employee(db, tenant.id, "ben")
    db.get(Customer, rows[0].id).owner_employee_id = ben.id  # taken meanwhile
    db.commit()
    client = _admin(make_user, login, tenant)
    html = client.post(f"{BASE}assign", data={"customer_ids": [c.id for c in rows],
                                              "employee_ids": [amy.id]}).get_data(as_text=True)
    assert "Selected records 4, selected members 1, expected to assign 3" in html
    single = client.post(f"{BASE}assign", data={"customer_ids": [rows[1].id], "pick": "1"})
    assert single.status_code == 200  # the row's "Assign": the dialog with the employee picker
    assert "Selected records 1, selected members 0, expected to assign 0" in single.get_data(as_text=True)
    assert owner_of(db, rows[1].id) is None


def test_pool_list_and_filters_are_per_tenant(db, tenant, other_tenant, assignment_live, enable_plugins, make_user,
                                              login):
    mine, = pool_customers(db, tenant, members=1, non_members=0)
    enable_plugins(other_tenant, "wecom", "members")
    theirs, = pool_customers(db, other_tenant, members=1, non_members=0)
    client = _admin(make_user, login, tenant)
    assert _ids(client.get(f"{BASE}?member=1&gender=0&type=other").get_data(as_text=True)) == {mine.id}
    assert _ids(client.get(f"{BASE}?q={theirs.name}").get_data(as_text=True)) == {mine.id}  # same name, other tenant
    single = client.post(f"{BASE}assign", data={"customer_ids": [theirs.id], "pick": "1"})
    assert "expected to assign 0" in single.get_data(as_text=True)
    assert owner_of(db, theirs.id) is None and records_of(db, other_tenant.id) == []
