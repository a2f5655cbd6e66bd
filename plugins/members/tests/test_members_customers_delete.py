# ruff: noqa: F811  (pytest fixtures imported from the area helper module are redefined as test arguments)
"""Deleting a customer (spec §3.11): a confirmed hard delete by a tenant admin of a customer without channel
identities; customers merged into it go too; the audit log keeps who deleted whom; tenant isolation."""

from __future__ import annotations

from members_customers_fixtures import acme, admin, committed, customer, fresh, signin  # noqa: F401
from sqlmodel import select

from scrm.core.models import AuditLog, Customer, CustomerIdentity


def test_delete_needs_confirmation(client, admin, acme, customer, db):
    anna = customer(acme, "Anna", mobile="13800000001")
    assert client.get(f"/t/acme/members/customers/{anna.id}/delete").status_code == 200
    response = client.post(f"/t/acme/members/customers/{anna.id}/delete", data={})
    assert response.status_code == 422
    assert fresh(db, Customer, anna.id) is not None


def test_a_confirmed_delete_removes_the_customer_and_its_merged_ones(client, admin, acme, customer, db):
    anna = customer(acme, "Anna", mobile="13800000001")
    old = customer(acme, "Old Anna", merged_into_id=anna.id)
    anna_id, old_id = anna.id, old.id
    response = client.post(f"/t/acme/members/customers/{anna_id}/delete", data={"confirm": "yes"})
    assert response.status_code == 302
    assert fresh(db, Customer, anna_id) is None and fresh(db, Customer, old_id) is None
    assert committed(db, select(CustomerIdentity).where(CustomerIdentity.tenant_id == acme.id)) == []
    assert committed(db, select(AuditLog.action).where(AuditLog.tenant_id == acme.id,
                                                       AuditLog.action == "members.customer.delete"))


def test_channel_contacts_are_not_deleted_here(client, admin, acme, customer, db):
    friend = customer(acme, "Friend", mobile="13800000001")
    db.add(CustomerIdentity(tenant_id=acme.id, customer_id=friend.id, kind="external_userid@wwcorp", value="wm1"))
    db.commit()
    response = client.post(f"/t/acme/members/customers/{friend.id}/delete", data={"confirm": "yes"})
    assert response.status_code == 409
    assert fresh(db, Customer, friend.id) is not None


def test_operators_cannot_delete(client, acme, customer, make_user, signin, db):
    anna = customer(acme, "Anna")
    signin(make_user("op@acme.test", acme, role="operator"))
    assert client.post(f"/t/acme/members/customers/{anna.id}/delete", data={"confirm": "yes"}).status_code == 403
    assert fresh(db, Customer, anna.id) is not None


def test_another_tenants_customer_cannot_be_deleted(client, admin, acme, other_tenant, customer, db):
    theirs = customer(other_tenant, "Theirs")
    response = client.post(f"/t/acme/members/customers/{theirs.id}/delete", data={"confirm": "yes"})
    assert response.status_code == 404
    assert fresh(db, Customer, theirs.id) is not None
