"""The core customer API judges a customer as the members form and the import do (issue 16 item 5): the name is
required and at most 100 characters, a mobile number has 11 digits, and a number another customer holds is refused
naming that customer, in the same words, with nothing written."""

from __future__ import annotations

import pytest
from sqlalchemy import func
from sqlmodel import select

from scrm.core.models import Customer, CustomerIdentity
from scrm.core.services import customer_rules


@pytest.fixture
def headers(api_token, tenant):
    return {"Authorization": f"Bearer {api_token(tenant)}"}


def customers(db) -> int:
    db.expire_all()
    return db.exec(select(func.count()).select_from(Customer)).one()


def test_a_customer_without_a_name_is_refused_and_nothing_is_written(client, db, headers):
    for payload in ({"mobile": "13800000001"}, {"name": "   ", "mobile": "13800000001"}):
        response = client.post("/api/v1/customers", json=payload, headers=headers)
        assert response.status_code == 422
        assert response.json["error"]["fields"] == {"name": "Enter the customer's name."}
    assert customers(db) == 0


def test_a_call_that_matches_an_existing_customer_needs_no_name(client, db, headers):
    """One-ID: the name is required to create; matching by an identity (here the mobile) needs none."""
    created = client.post("/api/v1/customers", json={"name": "王芳", "mobile": "13800000011"}, headers=headers)
    matched = client.post("/api/v1/customers", json={"mobile": "138 0000 0011"}, headers=headers)
    assert matched.status_code == 200 and matched.json["created"] is False
    assert matched.json["customer"]["id"] == created.json["customer"]["id"]
    assert matched.json["customer"]["name"] == "王芳"
    assert customers(db) == 1


def test_the_name_may_have_100_characters_not_101(client, db, headers):
    assert customer_rules.NAME_MAX == 100
    response = client.post("/api/v1/customers", json={"name": "名" * 101}, headers=headers)
    assert response.status_code == 422 and response.json["error"]["fields"]["name"] == "At most 100 characters."
    assert client.post("/api/v1/customers", json={"name": "名" * 100}, headers=headers).status_code == 201
    assert customers(db) == 1


@pytest.mark.parametrize("mobile", ["1380000000", "138000000001", "23800000000", "138-0000-000a"])
def test_a_mobile_number_needs_11_mainland_digits(client, db, headers, mobile):
    response = client.post("/api/v1/customers", json={"name": "王芳", "mobile": mobile}, headers=headers)
    assert response.status_code == 422
    assert response.json["error"]["fields"] == {"mobile": f"'{mobile}' is not an 11-digit mobile number."}
    assert customers(db) == 0


def test_a_written_number_is_normalised(client, db, headers):
    response = client.post("/api/v1/customers", json={"name": "王芳", "mobile": "+86 138-0000-0002"},
                           headers=headers)
    assert response.status_code == 201
    assert response.json["customer"]["mobile"] == "13800000002"


def test_a_number_another_customer_holds_is_refused_naming_that_customer(client, db, headers):
    held = client.post("/api/v1/customers", json={"name": "李娜", "mobile": "13800000003"}, headers=headers)
    other = client.post("/api/v1/customers", json={"name": "赵磊"}, headers=headers)
    owner_id, other_id = held.json["customer"]["id"], other.json["customer"]["id"]
    response = client.patch(f"/api/v1/customers/{other_id}", json={"mobile": "13800000003", "name": "赵磊磊"},
                            headers=headers)
    assert response.status_code == 409 and response.json["error"]["code"] == "duplicate_mobile"
    assert response.json["error"]["fields"] == {
        "mobile": f"13800000003 already belongs to customer 李娜 (#{owner_id})."}
    db.expire_all()
    assert db.get(Customer, other_id).name == "赵磊"  # nothing written
    assert db.exec(select(CustomerIdentity).where(CustomerIdentity.customer_id == other_id)).all() == []
    # the holder keeps their own number
    assert client.patch(f"/api/v1/customers/{owner_id}", json={"mobile": "13800000003"},
                        headers=headers).status_code == 200


def test_an_update_cannot_empty_the_name(client, headers):
    created = client.post("/api/v1/customers", json={"name": "李娜"}, headers=headers).json["customer"]
    response = client.patch(f"/api/v1/customers/{created['id']}", json={"name": " "}, headers=headers)
    assert response.status_code == 422 and response.json["error"]["fields"] == {"name": "Enter the customer's name."}


def test_the_refusal_reads_in_the_callers_language(client, headers):
    response = client.post("/api/v1/customers", json={"mobile": "13800000004"},
                           headers={**headers, "Accept-Language": "zh-CN"})
    assert response.json["error"]["fields"] == {"name": "请输入客户姓名。"}


def test_another_tenants_holder_does_not_count(client, db, headers, other_tenant):
    db.add(Customer(tenant_id=other_tenant.id, name="外部", mobile="13800000005"))
    db.flush()
    db.add(CustomerIdentity(tenant_id=other_tenant.id, customer_id=db.exec(select(Customer.id).where(
        Customer.tenant_id == other_tenant.id)).one(), kind="mobile", value="13800000005"))
    db.commit()
    created = client.post("/api/v1/customers", json={"name": "本店"}, headers=headers).json["customer"]
    response = client.patch(f"/api/v1/customers/{created['id']}", json={"mobile": "13800000005"}, headers=headers)
    assert response.status_code == 200 and response.json["mobile"] == "13800000005"
