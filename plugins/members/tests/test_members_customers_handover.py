# ruff: noqa: F811  (pytest fixtures imported from the area helper module are redefined as test arguments)
"""The members' WeCom transfers and the channel's handover results: a pending transfer fails when the customer's
data changed during the 24 hours (owner unchanged) or when ``wecom.handover_finished`` reports anything but
``taken_over``; both only touch the tenant's own pending records."""

from __future__ import annotations

from datetime import timedelta

from members_customers_fixtures import acme, admin, committed, customer, employee, fresh, signin  # noqa: F401
from scrm_members.customers import transfer
from scrm_members.customers.models import TransferRecord
from sqlmodel import select

from scrm.core.models import Customer, CustomerIdentity
from scrm.sdk import publish, utcnow


def _friend(db, tenant, customer, owner, name: str = "Friend"):
    row = customer(tenant, name, owner_employee_id=owner.id)
    db.add(CustomerIdentity(tenant_id=tenant.id, customer_id=row.id, kind="external_userid@wwcorp",
                            value=f"wm-{row.id}"))
    row.updated_at = utcnow() - timedelta(days=30)
    db.add(row)
    db.commit()
    return row


def _request(db, platform, tenant, friend, target, when):
    transfer.transfer_customers(db, platform.hooks(db, db.merge(tenant)), tenant, [friend.id], target.id, now=when)
    db.commit()


def test_a_customer_updated_during_the_24_hours_keeps_the_owner(acme, customer, employee, db, platform):
    ivy, joe = employee(acme, "Ivy"), employee(acme, "Joe")
    friend = _friend(db, acme, customer, ivy)
    requested = utcnow() - timedelta(hours=25)
    _request(db, platform, acme, friend, joe, requested)
    db.execute(Customer.__table__.update().where(Customer.id == friend.id)
               .values(name="Friend (new name)", updated_at=requested + timedelta(hours=2)))
    db.commit()
    assert transfer.apply_due(db, acme.id) == 0
    db.commit()
    [record] = committed(db, select(TransferRecord))
    assert record.status == "failed"
    assert fresh(db, Customer, friend.id).owner_employee_id == ivy.id


def test_an_unchanged_customer_is_transferred_after_24_hours(acme, customer, employee, db, platform):
    ivy, joe = employee(acme, "Ivy"), employee(acme, "Joe")
    friend = _friend(db, acme, customer, ivy)
    _request(db, platform, acme, friend, joe, utcnow() - timedelta(hours=25))
    assert transfer.apply_due(db, acme.id) == 1
    db.commit()
    assert fresh(db, Customer, friend.id).owner_employee_id == joe.id


def test_a_handover_that_was_not_taken_over_fails_the_pending_transfer(acme, other_tenant, customer, employee, db,
                                                                       platform, worker):
    ivy, joe = employee(acme, "Ivy"), employee(acme, "Joe")
    friend = _friend(db, acme, customer, ivy)
    ivy2, joe2 = employee(other_tenant, "Ivy"), employee(other_tenant, "Joe")
    theirs = _friend(db, other_tenant, customer, ivy2, "Theirs")
    for tenant, row, target in ((acme, friend, joe), (other_tenant, theirs, joe2)):
        _request(db, platform, tenant, row, target, utcnow())
        worker.join()  # the transfer's event is handled before the test writes again
        db.commit()
    # a refusal for the other tenant's ids published in acme changes nothing there
    publish(db, acme.id, "wecom.handover_finished", {"customer_id": theirs.id, "takeover_employee_id": joe2.id,
                                                     "status": "refused"})
    publish(db, acme.id, "wecom.handover_finished", {"customer_id": friend.id, "takeover_employee_id": joe.id,
                                                     "status": "taken_over"})
    db.commit()
    worker.join()
    statuses = {r.customer_id: r.status for r in committed(db, select(TransferRecord))}
    assert statuses == {friend.id: "pending", theirs.id: "pending"}
    publish(db, acme.id, "wecom.handover_finished", {"customer_id": friend.id, "takeover_employee_id": joe.id,
                                                     "status": "limit"})
    db.commit()
    worker.join()
    statuses = {r.customer_id: r.status for r in committed(db, select(TransferRecord))}
    assert statuses == {friend.id: "failed", theirs.id: "pending"}
    assert transfer.apply_due(db, acme.id, now=utcnow() + timedelta(hours=25)) == 0
    db.commit()
    assert fresh(db, Customer, friend.id).owner_employee_id == ivy.id
