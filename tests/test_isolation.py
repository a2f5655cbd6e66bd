"""Tenant isolation: tokens, pages and the callback gateway never reach another tenant's rows."""

from __future__ import annotations

import pytest
from sqlmodel import select

from scrm.core.models import Customer, CustomerIdentity
from scrm.core.services import audit
from scrm.core.services.channels import create_account

A_NAMES = ("Alice-of-Acme", "Arthur-of-Acme")
B_NAMES = ("Bella-of-Globex",)


@pytest.fixture
def world(db, tenant, other_tenant, api_token):
    """Two tenants, each with customers, a token and audit entries naming its customers."""
    rows = {}
    for t, names in ((tenant, A_NAMES), (other_tenant, B_NAMES)):
        customers = [Customer(tenant_id=t.id, name=n, mobile=f"1380000{i:04d}") for i, n in enumerate(names)]
        db.add_all(customers)
        db.flush()
        for c in customers:
            db.add(CustomerIdentity(tenant_id=t.id, customer_id=c.id, kind="mobile", value=c.mobile))
            audit.record(db, "customer.update", tenant_id=t.id, actor="seed", target=c.name, detail={"name": c.name})
        rows[t.slug] = customers
    db.commit()
    return {"a": rows["acme"], "b": rows["globex"],
            "a_token": api_token(tenant, "a"), "b_token": api_token(other_tenant, "b")}


def as_b(world) -> dict[str, str]:
    return {"Authorization": f"Bearer {world['b_token']}"}


def test_b_token_cannot_read_a_customer(client, world):
    alice = world["a"][0]
    response = client.get(f"/api/v1/customers/{alice.id}", headers=as_b(world))
    assert response.status_code == 404
    assert "Alice" not in response.get_data(as_text=True)


def test_b_token_cannot_update_a_customer(client, db, world):
    alice = world["a"][0]
    response = client.patch(f"/api/v1/customers/{alice.id}", json={"name": "Hijacked"}, headers=as_b(world))
    assert response.status_code == 404
    db.expire_all()
    assert db.get(Customer, alice.id).name == "Alice-of-Acme"


def test_b_token_cannot_merge_a_customer_into_its_own(client, db, world):
    alice, bella = world["a"][0], world["b"][0]
    response = client.post(f"/api/v1/customers/{bella.id}/merge", json={"merged_id": alice.id}, headers=as_b(world))
    assert response.status_code == 404
    db.expire_all()
    assert db.get(Customer, alice.id).merged_into_id is None
    owners = db.exec(select(CustomerIdentity.customer_id).where(
        CustomerIdentity.tenant_id == alice.tenant_id, CustomerIdentity.value == alice.mobile)).all()
    assert owners == [alice.id]


def test_b_token_cannot_merge_into_a_customer(client, db, world):
    alice, bella = world["a"][0], world["b"][0]
    response = client.post(f"/api/v1/customers/{alice.id}/merge", json={"merged_id": bella.id}, headers=as_b(world))
    assert response.status_code == 404
    db.expire_all()
    assert db.get(Customer, bella.id).merged_into_id is None


def test_b_token_list_never_includes_a_rows(client, world):
    response = client.get("/api/v1/customers?limit=200", headers=as_b(world))
    assert [c["name"] for c in response.json["items"]] == list(B_NAMES)
    searched = client.get("/api/v1/customers?q=Acme", headers=as_b(world))
    assert searched.json["items"] == []


def test_b_operator_customer_page_never_shows_a_names(client, login, make_user, other_tenant, world, enable_plugins):
    enable_plugins(other_tenant, "members")  # the customer list is the members plugin's (/customers redirects there)
    login(make_user("op@globex.test", other_tenant, role="operator"))
    for url in ("/t/globex/customers", "/t/globex/customers?q=of-Acme", "/t/globex/customers?q=1380000"):
        html = client.get(url, follow_redirects=True).get_data(as_text=True)
        assert not any(name in html for name in A_NAMES), url
    assert "Bella-of-Globex" in client.get("/t/globex/customers", follow_redirects=True).get_data(as_text=True)


def test_b_admin_audit_page_never_shows_a_entries(client, login, make_user, other_tenant, world):
    login(make_user("boss@globex.test", other_tenant, role="tenant_admin"))
    response = client.get("/t/globex/audit")
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert "Bella-of-Globex" in html
    assert not any(name in html for name in A_NAMES)


def test_b_operator_cannot_open_a_pages(client, login, make_user, other_tenant, world):
    login(make_user("op@globex.test", other_tenant, role="operator"))
    assert client.get("/t/acme/customers").status_code == 404
    assert client.get("/t/acme/audit").status_code == 404


@pytest.fixture
def account(db, platform, tenant):
    row = create_account(db, platform.secrets, tenant.id, "wecom", "Acme WeCom", "ww-acme", {"secret": "s3cret"})
    db.commit()
    return row


def test_callback_with_another_plugin_name_is_404(client, account):
    assert client.post(f"/callbacks/official_account/{account.id}", data="<xml/>").status_code == 404


def test_callback_with_an_unknown_account_is_404(client, account):
    assert client.post(f"/callbacks/wecom/{account.id + 1000}", data="<xml/>").status_code == 404
