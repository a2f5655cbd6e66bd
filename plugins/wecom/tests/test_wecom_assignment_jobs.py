# ruff: noqa: F811  (the wecom_client fixture is imported, then named as a test argument)
"""The assignment jobs and the sandbox's transfer simulation: WeCom's ``transfer_fail`` callback fired by the sandbox,
WeCom's own 24-hour takeover, the periodic resigned-member check (J1), and that the jobs only read and write the
tenant they run for."""

from __future__ import annotations

from datetime import timedelta

from sqlmodel import Session
from wecom_assignment_fixtures import *  # noqa: F403
from wecom_assignment_fixtures import customer_of, employee, owner_of, poll, records_of
from wecom_foundation_fixtures import AES_KEY, CALLBACK_TOKEN, CORP_ID, wecom_client  # noqa: F401

from scrm.sdk import Customer, Employee, EmployeeStatus, utcnow


def test_the_sandbox_fires_transfer_fail_and_the_record_ends_refused(db, tenant, assignment_live, make_user, login,
                                                                     live_server, worker):
    account, control = assignment_live
    amy, ben = employee(db, tenant.id, "amy"), employee(db, tenant.id, "ben")
    ann, bo = customer_of(db, tenant.id, "wmAnn"), customer_of(db, tenant.id, "wmBo")
    control.settings(transfer_takeover_after=86400)
    from scrm_wecom.assignment import handover

    from scrm.core.db import writer

    with Session(writer(db.get_bind())) as session:
        handover.transfer(session, tenant.id, [ann.id, bo.id], ben.id, "", None)
        session.commit()
    from scrm_wecom.assignment.jobs import send_transfers

    send_transfers.send(tenant.id)
    worker.join()
    callback = {"url": f"{live_server}/callbacks/wecom/{account.id}", "token": CALLBACK_TOKEN,
                "encoding_aes_key": AES_KEY}
    assert control.complete_transfers(CORP_ID, 3, ["wmAnn"], callback=callback) == 1
    assert control.complete_transfers(CORP_ID, 4, ["wmBo"], callback=callback) == 1
    worker.join()
    statuses = {r.customer_id: (r.status, r.error) for r in records_of(db, tenant.id)}
    assert statuses == {ann.id: ("refused", "customer_refused"), bo.id: ("limit", "customer_limit_exceed")}
    assert owner_of(db, ann.id) == amy.id and owner_of(db, bo.id) == amy.id


def test_wecom_takes_a_waiting_transfer_over_after_24_hours(wecom_client, db, tenant, enable_plugins, make_account,
                                                            channel_sandbox):
    from scrm_wecom.sandbox import SandboxControl
    from wecom_assignment_fixtures import corp

    url = channel_sandbox("wecom")
    control = SandboxControl(url)
    control.seed(corp())
    enable_plugins(tenant, "wecom")
    client = wecom_client(make_account(tenant, url))
    assert client.transfer_customer("amy", "ben", ["wmAnn"]) == [{"external_userid": "wmAnn", "errcode": 0}]
    rows, _ = client.transfer_result("amy", "ben")
    assert rows[0]["status"] == 2  # waiting: the default takeover delay is 24 hours
    control.settings(transfer_takeover_after=0)
    rows, _ = client.transfer_result("amy", "ben")
    assert rows[0]["status"] == 1
    state = control.corp(CORP_ID)
    assert [f["userid"] for f in state["follows"]["wmAnn"]] == ["ben"]
    control.close()


def test_checking_wecom_marks_resigned_members_of_this_tenant_only(db, tenant, other_tenant, assignment_corp,
                                                                   make_user, login):
    from wecom_assignment_fixtures import corp

    account, control = assignment_corp
    other_eve = Employee(tenant_id=other_tenant.id, userid="eve", name="Eve (Globex)")
    db.add(other_eve)
    db.commit()
    control.seed(corp(eve_status=5))  # WeCom knows; no callback reached us
    client = login(make_user("admin@acme.test", tenant, role="tenant_admin"))
    response = client.post("/t/acme/wecom/assignment/resigned/reconcile")
    assert response.status_code == 302
    db.expire_all()
    assert employee(db, tenant.id, "eve").status == EmployeeStatus.LEFT
    assert db.get(Employee, other_eve.id).status == EmployeeStatus.ACTIVE
    html = client.get("/t/acme/wecom/assignment/resigned").get_data(as_text=True)
    assert "150 customers" in html


def test_jobs_only_touch_their_tenants_records(db, platform, tenant, other_tenant, assignment_live, worker):
    from scrm_wecom.assignment import tracking
    from scrm_wecom.assignment.models import AssignmentRecord

    from scrm.core.db import writer

    account, control = assignment_live
    ben = employee(db, tenant.id, "ben")
    ann = customer_of(db, tenant.id, "wmAnn")
    stranger = Customer(tenant_id=other_tenant.id, name="Globex customer")
    db.add(stranger)
    db.commit()
    # a record of the other tenant that names this tenant's account must never use it
    db.add(AssignmentRecord(tenant_id=other_tenant.id, customer_id=stranger.id, kind="onjob_transfer",
                            status="waiting", account_id=account.id, external_userid="wmAnn", handover_userid="amy",
                            takeover_userid="ben", effective_at=utcnow()))
    db.commit()
    from scrm_wecom.assignment import handover

    with Session(writer(platform.engine), expire_on_commit=False) as session:
        handover.transfer(session, tenant.id, [ann.id], ben.id, "", None)
        session.commit()
        assert tracking.send_pending(session, platform, tenant.id) == 1
        session.commit()
    assert records_of(db, other_tenant.id)[0].sent_at is None
    assert poll(platform, tenant.id, utcnow() + timedelta(hours=25)) == 0
    assert records_of(db, tenant.id)[0].status == "taken_over"
    assert records_of(db, other_tenant.id)[0].status == "waiting"
    with Session(writer(platform.engine), expire_on_commit=False) as session:
        assert tracking.send_pending(session, platform, other_tenant.id) == 0
        session.commit()
    other, = records_of(db, other_tenant.id)
    assert other.status == "failed" and "account" in other.error
    assert owner_of(db, ann.id) == ben.id and owner_of(db, stranger.id) is None
    worker.join()
