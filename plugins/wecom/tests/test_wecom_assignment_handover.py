"""Resigned inheritance and on-the-job transfer against the WeCom sandbox (spec 3.2, 3.3, 4.2, 4.3, J1, J2,
acceptance 5-11): chunks of at most 100 customers, waiting → taken over by the poll, refusals from the poll and from
the ``transfer_fail`` callback, the 2-in-90-days rule, the 24-hour window and tenant isolation."""

from __future__ import annotations

import re
from datetime import timedelta

from scrm_wecom.assignment import handover
from scrm_wecom.assignment.pool import AssignmentError
from scrm_wecom.sync.models import Follow
from sqlmodel import select
from wecom_assignment_fixtures import *  # noqa: F403
from wecom_assignment_fixtures import (
    EVE_FRIENDS,
    customer_of,
    employee,
    owner_of,
    poll,
    pool_customers,
    records_of,
    resign_eve,
)
from wecom_foundation_fixtures import AES_KEY, CALLBACK_TOKEN, CORP_ID

from scrm.sdk import Customer, utcnow

RESIGNED_PATH = "/cgi-bin/externalcontact/resigned/transfer_customer"
ONJOB_PATH = "/cgi-bin/externalcontact/transfer_customer"


def _ids(html: str) -> set[int]:
    return {int(i) for i in re.findall(r'data-customer-id="(\d+)"', html)}


def _admin(make_user, login, tenant):
    return login(make_user(f"admin@{tenant.slug}.test", tenant, role="tenant_admin"))


def test_resigned_owner_moves_customers_to_inheritance_tab(db, tenant, assignment_live, make_user, login, wsgi_http,
                                                           worker):
    account, control = assignment_live
    client = _admin(make_user, login, tenant)
    eve_customers = {customer_of(db, tenant.id, ext).id for ext in EVE_FRIENDS}
    onjob = client.get("/t/acme/wecom/assignment/onjob?q=Eve+friend+00").get_data(as_text=True)
    assert len(_ids(onjob)) == 10  # Eve friend 000..009 while Eve works
    resign_eve(db, wsgi_http, worker, account, control)
    html = client.get("/t/acme/wecom/assignment/resigned").get_data(as_text=True)
    assert "150 customers" in html and "Eve (left)" in html
    assert _ids(html) <= eve_customers and len(_ids(html)) == 50  # first page
    onjob = client.get("/t/acme/wecom/assignment/onjob").get_data(as_text=True)
    assert "2 customers" in onjob and not (_ids(onjob) & eve_customers)  # acceptance 7: Ann and Bo of Amy


def test_inheriting_150_wecom_friends_uses_two_calls_and_the_poll_hands_them_over(
        db, platform, tenant, assignment_live, make_user, login, wsgi_http, worker):
    account, control = assignment_live
    eve = resign_eve(db, wsgi_http, worker, account, control)
    fay = employee(db, tenant.id, "fay")
    local = pool_customers(db, tenant, members=1, non_members=0)[0]  # a customer of Eve without a WeCom relation
    db.get(Customer, local.id).owner_employee_id = eve.id
    db.commit()
    ids = [customer_of(db, tenant.id, ext).id for ext in EVE_FRIENDS] + [local.id]
    control.settings(transfer_takeover_after=86400)  # WeCom has not taken over yet
    control.clear_calls()
    client = _admin(make_user, login, tenant)
    response = client.post("/t/acme/wecom/assignment/inherit", data={"customer_ids": ids, "takeover_id": fay.id})
    assert response.status_code == 302
    worker.join()
    calls = control.calls(RESIGNED_PATH)
    assert [len(c["body"]["external_userid"]) for c in calls] == [100, 50]
    assert {c["body"]["handover_userid"] for c in calls} == {"eve"}
    assert owner_of(db, local.id) == fay.id  # no WeCom relation: moved at once
    waiting = records_of(db, tenant.id, kind="resigned_inherit", status="waiting")
    assert len(waiting) == 150 and all(r.sent_at is not None for r in waiting)
    assert owner_of(db, ids[0]) == eve.id
    assert poll(platform, tenant.id) == 150  # WeCom still says 2 (waiting)
    control.complete_transfers(CORP_ID, 1)
    assert poll(platform, tenant.id) == 0
    assert {r.status for r in records_of(db, tenant.id, kind="resigned_inherit")} == {"taken_over"}
    assert {owner_of(db, i) for i in ids} == {fay.id}
    db.expire_all()
    moved = db.exec(select(Follow).where(Follow.external_userid == EVE_FRIENDS[0])).all()
    assert {(f.userid, f.status) for f in moved} == {("eve", "transferred"), ("fay", "active")}
    html = client.get("/t/acme/wecom/assignment/records?kind=resigned_inherit").get_data(as_text=True)
    assert "151 assigned customers" in html and "Taken over" in html and "Eve (left)" in html
    worker.join()  # the 150 ``wecom.handover_finished`` events reach their subscribers before the app is emptied


def test_inheritance_refused_by_wecom_keeps_the_owner(db, platform, tenant, assignment_live, make_user, login,
                                                     wsgi_http, worker):
    account, control = assignment_live
    eve = resign_eve(db, wsgi_http, worker, account, control)
    fay = employee(db, tenant.id, "fay")
    ids = [customer_of(db, tenant.id, ext).id for ext in EVE_FRIENDS[:2]]
    control.settings(transfer_takeover_after=86400)
    client = _admin(make_user, login, tenant)
    client.post("/t/acme/wecom/assignment/inherit", data={"customer_ids": ids, "takeover_id": fay.id})
    worker.join()
    control.complete_transfers(CORP_ID, 4)
    assert poll(platform, tenant.id) == 0
    assert {r.status for r in records_of(db, tenant.id)} == {"limit"}
    assert {owner_of(db, i) for i in ids} == {eve.id}


def test_inheritance_needs_exactly_one_active_employee(db, tenant, assignment_live, make_user, login, wsgi_http,
                                                       worker):
    account, control = assignment_live
    eve = resign_eve(db, wsgi_http, worker, account, control)
    cid = customer_of(db, tenant.id, EVE_FRIENDS[0]).id
    client = _admin(make_user, login, tenant)
    missing = client.post("/t/acme/wecom/assignment/inherit", data={"customer_ids": [cid]})
    assert missing.status_code == 400 and "Choose the employee who takes over" in missing.get_data(as_text=True)
    left = client.post("/t/acme/wecom/assignment/inherit", data={"customer_ids": [cid], "takeover_id": eve.id})
    assert left.status_code == 400 and "not an active employee" in left.get_data(as_text=True)
    assert records_of(db, tenant.id) == []


def test_onjob_handover_takes_effect_after_24_hours(db, platform, tenant, assignment_live, make_user, login, worker):
    account, control = assignment_live
    amy, ben = employee(db, tenant.id, "amy"), employee(db, tenant.id, "ben")
    ann = customer_of(db, tenant.id, "wmAnn")
    control.clear_calls()
    client = _admin(make_user, login, tenant)
    response = client.post("/t/acme/wecom/assignment/transfer",
                           data={"customer_ids": [ann.id], "takeover_id": ben.id, "message": "Ben will help you"})
    assert response.status_code == 302
    worker.join()
    call, = control.calls(ONJOB_PATH)
    assert call["body"]["transfer_success_msg"] == "Ben will help you"
    assert call["body"]["handover_userid"] == "amy" and call["body"]["takeover_userid"] == "ben"
    assert poll(platform, tenant.id) == 1  # before the 24 hours nothing changes
    assert owner_of(db, ann.id) == amy.id
    assert poll(platform, tenant.id, utcnow() + timedelta(hours=24, seconds=1)) == 0
    record, = records_of(db, tenant.id, customer_id=ann.id)
    assert (record.status, record.from_employee_id, record.takeover_employee_id) == ("taken_over", amy.id, ben.id)
    assert owner_of(db, ann.id) == ben.id
    worker.join()  # the ``wecom.handover_finished`` event is handled before the test writes again
    db.commit()  # and the test's session leaves its older read snapshot
    # acceptance 10: Amy no longer sees the customer in her customers, the record shows Ben
    amy_client = login(make_user("amy@acme.test", tenant, role="operator", scope="mine", employee_id=amy.id))
    assert ann.id not in _ids(amy_client.get("/t/acme/wecom/assignment/onjob").get_data(as_text=True))
    html = client.get("/t/acme/wecom/assignment/records?q=Ann").get_data(as_text=True)
    assert "Ben" in html and "Taken over" in html


def test_onjob_handover_of_a_customer_updated_meanwhile_fails(db, platform, tenant, assignment_live, make_user,
                                                              login, worker):
    account, control = assignment_live
    amy, ben = employee(db, tenant.id, "amy"), employee(db, tenant.id, "ben")
    ann = customer_of(db, tenant.id, "wmAnn")
    client = _admin(make_user, login, tenant)
    client.post("/t/acme/wecom/assignment/transfer", data={"customer_ids": [ann.id], "takeover_id": ben.id})
    worker.join()
    db.expire_all()
    row = db.get(Customer, ann.id)
    row.attributes = {**row.attributes, "nickname": "Annie"}
    row.updated_at = utcnow() + timedelta(hours=1)  # new customer data during the window
    db.commit()
    assert poll(platform, tenant.id, utcnow() + timedelta(hours=25)) == 0
    record, = records_of(db, tenant.id, customer_id=ann.id)
    assert record.status == "failed" and "changed" in record.error
    assert owner_of(db, ann.id) == amy.id


def test_onjob_handover_is_for_wecom_friends_only(db, tenant, assignment_corp, make_user, login):
    amy, ben = employee(db, tenant.id, "amy"), employee(db, tenant.id, "ben")
    stranger = pool_customers(db, tenant, members=1, non_members=0)[0]
    db.get(Customer, stranger.id).owner_employee_id = amy.id
    db.commit()
    client = _admin(make_user, login, tenant)
    response = client.post("/t/acme/wecom/assignment/transfer",
                           data={"customer_ids": [stranger.id], "takeover_id": ben.id})
    assert response.status_code == 400 and "WeCom friends only" in response.get_data(as_text=True)
    same = client.post("/t/acme/wecom/assignment/transfer",
                       data={"customer_ids": [customer_of(db, tenant.id, "wmAnn").id], "takeover_id": amy.id})
    assert same.status_code == 400 and "already owns" in same.get_data(as_text=True)
    long = client.post("/t/acme/wecom/assignment/transfer",
                       data={"customer_ids": [customer_of(db, tenant.id, "wmAnn").id], "takeover_id": ben.id,
                             "message": "x" * 201})
    assert long.status_code == 400 and "at most 200 characters" in long.get_data(as_text=True)
    assert records_of(db, tenant.id) == []


def test_at_most_two_handovers_in_90_days(db, platform, tenant, assignment_corp):
    from sqlmodel import Session

    from scrm.core.db import writer

    amy, ben = employee(db, tenant.id, "amy"), employee(db, tenant.id, "ben")
    ann = customer_of(db, tenant.id, "wmAnn")
    start = utcnow() - timedelta(days=100)

    from scrm_wecom.assignment import tracking

    row = db.get(Customer, ann.id)
    row.updated_at = start - timedelta(days=1)  # synced long before the first handover
    db.commit()
    for to, when in ((ben, start), (amy, start + timedelta(days=10))):
        with Session(writer(platform.engine), expire_on_commit=False) as session:
            handover.transfer(session, tenant.id, [ann.id], to.id, "", None, when)
            session.commit()
            tracking.send_pending(session, platform, tenant.id, when)
            session.commit()
        assert poll(platform, tenant.id, when + timedelta(hours=25)) == 0
        assert owner_of(db, ann.id) == to.id
    assert [r.status for r in records_of(db, tenant.id)] == ["taken_over", "taken_over"]
    with Session(writer(platform.engine)) as session:
        try:  # day 89: both earlier handovers are still inside the 90-day window
            handover.transfer(session, tenant.id, [ann.id], ben.id, "", None, start + timedelta(days=89))
        except AssignmentError as exc:
            assert "twice in the last 90 days" in str(exc)
        else:
            raise AssertionError("a third handover within 90 days was accepted")
        # an hour past day 90: the first one has left the window, the second (day 10) still counts
        result = handover.transfer(session, tenant.id, [ann.id], ben.id, "", None,
                                   start + timedelta(days=90, hours=1))
        assert result.waiting == 1


def test_transfer_fail_callback_ends_the_record_as_refused(db, platform, tenant, assignment_live, make_user, login,
                                                           wsgi_http, worker):
    account, control = assignment_live
    amy, ben = employee(db, tenant.id, "amy"), employee(db, tenant.id, "ben")
    bo = customer_of(db, tenant.id, "wmBo")
    control.settings(transfer_takeover_after=86400)
    client = _admin(make_user, login, tenant)
    client.post("/t/acme/wecom/assignment/transfer", data={"customer_ids": [bo.id], "takeover_id": ben.id})
    worker.join()
    target = {"url": f"http://localhost/callbacks/wecom/{account.id}", "token": CALLBACK_TOKEN,
              "encoding_aes_key": AES_KEY}
    # the sandbox fires the callback over HTTP; route it into the app in process
    import httpx
    from scrm_wecom.sandbox import CallbackTarget, fire_callback
    from scrm_wecom.sandbox.control import complete_transfers, transfer_fail_xml  # noqa: F401

    control.complete_transfers(CORP_ID, 3)
    xml = transfer_fail_xml(CORP_ID, {"takeover_userid": "ben", "external_userid": "wmBo", "status": 3})
    response = fire_callback(target["url"], CallbackTarget(CORP_ID, CALLBACK_TOKEN, AES_KEY), xml, http=wsgi_http)
    assert response.status_code == 200 and isinstance(wsgi_http, httpx.Client)
    worker.join()
    record, = records_of(db, tenant.id, customer_id=bo.id)
    assert record.status == "refused" and owner_of(db, bo.id) == amy.id


def test_handover_pages_and_forms_are_per_tenant(db, tenant, other_tenant, assignment_corp, enable_plugins,
                                                 make_user, login):
    enable_plugins(other_tenant, "wecom", "members")
    ben = employee(db, tenant.id, "ben")
    ann = customer_of(db, tenant.id, "wmAnn")
    outsider = login(make_user("admin@globex.test", other_tenant, role="tenant_admin"))
    assert _ids(outsider.get("/t/globex/wecom/assignment/onjob").get_data(as_text=True)) == set()
    response = outsider.post("/t/globex/wecom/assignment/transfer",
                             data={"customer_ids": [ann.id], "takeover_id": ben.id})
    assert response.status_code == 400
    response = outsider.post("/t/globex/wecom/assignment/inherit",
                             data={"customer_ids": [ann.id], "takeover_id": ben.id})
    assert response.status_code == 400
    assert records_of(db, tenant.id) == [] and records_of(db, other_tenant.id) == []
    assert outsider.get("/t/acme/wecom/assignment/onjob").status_code in (403, 404)
