"""The members plugin's transfers and the WeCom handovers cooperate through events and the exclusion decision,
without importing each other: a members' transfer of a WeCom friend is handed over in WeCom (origin "members"),
a refusal fails the members' pending transfer, and handovers started here count against a members' transfer."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import text
from sqlmodel import Session
from wecom_assignment_fixtures import *  # noqa: F403
from wecom_assignment_fixtures import customer_of, employee, owner_of, poll, records_of
from wecom_foundation_fixtures import CORP_ID

from scrm.sdk import Customer, utcnow

MEMBERS_TRANSFER = "/t/acme/members/customers/bulk/transfer"
ONJOB_PATH = "/cgi-bin/externalcontact/transfer_customer"


def _members_statuses(db, tenant_id: int) -> list[str]:
    db.commit()
    return list(db.execute(text("SELECT status FROM members_transfer_record WHERE tenant_id = :t ORDER BY id"),
                           {"t": tenant_id}).scalars())


def test_a_members_transfer_is_handed_over_in_wecom_and_a_refusal_fails_it(db, platform, tenant, assignment_live,
                                                                             make_user, login, worker):
    account, control = assignment_live
    amy, ben = employee(db, tenant.id, "amy"), employee(db, tenant.id, "ben")
    ann = customer_of(db, tenant.id, "wmAnn")
    control.settings(transfer_takeover_after=86400)
    control.clear_calls()
    client = login(make_user("admin@acme.test", tenant, role="tenant_admin"))
    response = client.post(MEMBERS_TRANSFER, data={"customer_id": ann.id, "to_employee_id": ben.id})
    assert response.status_code == 302
    worker.join()
    call, = control.calls(ONJOB_PATH)
    assert (call["body"]["handover_userid"], call["body"]["takeover_userid"]) == ("amy", "ben")
    record, = records_of(db, tenant.id)
    assert (record.origin, record.kind, record.status) == ("members", "onjob_transfer", "waiting")
    assert _members_statuses(db, tenant.id) == ["pending"]
    control.complete_transfers(CORP_ID, 3)
    assert poll(platform, tenant.id) == 0
    worker.join()
    assert records_of(db, tenant.id)[0].status == "refused"
    assert _members_statuses(db, tenant.id) == ["failed"]
    assert owner_of(db, ann.id) == amy.id


def test_a_taken_over_members_transfer_leaves_the_owner_change_to_members(db, platform, tenant, assignment_live,
                                                                           make_user, login, worker):
    account, control = assignment_live
    amy, ben = employee(db, tenant.id, "amy"), employee(db, tenant.id, "ben")
    bo = customer_of(db, tenant.id, "wmBo")
    db.execute(Customer.__table__.update().where(Customer.id == bo.id)
               .values(updated_at=utcnow() - timedelta(days=1)))
    db.commit()
    client = login(make_user("admin@acme.test", tenant, role="tenant_admin"))
    client.post(MEMBERS_TRANSFER, data={"customer_id": bo.id, "to_employee_id": ben.id})
    worker.join()
    assert poll(platform, tenant.id, utcnow() + timedelta(hours=25)) == 0
    worker.join()
    assert records_of(db, tenant.id)[0].status == "taken_over"
    assert owner_of(db, bo.id) == amy.id  # members applies it with its own job
    assert _members_statuses(db, tenant.id) == ["pending"]


def test_handovers_started_here_count_against_a_members_transfer(db, platform, tenant, assignment_live, make_user,
                                                                 login, worker):
    from scrm_wecom.assignment import handover, tracking

    from scrm.core.db import writer

    account, control = assignment_live
    amy, ben = employee(db, tenant.id, "amy"), employee(db, tenant.id, "ben")
    ann = customer_of(db, tenant.id, "wmAnn")
    start = utcnow() - timedelta(days=20)
    db.execute(Customer.__table__.update().where(Customer.id == ann.id).values(updated_at=start - timedelta(days=1)))
    db.commit()
    for to, when in ((ben, start), (amy, start + timedelta(days=5))):
        with Session(writer(platform.engine), expire_on_commit=False) as session:
            handover.transfer(session, tenant.id, [ann.id], to.id, "", None, when)
            session.commit()
            tracking.send_pending(session, platform, tenant.id, when)
            session.commit()
        assert poll(platform, tenant.id, when + timedelta(hours=25)) == 0
    worker.join()
    db.commit()
    client = login(make_user("admin@acme.test", tenant, role="tenant_admin"))
    response = client.post(MEMBERS_TRANSFER, data={"customer_id": ann.id, "to_employee_id": ben.id})
    assert response.status_code == 422
    assert "twice in the last 90 days" in response.get_data(as_text=True)
    assert _members_statuses(db, tenant.id) == []
