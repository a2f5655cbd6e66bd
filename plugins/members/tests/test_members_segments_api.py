# ruff: noqa: F811  (pytest fixtures imported from the area helper module are redefined as test arguments)
"""The segments area's REST API: tag categories and tags with validation, tagging a customer, segments with a live
count, keyset members and refresh, the blacklist; every endpoint refuses another tenant's rows."""

from __future__ import annotations

from members_segments_fixtures import add_category, add_customer, add_tag, bearer, members_tenant  # noqa: F401
from scrm_members.segments.models import Segment, SegmentCategory

API = "/api/v1/members"


def test_tag_categories_and_tags_are_created_with_validation(client, members_tenant, api_token):
    auth = bearer(api_token(members_tenant))
    created = client.post(f"{API}/tag-categories", json={"name": "VIP"}, headers=auth)
    assert created.status_code == 201
    assert client.post(f"{API}/tag-categories", json={"name": "VIP"}, headers=auth).status_code == 422
    category_id = created.get_json()["id"]
    too_long = client.post(f"{API}/tags", json={"category_id": category_id, "names": ["x" * 16]}, headers=auth)
    assert too_long.status_code == 422 and too_long.get_json()["error"]["fields"]["name"]
    ok = client.post(f"{API}/tags", json={"category_id": category_id, "names": ["Gold", "Silver"]}, headers=auth)
    assert ok.status_code == 201 and len(ok.get_json()["items"]) == 2
    assert {t["name"] for t in client.get(f"{API}/tags", headers=auth).get_json()["items"]} == {"Gold", "Silver"}


def test_tags_are_applied_and_removed_on_a_customer(client, members_tenant, other_tenant, api_token, add_category,
                                                    add_tag, add_customer):
    auth = bearer(api_token(members_tenant))
    tag = add_tag(add_category(members_tenant, "Manual"), "Gold")
    anna = add_customer(members_tenant, "Anna")
    assert client.post(f"{API}/customers/{anna.id}/tags", json={"tag_ids": [tag.id]}, headers=auth).get_json() \
        == {"added": 1}
    assert client.delete(f"{API}/customers/{anna.id}/tags", json={"tag_ids": [tag.id]}, headers=auth).get_json() \
        == {"removed": 1}
    gina = add_customer(other_tenant, "Gina")
    theirs = add_tag(add_category(other_tenant, "Theirs"), "Theirs")
    assert client.post(f"{API}/customers/{gina.id}/tags", json={"tag_ids": [tag.id]}, headers=auth).status_code == 422
    assert client.post(f"{API}/customers/{anna.id}/tags", json={"tag_ids": [theirs.id]},
                       headers=auth).status_code == 422


def test_segments_are_created_counted_listed_and_refreshed(client, members_tenant, other_tenant, api_token,
                                                           add_customer, db):
    auth = bearer(api_token(members_tenant))
    category = SegmentCategory(tenant_id=members_tenant.id, kind="dynamic", name="API")
    db.add(category)
    db.commit()
    people = [add_customer(members_tenant, f"M{i}", is_member=True) for i in range(3)]
    add_customer(other_tenant, "Other", is_member=True)
    rule = {"conditions": [{"type": "member", "values": ["true"]}]}
    bad = client.post(f"{API}/segments", json={"name": "", "category_id": category.id, "kind": "dynamic",
                                               "rule": rule}, headers=auth)
    assert bad.status_code == 422 and "name" in bad.get_json()["error"]["fields"]
    created = client.post(f"{API}/segments", json={"name": "Members", "category_id": category.id,
                                                   "kind": "dynamic", "rule": rule}, headers=auth)
    assert created.status_code == 201 and created.get_json()["member_count"] == 3
    segment_id = created.get_json()["id"]
    add_customer(members_tenant, "M3", is_member=True)
    assert client.get(f"{API}/segments/{segment_id}/count", headers=auth).get_json()["count"] == 4
    first = client.get(f"{API}/segments/{segment_id}/members?limit=2", headers=auth).get_json()
    assert len(first["items"]) == 2 and first["next_cursor"]
    rest = client.get(f"{API}/segments/{segment_id}/members?limit=2&cursor={first['next_cursor']}",
                      headers=auth).get_json()
    assert {i["id"] for i in first["items"] + rest["items"]} == {p.id for p in people}
    assert client.post(f"{API}/segments/{segment_id}/refresh", headers=auth).get_json()["member_count"] == 4
    assert [s["id"] for s in client.get(f"{API}/segments", headers=auth).get_json()["items"]] == [segment_id]


def test_the_blacklist_api_adds_lists_and_removes(client, members_tenant, api_token, add_customer):
    auth = bearer(api_token(members_tenant))
    anna = add_customer(members_tenant, "Anna")
    assert client.post(f"{API}/blacklist", json={"customer_ids": [anna.id]}, headers=auth).status_code == 422
    assert client.post(f"{API}/blacklist", json={"customer_ids": [anna.id], "reason": "Fraud"},
                       headers=auth).get_json() == {"added": 1}
    assert [e["customer_id"] for e in client.get(f"{API}/blacklist", headers=auth).get_json()["items"]] == [anna.id]
    assert client.delete(f"{API}/blacklist/{anna.id}", headers=auth).status_code == 200
    assert client.get(f"{API}/blacklist", headers=auth).get_json()["items"] == []
    assert len(client.get(f"{API}/blacklist?history=1", headers=auth).get_json()["items"]) == 1


def test_another_tenants_token_reaches_none_of_these_rows(client, members_tenant, other_tenant, api_token,
                                                           add_customer, db):
    category = SegmentCategory(tenant_id=members_tenant.id, kind="static", name="Mine")
    db.add(category)
    db.commit()
    segment = Segment(tenant_id=members_tenant.id, category_id=category.id, name="Mine", kind="static",
                      mode="manual")
    db.add(segment)
    db.commit()
    anna = add_customer(members_tenant, "Anna")
    client.post(f"{API}/blacklist", json={"customer_ids": [anna.id], "reason": "x"},
                headers=bearer(api_token(members_tenant)))
    theirs = bearer(api_token(other_tenant, "globex"))
    for path in (f"/segments/{segment.id}/count", f"/segments/{segment.id}/members"):
        assert client.get(f"{API}{path}", headers=theirs).status_code == 404
    assert client.post(f"{API}/segments/{segment.id}/refresh", headers=theirs).status_code == 404
    assert client.get(f"{API}/segments", headers=theirs).get_json()["items"] == []
    assert client.get(f"{API}/blacklist", headers=theirs).get_json()["items"] == []
    assert client.delete(f"{API}/blacklist/{anna.id}", headers=theirs).status_code == 404
    assert client.post(f"{API}/segments", json={"name": "x", "category_id": category.id, "kind": "static",
                                                 "mode": "manual"}, headers=theirs).status_code == 422
