# ruff: noqa: F811  (pytest fixtures imported from the helper modules are redefined as test arguments)
"""Giving customers a member level (spec A §2.1, §3.1, §3.3; spec B member level in lists): in bulk from the list
(ticked rows or the whole filter), on the customer form, from the profile, through the API and the customer import;
the list column and filter (is any of / is empty / is not empty), the profile header "level · valid until /
permanent", an expired level reading as no level, a merge, and tenant isolation of each."""

from __future__ import annotations

import csv
import io
from datetime import date, timedelta
from urllib.parse import urlencode

from members_levels_fixtures import give_level, level  # noqa: F401
from members_loyalty_fixtures import admin, bearer, customer, loyalty_tenant  # noqa: F401
from scrm_members.customers.models import ImportJob
from scrm_members.loyalty import levels
from scrm_members.loyalty.models import CustomerLevel
from sqlmodel import select

from scrm.core.models import Customer, CustomerEvent, CustomerIdentity

LIST = "/t/acme/members/customers/"
ASSIGN = "/t/acme/members/levels/assign"


def listed(page: str) -> str:
    """The number the list's count line starts with."""
    return page.split('data-testid="customer-count">', 1)[1].split()[0]


def held(db, customer_row) -> tuple[int, date | None] | None:
    db.commit()
    row = db.exec(select(CustomerLevel).where(CustomerLevel.customer_id == customer_row.id)).first()
    db.commit()
    return None if row is None else (row.level_id, row.valid_until)


def test_bulk_assignment_from_the_list_for_ticked_rows_and_for_the_filter(client, admin, loyalty_tenant, level,
                                                                         customer, db):
    gold = level(loyalty_tenant, "Gold", rank=2, months=12)
    ann, bob, cy = (customer(loyalty_tenant, n) for n in ("Ann", "Bob", "Cy"))
    form = client.post(ASSIGN, data={"customer_id": [ann.id, bob.id], "step": "choose"})
    assert form.status_code == 200 and "2 customers selected" in form.get_data(as_text=True)
    done = client.post(ASSIGN, data={"customer_id": [ann.id, bob.id], "level_id": gold.id, "validity": "default"})
    assert done.status_code == 302
    assert held(db, ann) == (gold.id, levels.add_months(levels.today(), 12)) == held(db, bob)
    assert held(db, cy) is None
    # everything the list's filter matches: customers without a level
    client.post(ASSIGN, data={"scope": "filter", "filter_qs": urlencode({"f_member_level": "none"}),
                              "level_id": gold.id, "validity": "permanent"})
    assert held(db, cy) == (gold.id, None) and held(db, ann)[1] is not None
    # no level removes it
    client.post(ASSIGN, data={"customer_id": ann.id, "level_id": ""})
    assert held(db, ann) is None
    db.commit()
    kinds = db.exec(select(CustomerEvent.summary).where(CustomerEvent.customer_id == ann.id,
                                                        CustomerEvent.kind == "level_changed")).all()
    assert len(kinds) == 2 and kinds[-1] == "member level removed"


def test_the_bulk_form_checks_the_level_and_the_date(client, admin, loyalty_tenant, other_tenant, level, customer,
                                                    db):
    gold = level(loyalty_tenant, "Gold")
    foreign = level(other_tenant, "Globex VIP")
    ann = customer(loyalty_tenant, "Ann")
    past = (levels.today() - timedelta(days=1)).isoformat()
    cases = [({"level_id": foreign.id}, "error-level_id"),
             ({"level_id": gold.id, "validity": "until", "valid_until": past}, "error-valid_until"),
             ({"level_id": gold.id, "validity": "until", "valid_until": ""}, "error-valid_until")]
    for data, testid in cases:
        response = client.post(ASSIGN, data={"customer_id": ann.id, **data})
        assert response.status_code == 422 and f'data-testid="{testid}"' in response.get_data(as_text=True), data
    assert held(db, ann) is None


def test_the_list_shows_the_level_column_and_filters_by_level(client, admin, loyalty_tenant, level, give_level,
                                                             customer):
    gold, silver = level(loyalty_tenant, "Gold", rank=2), level(loyalty_tenant, "Silver", rank=1)
    until = levels.today() + timedelta(days=30)
    give_level(customer(loyalty_tenant, "Ann"), gold, until)
    give_level(customer(loyalty_tenant, "Bob"), silver)
    give_level(customer(loyalty_tenant, "Old"), silver, until=levels.today() - timedelta(days=1))
    customer(loyalty_tenant, "Cy")
    page = client.get(LIST).get_data(as_text=True)
    assert "Member level" in page and until.isoformat() in page and "Permanent" in page

    def count(*values: str) -> str:
        body = client.get(LIST, query_string={"f_member_level": list(values)}).get_data(as_text=True)
        return listed(body)

    assert count("any") == "2" and count("none") == "2"  # Old's level expired: no level
    assert count(str(gold.id)) == "1" and count(str(gold.id), str(silver.id)) == "2"
    assert count("none", str(gold.id)) == "3"
    exported = list(csv.reader(io.StringIO(client.get(LIST + "export.csv").get_data(as_text=True).lstrip("\ufeff"))))
    column = exported[0].index("Member level")
    assert {(r[1], r[column], r[column + 1]) for r in exported[1:]} == {
        ("Ann", "Gold", until.isoformat()), ("Bob", "Silver", "Permanent"), ("Old", "", ""), ("Cy", "", "")}


def test_the_customer_form_sets_changes_and_keeps_the_level(client, admin, loyalty_tenant, level, customer, db):
    gold = level(loyalty_tenant, "Gold", months=6)
    created = client.post("/t/acme/members/customers/new", data={
        "name": "Ann", "gender": "0", "mobiles": "13800000001", "level_id": gold.id, "validity": "permanent"})
    assert created.status_code == 302
    db.commit()
    ann = db.exec(select(Customer).where(Customer.name == "Ann")).one()
    assert held(db, ann) == (gold.id, None)
    edit = client.get(f"/t/acme/members/customers/{ann.id}/edit").get_data(as_text=True)
    assert f'<option value="{gold.id}" selected>' in edit
    until = (levels.today() + timedelta(days=10)).isoformat()
    base = {"name": "Ann", "gender": "0", "mobiles": "13800000001", "level_id": gold.id}
    assert client.post(f"/t/acme/members/customers/{ann.id}/edit",
                       data={**base, "validity": "until", "valid_until": until}).status_code == 302
    assert held(db, ann) == (gold.id, date.fromisoformat(until))
    bad = client.post(f"/t/acme/members/customers/{ann.id}/edit",
                      data={**base, "validity": "until", "valid_until": "2001-01-01"})
    assert bad.status_code == 422 and 'data-testid="error-valid_until"' in bad.get_data(as_text=True)
    assert held(db, ann) == (gold.id, date.fromisoformat(until))


def test_the_profile_header_shows_the_level_and_its_validity(client, admin, loyalty_tenant, level, give_level,
                                                            customer):
    gold = level(loyalty_tenant, "钻石卡会员")
    ann, bob = customer(loyalty_tenant, "Ann"), customer(loyalty_tenant, "Bob")
    give_level(ann, gold)
    give_level(bob, gold, until=levels.today() - timedelta(days=1))
    page = client.get(f"/t/acme/members/customers/{ann.id}").get_data(as_text=True)
    badge = page.split('data-testid="member-level">', 1)[1].split("</span>", 1)[0]
    assert "钻石卡会员" in badge and "Valid: permanent" in badge
    set_level = page.split('action="/t/acme/members/levels/assign"', 1)[1].split("</form>", 1)[0]
    assert f'name="customer_id" value="{ann.id}"' in set_level and 'name="step" value="choose"' in set_level
    expired = client.get(f"/t/acme/members/customers/{bob.id}").get_data(as_text=True)
    assert "No member level" in expired.split('data-testid="member-level">', 1)[1].split("</span>", 1)[0]


def test_a_merge_keeps_the_survivors_level_or_takes_the_merged_one(client, admin, loyalty_tenant, level, give_level,
                                                                  customer, db):
    gold, silver = level(loyalty_tenant, "Gold", rank=2), level(loyalty_tenant, "Silver", rank=1)
    a, b = customer(loyalty_tenant, "A", mobile="13800000001"), customer(loyalty_tenant, "B")
    give_level(a, gold)
    assert client.post("/t/acme/members/customers/merge", data={"a": a.id, "b": b.id, "primary": "b"}).status_code \
        == 302
    assert held(db, b) == (gold.id, None) and held(db, a) is None
    c = customer(loyalty_tenant, "C", mobile="13800000003")
    give_level(c, silver)
    client.post("/t/acme/members/customers/merge", data={"a": c.id, "b": b.id, "primary": "b"})
    assert held(db, b) == (gold.id, None) and held(db, c) is None


def test_other_tenants_customers_and_levels_are_out_of_reach(client, admin, loyalty_tenant, other_tenant, level,
                                                            give_level, customer, db):
    gold = level(loyalty_tenant, "Gold")
    theirs = customer(other_tenant, "Zed")
    response = client.post(ASSIGN, data={"customer_id": theirs.id, "level_id": gold.id})
    assert response.status_code == 422 and "Choose at least one customer." in response.get_data(as_text=True)
    assert held(db, theirs) is None
    their_level = level(other_tenant, "Globex VIP")
    give_level(theirs, their_level)
    assert "Globex VIP" not in client.get(LIST).get_data(as_text=True)
    assert listed(client.get(LIST, query_string={"f_member_level": "any"}).get_data(as_text=True)) == "0"


# -- API -------------------------------------------------------------------------------------------------------------


def test_the_api_reads_sets_and_removes_a_customers_level(client, loyalty_tenant, api_token, level, customer, db):
    headers = bearer(api_token(loyalty_tenant))
    gold = level(loyalty_tenant, "Gold", months=3)
    ann = customer(loyalty_tenant, "Ann")
    url = f"/api/v1/members/customers/{ann.id}/level"
    assert client.get(url, headers=headers).get_json()["level"] is None
    by_name = client.put(url, json={"level": "gold"}, headers=headers).get_json()
    assert by_name["level"] == "Gold" and by_name["valid_until"] == levels.add_months(levels.today(), 3).isoformat()
    permanent = client.put(url, json={"level_id": gold.id, "valid_until": "permanent"}, headers=headers).get_json()
    assert permanent["permanent"] is True and permanent["valid_until"] is None
    bad = client.put(url, json={"level_id": gold.id, "valid_until": "yesterday"}, headers=headers)
    assert bad.status_code == 422 and "valid_until" in bad.get_json()["error"]["fields"]
    unknown = client.put(url, json={"level": "Platinum"}, headers=headers)
    assert unknown.status_code == 422
    assert client.delete(url, headers=headers).get_json()["level"] is None
    assert held(db, ann) is None


def test_the_api_assigns_in_bulk_and_stays_in_its_tenant(client, loyalty_tenant, other_tenant, api_token, level,
                                                        customer, db):
    headers = bearer(api_token(loyalty_tenant))
    gold = level(loyalty_tenant, "Gold")
    foreign_level = level(other_tenant, "Globex VIP")
    ann, bob, zed = customer(loyalty_tenant, "Ann"), customer(loyalty_tenant, "Bob"), customer(other_tenant, "Zed")
    mixed = client.post("/api/v1/members/levels/assignments", json={"customer_ids": [ann.id, zed.id],
                                                                     "level_id": gold.id}, headers=headers)
    assert mixed.status_code == 422 and held(db, ann) is None and held(db, zed) is None
    done = client.post("/api/v1/members/levels/assignments", json={"customer_ids": [ann.id, bob.id],
                                                                    "level_id": gold.id}, headers=headers)
    assert done.status_code == 201 and done.get_json() == {"customers": 2}
    assert held(db, bob) == (gold.id, None)
    assert client.get(f"/api/v1/members/customers/{zed.id}/level", headers=headers).status_code == 404
    assert client.put(f"/api/v1/members/customers/{zed.id}/level", json={"level_id": gold.id},
                      headers=headers).status_code == 404
    assert client.put(f"/api/v1/members/customers/{ann.id}/level", json={"level_id": foreign_level.id},
                      headers=headers).status_code == 404


# -- customer import -------------------------------------------------------------------------------------------------


def test_the_customer_import_reads_a_level_column_by_name(client, admin, loyalty_tenant, level, customer, worker, db):
    gold = level(loyalty_tenant, "Gold", months=12)
    known = customer(loyalty_tenant, "Known", mobile="13800000002")
    db.add(CustomerIdentity(tenant_id=loyalty_tenant.id, customer_id=known.id, kind="mobile", value="13800000002"))
    db.commit()
    until = (levels.today() + timedelta(days=40)).isoformat()
    rows = [["姓名", "手机号", "会员等级", "等级有效期"], ["Ann", "13800000001", "gold", "永久有效"],
            ["Known", "13800000002", "Gold", until], ["Cy", "13800000003", "Platinum", ""],
            ["Di", "13800000004", "Gold", "2001-01-01"], ["Ed", "13800000005", "", ""]]
    buffer = io.StringIO()
    csv.writer(buffer).writerows(rows)
    upload = client.post("/t/acme/members/customers/import",
                         data={"file": (io.BytesIO(buffer.getvalue().encode()), "c.csv")},
                         content_type="multipart/form-data")
    assert upload.status_code == 302
    db.commit()
    job = db.exec(select(ImportJob).order_by(ImportJob.id.desc())).first()
    assert job.mapping == {"0": "name", "1": "mobile", "2": "member_level", "3": "level_valid_until"}
    db.commit()
    client.post(f"/t/acme/members/customers/import/{job.id}", data={f"col_{i}": k for i, k in job.mapping.items()})
    worker.join()
    db.refresh(job)
    assert (job.valid_rows, job.error_rows) == (3, 2)
    assert {e["column"] for e in job.errors} == {"会员等级", "等级有效期"}
    db.commit()
    client.post(f"/t/acme/members/customers/import/{job.id}/apply")
    worker.join()
    db.commit()
    by_name = {c.name: c for c in db.exec(select(Customer).where(Customer.tenant_id == loyalty_tenant.id))}
    assert held(db, by_name["Ann"]) == (gold.id, None)
    assert held(db, known) == (gold.id, date.fromisoformat(until))
    assert held(db, by_name["Ed"]) is None and set(by_name) == {"Ann", "Known", "Ed"}


def test_deleting_a_customer_erases_its_level(client, admin, loyalty_tenant, level, give_level, customer, db):
    ann = customer(loyalty_tenant, "Ann")
    give_level(ann, level(loyalty_tenant, "Gold"))
    response = client.post(f"/t/acme/members/customers/{ann.id}/delete", data={"confirm": "yes"})
    assert response.status_code == 302
    db.commit()
    assert db.exec(select(CustomerLevel)).all() == []
