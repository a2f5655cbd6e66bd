"""The REST API /api/v1: tokens, the OpenAPI document, tenants, customers (One-ID, pagination, update, merge)."""

from __future__ import annotations

import pytest
from sqlalchemy import func
from sqlmodel import select

from scrm.core.models import (
    ApiToken,
    AuditLog,
    Customer,
    CustomerEvent,
    CustomerIdentity,
    CustomerTag,
    Tag,
    TagGroup,
    Tenant,
)


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


@pytest.fixture
def headers(api_token, tenant):
    return bearer(api_token(tenant))


@pytest.fixture
def platform_headers(api_token):
    return bearer(api_token(None))


def count(db, model, *where) -> int:
    db.expire_all()
    return db.exec(select(func.count()).select_from(model).where(*where)).one()


def create(client, headers, **payload):
    return client.post("/api/v1/customers", json=payload, headers=headers)


# -- authentication ----------------------------------------------------------------------------------------------------


def test_request_without_token_is_401_with_json_error(client, tenant):
    response = client.get("/api/v1/customers")
    assert response.status_code == 401
    assert response.is_json
    assert set(response.json) == {"error"}
    assert {"code", "message"} <= set(response.json["error"])
    assert response.json["error"]["code"] == "unauthorized"


def test_revoked_token_is_401(client, db, tenant, api_token):
    token = api_token(tenant)
    assert client.get("/api/v1/tenant", headers=bearer(token)).status_code == 200
    row = db.exec(select(ApiToken)).one()
    row.revoked = True
    db.add(row)
    db.commit()
    response = client.get("/api/v1/tenant", headers=bearer(token))
    assert response.status_code == 401
    assert response.json["error"]["code"] == "unauthorized"


# -- OpenAPI -----------------------------------------------------------------------------------------------------------


def test_openapi_document_is_3_1_and_lists_host_paths_with_schemas(client):
    response = client.get("/api/v1/openapi.json")
    assert response.status_code == 200
    doc = response.json
    assert doc["openapi"].startswith("3.1")
    assert {"/customers", "/tenants", "/plugins"} <= set(doc["paths"])
    schemas = doc["components"]["schemas"]
    for path in ("/customers", "/tenants", "/plugins"):
        ok = doc["paths"][path]["get"]["responses"]["200"]
        ref = ok["content"]["application/json"]["schema"]["$ref"]
        assert ref.rsplit("/", 1)[-1] in schemas
    post = doc["paths"]["/customers"]["post"]
    assert post["requestBody"]["content"]["application/json"]["schema"]["$ref"].endswith("/CustomerIn")
    assert {"CustomerIn", "CustomerOut", "TenantIn", "TenantOut", "PluginOut", "Error"} <= set(schemas)


# -- tenants -----------------------------------------------------------------------------------------------------------


def test_platform_token_lists_tenants(client, tenant, other_tenant, platform_headers):
    response = client.get("/api/v1/tenants", headers=platform_headers)
    assert response.status_code == 200
    assert [t["slug"] for t in response.json["items"]] == ["acme", "globex"]


def test_platform_token_creates_a_tenant(client, db, platform_headers):
    response = client.post("/api/v1/tenants", json={"slug": "initech", "name": "Initech"}, headers=platform_headers)
    assert response.status_code == 201
    assert response.json["slug"] == "initech"
    assert count(db, Tenant, Tenant.slug == "initech") == 1


def test_creating_a_tenant_with_a_taken_slug_is_409(client, db, tenant, platform_headers):
    response = client.post("/api/v1/tenants", json={"slug": "acme", "name": "Another"}, headers=platform_headers)
    assert response.status_code == 409
    assert count(db, Tenant) == 1


@pytest.mark.parametrize("slug", ["Bad Slug!", "-acme", ""])
def test_creating_a_tenant_with_a_bad_slug_is_422(client, db, platform_headers, slug):
    response = client.post("/api/v1/tenants", json={"slug": slug, "name": "Bad"}, headers=platform_headers)
    assert response.status_code == 422
    assert count(db, Tenant) == 0


def test_tenant_token_gets_403_on_tenants(client, headers):
    assert client.get("/api/v1/tenants", headers=headers).status_code == 403
    response = client.post("/api/v1/tenants", json={"slug": "x", "name": "X"}, headers=headers)
    assert response.status_code == 403
    assert response.json["error"]["code"] == "platform_token_required"


# -- customers: create and One-ID ------------------------------------------------------------------------------------


def test_post_customer_creates_it(client, db, headers):
    response = create(client, headers, name="Alice", mobile="13800000001")
    assert response.status_code == 201
    assert response.json["created"] is True
    customer = response.json["customer"]
    assert customer["name"] == "Alice" and customer["mobile"] == "13800000001"
    assert {"kind": "mobile", "value": "13800000001"} in customer["identities"]
    assert count(db, Customer) == 1


def test_second_post_with_the_same_mobile_matches(client, db, headers):
    first = create(client, headers, name="Alice", mobile="13800000001").json["customer"]
    response = create(client, headers, name="Alice again", mobile="+86 138 0000 0001")
    assert response.status_code == 200
    assert response.json["created"] is False
    assert response.json["customer"]["id"] == first["id"]
    assert count(db, Customer) == 1


def test_unionid_takes_precedence_over_mobile(client, db, headers):
    by_unionid = create(client, headers, name="U", identities={"unionid": "o6_union"}).json["customer"]
    by_mobile = create(client, headers, name="M", mobile="13800000002").json["customer"]
    response = create(client, headers, mobile="13800000002", identities={"unionid": "o6_union"})
    assert response.status_code == 200
    assert response.json["customer"]["id"] == by_unionid["id"] != by_mobile["id"]
    assert count(db, Customer) == 2


def test_bad_mobile_is_422_with_field_error_and_writes_nothing(client, db, headers):
    response = create(client, headers, name="Bad", mobile="12345")
    assert response.status_code == 422
    assert "mobile" in response.json["error"]["fields"]
    assert count(db, Customer) == 0
    assert count(db, CustomerIdentity) == 0
    assert count(db, AuditLog) == 0


def test_invalid_json_is_400(client, db, headers):
    response = client.post("/api/v1/customers", data="{not json", headers={**headers,
                                                                          "Content-Type": "application/json"})
    assert response.status_code == 400
    assert response.json["error"]["code"] == "invalid_json"
    assert count(db, Customer) == 0


# -- customers: list, read, update -------------------------------------------------------------------------------------


def test_keyset_pagination_walks_every_customer_once(client, db, tenant, headers):
    db.add_all([Customer(tenant_id=tenant.id, name=f"c{i}") for i in range(7)])
    db.commit()
    seen, cursor, pages = [], None, 0
    while True:
        url = "/api/v1/customers?limit=3" + (f"&cursor={cursor}" if cursor else "")
        page = client.get(url, headers=headers).json
        assert len(page["items"]) <= 3
        seen += [c["id"] for c in page["items"]]
        pages += 1
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert pages == 3
    assert len(seen) == len(set(seen)) == 7
    assert seen == sorted(seen, reverse=True)


def test_patch_updates_a_customer(client, db, headers):
    cid = create(client, headers, name="Alice", mobile="13800000001").json["customer"]["id"]
    response = client.patch(f"/api/v1/customers/{cid}", json={"name": "Alice Li", "mobile": "13800000009"},
                            headers=headers)
    assert response.status_code == 200
    assert response.json["name"] == "Alice Li" and response.json["mobile"] == "13800000009"
    db.expire_all()
    assert db.get(Customer, cid).name == "Alice Li"
    assert db.exec(select(CustomerIdentity.value).where(CustomerIdentity.customer_id == cid)).all() == ["13800000009"]


def test_patch_with_a_mobile_of_another_customer_is_409_and_changes_nothing(client, db, headers):
    alice = create(client, headers, name="Alice", mobile="13800000001").json["customer"]["id"]
    create(client, headers, name="Bob", mobile="13800000002")
    response = client.patch(f"/api/v1/customers/{alice}", json={"name": "Changed", "mobile": "13800000002"},
                            headers=headers)
    assert response.status_code == 409
    db.expire_all()
    customer = db.get(Customer, alice)
    assert (customer.name, customer.mobile) == ("Alice", "13800000001")
    assert db.exec(select(CustomerIdentity.value).where(CustomerIdentity.customer_id == alice)).all() == ["13800000001"]


# -- customers: merge --------------------------------------------------------------------------------------------------


@pytest.fixture
def pair(client, db, tenant, headers):
    survivor = create(client, headers, name="Alice", mobile="13800000001").json["customer"]["id"]
    merged = create(client, headers, name="Alice (WeChat)", identities={"unionid": "o6_alice"}).json["customer"]["id"]
    group = TagGroup(tenant_id=tenant.id, name="Level")
    db.add(group)
    db.flush()
    tag = Tag(tenant_id=tenant.id, group_id=group.id, name="VIP")
    db.add(tag)
    db.flush()
    db.add(CustomerTag(tenant_id=tenant.id, customer_id=merged, tag_id=tag.id))
    db.add(CustomerEvent(tenant_id=tenant.id, customer_id=merged, kind="visit", summary="visited the shop"))
    db.commit()
    return survivor, merged, tag.id


def test_merge_moves_identities_tags_and_events(client, db, headers, pair):
    survivor, merged, tag_id = pair
    response = client.post(f"/api/v1/customers/{survivor}/merge", json={"merged_id": merged}, headers=headers)
    assert response.status_code == 200
    assert {"kind": "unionid", "value": "o6_alice"} in response.json["identities"]
    db.expire_all()
    assert count(db, CustomerIdentity, CustomerIdentity.customer_id == merged) == 0
    assert db.exec(select(CustomerTag.tag_id).where(CustomerTag.customer_id == survivor)).all() == [tag_id]
    assert count(db, CustomerTag, CustomerTag.customer_id == merged) == 0
    assert count(db, CustomerEvent, CustomerEvent.customer_id == merged) == 0
    assert count(db, CustomerEvent, CustomerEvent.customer_id == survivor, CustomerEvent.kind == "visit") == 1
    assert db.get(Customer, merged).merged_into_id == survivor


def test_merging_a_customer_into_itself_is_409(client, db, headers, pair):
    survivor, _merged, _tag = pair
    response = client.post(f"/api/v1/customers/{survivor}/merge", json={"merged_id": survivor}, headers=headers)
    assert response.status_code == 409
    db.expire_all()
    assert db.get(Customer, survivor).merged_into_id is None


def test_get_of_a_merged_customer_shows_merged_into_id(client, headers, pair):
    survivor, merged, _tag = pair
    client.post(f"/api/v1/customers/{survivor}/merge", json={"merged_id": merged}, headers=headers)
    response = client.get(f"/api/v1/customers/{merged}", headers=headers)
    assert response.status_code == 200
    assert response.json["merged_into_id"] == survivor


# -- plugins -----------------------------------------------------------------------------------------------------------


def test_patch_of_an_unknown_plugin_is_404(client, headers):
    response = client.patch("/api/v1/plugins/no-such-plugin", json={"enabled": True}, headers=headers)
    assert response.status_code == 404
    assert response.json["error"]["code"] == "not_found"
