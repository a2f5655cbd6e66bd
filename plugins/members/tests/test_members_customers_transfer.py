# ruff: noqa: F811  (pytest fixtures imported from the area helper module are redefined as test arguments)
"""Transferring customers (spec §2.5, §3.6, R17, acceptance 19–20): a required active target employee, a transfer
record and timeline entry per customer, WeCom friends at most twice in 90 days and effective 24 hours later, the
previous owner's scoped list, and tenant isolation."""

from __future__ import annotations

from datetime import timedelta

from members_customers_fixtures import acme, admin, committed, customer, employee, fresh, signin  # noqa: F401
from scrm_members.customers import transfer
from scrm_members.customers.models import TransferRecord
from sqlmodel import select

from scrm.core.models import Customer, CustomerEvent, CustomerIdentity
from scrm.core.timeutil import as_utc, utcnow

TRANSFER = "/t/acme/members/customers/bulk/transfer"


def wecom_friend(db, tenant, customer, name: str):
    row = customer(tenant, name)
    db.add(CustomerIdentity(tenant_id=tenant.id, customer_id=row.id, kind="external_userid@wwcorp",
                            value=f"wm-{row.id}"))
    row.updated_at = utcnow() - timedelta(days=365)  # not updated during any transfer window of these tests
    db.add(row)
    db.commit()
    return row


def test_the_target_employee_is_required(client, admin, acme, customer, db):
    anna = customer(acme, "Anna")
    response = client.post(TRANSFER, data={"customer_id": anna.id, "to_employee_id": ""})
    assert response.status_code == 422 and "Choose the employee" in response.get_data(as_text=True)
    assert committed(db, select(TransferRecord)) == []


def test_inactive_or_foreign_employees_are_refused(client, admin, acme, other_tenant, customer, employee, db):
    anna = customer(acme, "Anna")
    gone = employee(acme, "Gone", status="left")
    foreign = employee(other_tenant, "Foreign")
    for target in (gone, foreign):
        response = client.post(TRANSFER, data={"customer_id": anna.id, "to_employee_id": target.id})
        assert response.status_code == 422
    assert fresh(db, Customer, anna.id).owner_employee_id is None
    page = client.get(TRANSFER, query_string={"customer_id": anna.id}).get_data(as_text=True)
    assert "Gone" not in page and "Foreign" not in page


def test_a_transfer_changes_the_owner_and_records_it(client, admin, acme, customer, employee, db):
    ivy, joe = employee(acme, "Ivy"), employee(acme, "Joe")
    anna = customer(acme, "Anna", owner_employee_id=ivy.id)
    ben = customer(acme, "Ben", owner_employee_id=ivy.id)
    response = client.post(TRANSFER, data={"customer_id": [anna.id, ben.id], "to_employee_id": joe.id,
                                           "reason": "Ivy moved store"})
    assert response.status_code == 302
    assert {fresh(db, Customer, c.id).owner_employee_id for c in (anna, ben)} == {joe.id}
    records = committed(db, select(TransferRecord).order_by(TransferRecord.customer_id))
    assert [(r.customer_id, r.from_employee_id, r.to_employee_id, r.status, r.reason) for r in records] == [
        (anna.id, ivy.id, joe.id, "effective", "Ivy moved store"), (ben.id, ivy.id, joe.id, "effective",
                                                                   "Ivy moved store")]
    assert "transfer" in committed(db, select(CustomerEvent.kind).where(CustomerEvent.customer_id == anna.id))


def test_transferring_to_the_current_owner_is_refused(client, admin, acme, customer, employee, db):
    ivy = employee(acme, "Ivy")
    anna = customer(acme, "Anna", owner_employee_id=ivy.id)
    response = client.post(TRANSFER, data={"customer_id": anna.id, "to_employee_id": ivy.id})
    assert response.status_code == 422
    assert committed(db, select(TransferRecord)) == []


def test_the_previous_owner_no_longer_sees_the_customer(client, acme, customer, employee, make_user, signin, db):
    ivy, joe = employee(acme, "Ivy"), employee(acme, "Joe")
    anna = customer(acme, "Anna", owner_employee_id=ivy.id)
    boss = make_user("boss@acme.test", acme, role="tenant_admin")
    signin(boss)
    client.post(TRANSFER, data={"customer_id": anna.id, "to_employee_id": joe.id})
    client.post("/logout")
    signin(make_user("ivy@acme.test", acme, role="operator", scope="mine", employee_id=ivy.id))
    assert "0 customers" in client.get("/t/acme/members/customers/").get_data(as_text=True)


def test_a_wecom_friend_changes_owner_24_hours_later(client, admin, acme, customer, employee, db):
    ivy, joe = employee(acme, "Ivy"), employee(acme, "Joe")
    friend = wecom_friend(db, acme, customer, "Friend")
    db.execute(Customer.__table__.update().where(Customer.id == friend.id).values(owner_employee_id=ivy.id))
    db.commit()
    client.post(TRANSFER, data={"customer_id": friend.id, "to_employee_id": joe.id})
    [record] = committed(db, select(TransferRecord))
    assert record.status == "pending" and fresh(db, Customer, friend.id).owner_employee_id == ivy.id
    assert transfer.apply_due(db, acme.id, now=utcnow() + timedelta(hours=23)) == 0
    assert transfer.apply_due(db, acme.id, now=utcnow() + timedelta(hours=24, seconds=1)) == 1
    db.commit()
    assert fresh(db, Customer, friend.id).owner_employee_id == joe.id
    assert fresh(db, TransferRecord, record.id).status == "effective"


def test_a_wecom_friend_is_transferred_at_most_twice_in_90_days(admin, acme, customer, employee, db, platform):
    ivy, joe = employee(acme, "Ivy"), employee(acme, "Joe")
    friend = wecom_friend(db, acme, customer, "Friend")
    hooks = platform.hooks(db, db.merge(acme))
    start = utcnow() - timedelta(days=100)
    for day, target in ((0, joe), (2, ivy)):
        transfer.transfer_customers(db, hooks, acme, [friend.id], target.id, now=start + timedelta(days=day))
        transfer.apply_due(db, acme.id, now=start + timedelta(days=day + 1, hours=1))
        db.commit()
    third_on_day_80 = start + timedelta(days=80)
    try:
        transfer.transfer_customers(db, hooks, acme, [friend.id], joe.id, now=third_on_day_80)
        raise AssertionError("a third transfer within 90 days must be refused")
    except transfer.TransferError as exc:
        db.rollback()
        assert "twice" in str(exc)
    day_91 = start + timedelta(days=91)
    result = transfer.transfer_customers(db, hooks, acme, [friend.id], joe.id, now=day_91)
    db.commit()
    assert result.pending == 1


def test_the_due_transfer_job_is_scheduled(client, admin, acme, customer, employee, db):
    from scrm.core.models import ScheduledJob

    joe = employee(acme, "Joe")
    friend = wecom_friend(db, acme, customer, "Friend")
    client.post(TRANSFER, data={"customer_id": friend.id, "to_employee_id": joe.id})
    [job] = committed(db, select(ScheduledJob).where(ScheduledJob.tenant_id == acme.id,
                                                     ScheduledJob.actor == transfer.APPLY_JOB))
    [record] = committed(db, select(TransferRecord))
    assert abs((as_utc(job.due_at) - as_utc(record.effective_at)).total_seconds()) < 1
    assert as_utc(record.effective_at) - as_utc(record.requested_at) == timedelta(hours=24)


def test_another_tenants_customers_are_never_transferred(client, admin, acme, other_tenant, customer, employee, db):
    joe = employee(acme, "Joe")
    theirs = customer(other_tenant, "Theirs")
    response = client.post(TRANSFER, data={"customer_id": theirs.id, "to_employee_id": joe.id})
    assert response.status_code == 422
    assert fresh(db, Customer, theirs.id).owner_employee_id is None
    assert committed(db, select(TransferRecord)) == []


def test_the_due_transfer_job_applies_only_its_tenants_transfers(acme, other_tenant, customer, employee, db,
                                                                 platform):
    from scrm_members.customers.jobs import apply_due_transfers

    pairs = []
    for tenant in (acme, other_tenant):
        joe = employee(tenant, "Joe")
        friend = wecom_friend(db, tenant, customer, "Friend")
        transfer.transfer_customers(db, platform.hooks(db, db.merge(tenant)), tenant, [friend.id], joe.id,
                                    now=utcnow() - timedelta(hours=25))
        db.commit()
        pairs.append((friend.id, joe.id))
    mine = acme.id
    db.commit()
    apply_due_transfers(mine)
    assert fresh(db, Customer, pairs[0][0]).owner_employee_id == pairs[0][1]
    assert fresh(db, Customer, pairs[1][0]).owner_employee_id is None


def test_a_wecom_friend_leaves_the_old_owners_list_only_when_the_transfer_takes_effect(
        client, acme, customer, employee, make_user, signin, db):
    """Acceptance 20: after the request the owner is unchanged (the old owner still lists the friend); 24 hours later
    the owner is the target and the old owner's list no longer contains the customer."""
    ivy, joe = employee(acme, "Ivy"), employee(acme, "Joe")
    friend = wecom_friend(db, acme, customer, "Friend")
    db.execute(Customer.__table__.update().where(Customer.id == friend.id).values(owner_employee_id=ivy.id))
    db.commit()
    signin(make_user("boss@acme.test", acme, role="tenant_admin"))
    client.post(TRANSFER, data={"customer_id": friend.id, "to_employee_id": joe.id})
    client.post("/logout")
    signin(make_user("ivy@acme.test", acme, role="operator", scope="mine", employee_id=ivy.id))
    assert ">Friend<" in client.get("/t/acme/members/customers/").get_data(as_text=True)
    db.commit()
    assert transfer.apply_due(db, acme.id, now=utcnow() + timedelta(hours=24, seconds=1)) == 1
    db.commit()
    assert fresh(db, Customer, friend.id).owner_employee_id == joe.id
    page = client.get("/t/acme/members/customers/").get_data(as_text=True)
    assert ">Friend<" not in page and "0 customers" in page
