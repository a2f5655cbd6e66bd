# ruff: noqa: F811  (pytest fixtures imported from the area helper module are redefined as test arguments)
"""The customers API: GET/PATCH /api/v1/members/customers/<id>/profile validated by the form's rules with JSON
errors naming the fields, GET /api/v1/members/fields, and tenant isolation."""

from __future__ import annotations

from members_customers_fixtures import acme, bearer, custom_field, customer, fresh  # noqa: F401

from scrm.core.models import Customer


def test_get_profile_returns_system_and_custom_fields(client, acme, customer, custom_field, api_token):
    size = custom_field(acme, "尺码", "single_select", options=["S", "M"])
    anna = customer(acme, "Anna", mobile="13800000001", extra=("13900000002",),
                    attributes={"nickname": "Annie", size.key: "M"})
    response = client.get(f"/api/v1/members/customers/{anna.id}/profile", headers=bearer(api_token(acme)))
    assert response.status_code == 200
    body = response.get_json()
    assert body["name"] == "Anna" and body["mobiles"] == ["13800000001", "13900000002"]
    assert body["nickname"] == "Annie" and body["custom"] == {size.key: "M"}


def test_patch_changes_only_the_given_keys(client, acme, customer, custom_field, api_token, db):
    size = custom_field(acme, "尺码", "single_select", options=["S", "M"])
    anna = customer(acme, "Anna", mobile="13800000001", attributes={"nickname": "Annie"})
    response = client.patch(f"/api/v1/members/customers/{anna.id}/profile", headers=bearer(api_token(acme)),
                            json={"email": "anna@example.com", "custom": {size.key: "S"}})
    assert response.status_code == 200, response.get_json()
    anna = fresh(db, Customer, anna.id)
    assert anna.name == "Anna" and anna.mobile == "13800000001"
    assert anna.attributes == {"nickname": "Annie", "email": "anna@example.com", size.key: "S"}


def test_patch_refuses_bad_values_with_field_errors_and_changes_nothing(client, acme, customer, custom_field,
                                                                        api_token, db):
    code = custom_field(acme, "编号", charset=["digits"], required_member=True)
    anna = customer(acme, "Anna", mobile="13800000001")
    customer(acme, "Ben", mobile="13900000002")
    response = client.patch(f"/api/v1/members/customers/{anna.id}/profile", headers=bearer(api_token(acme)),
                            json={"name": "", "mobiles": ["13900000002"], "email": "x",
                                  "custom": {code.key: "abc"}})
    assert response.status_code == 422
    fields = response.get_json()["error"]["fields"]
    assert set(fields) == {"name", "mobiles", "email", f"custom.{code.key}"}
    assert response.get_json()["error"]["code"] == "validation_error"
    anna = fresh(db, Customer, anna.id)
    assert anna.name == "Anna" and anna.attributes == {}
    empty = client.patch(f"/api/v1/members/customers/{anna.id}/profile", headers=bearer(api_token(acme)),
                         json={"custom": {code.key: ""}})
    assert empty.status_code == 422


def test_patch_refuses_unknown_keys(client, acme, customer, api_token):
    anna = customer(acme, "Anna", mobile="13800000001")
    response = client.patch(f"/api/v1/members/customers/{anna.id}/profile", headers=bearer(api_token(acme)),
                            json={"colour": "red"})
    assert response.status_code == 422
    unknown = client.patch(f"/api/v1/members/customers/{anna.id}/profile", headers=bearer(api_token(acme)),
                           json={"custom": {"cf_999": "x"}})
    assert unknown.status_code == 422 and "cf_999" in unknown.get_json()["error"]["message"]


def test_fields_lists_system_and_custom_definitions(client, acme, other_tenant, custom_field, api_token):
    custom_field(acme, "尺码", "single_select", options=["S"])
    custom_field(other_tenant, "秘密")
    items = client.get("/api/v1/members/fields", headers=bearer(api_token(acme))).get_json()["items"]
    keys = [i["label"] for i in items if not i["system"]]
    assert keys == ["尺码"] and any(i["key"] == "mobile" and i["required"] for i in items)


def test_another_tenants_customer_is_not_found(client, acme, other_tenant, customer, api_token, db):
    theirs = customer(other_tenant, "Theirs", mobile="13800000001")
    token = api_token(acme)
    assert client.get(f"/api/v1/members/customers/{theirs.id}/profile", headers=bearer(token)).status_code == 404
    response = client.patch(f"/api/v1/members/customers/{theirs.id}/profile", headers=bearer(token),
                            json={"name": "Hacked"})
    assert response.status_code == 404 and response.get_json()["error"]["code"] == "not_found"
    assert fresh(db, Customer, theirs.id).name == "Theirs"
