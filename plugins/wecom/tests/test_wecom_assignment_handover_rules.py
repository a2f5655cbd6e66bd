"""Inheritance and on-the-job transfer rules against the WeCom sandbox (spec 3.2, 3.3, 4.3, J1, J2, acceptance 5, 6,
10, 11): the waiting-handover rejection, ``no_record``, the rule text of the dialog, a members' edit during the 24
hours, the members' "My customers" after a handover, the "Waiting for takeover" label, the durable poll's due time,
disabled WeCom members treated as resigned, and the inheritance tab's columns and filters."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

from scrm_wecom.assignment import tracking
from sqlalchemy import select
from wecom_assignment_fixtures import *  # noqa: F403
from wecom_assignment_fixtures import (
    EVE_FRIENDS,
    corp,
    customer_of,
    employee,
    owner_of,
    poll,
    records_of,
    resign_eve,
)
from wecom_sync_fixtures import fire

from scrm.sdk import Customer, CustomerTag, EmployeeStatus, ScheduledJob, Tag, TagGroup, utcnow

BASE = "/t/acme/wecom/assignment"
ONJOB_PATH = "/cgi-bin/externalcontact/transfer_customer"
RESIGNED_PATH = "/cgi-bin/externalcontact/resigned/transfer_customer"
RULES = ("After the handover the customer's owner changes and the original owner no longer has this customer! "
         "Note: at most 2 handovers within 90 days; the handover takes effect 24 hours later; do not update the data "
         "meanwhile: if there is new customer data, the handover fails; WeCom friends only!")


def _ids(html: str) -> list[int]:
    return [int(i) for i in re.findall(r'data-customer-id="(\d+)"', html)]


def _admin(make_user, login, tenant):
    return login(make_user("admin@acme.test", tenant, role="tenant_admin"))


def _hand_over(client, customer_id: int, takeover_id: int):
    response = client.post(f"{BASE}/transfer", data={"customer_ids": [customer_id], "takeover_id": takeover_id})
    assert response.status_code == 302, response.get_data(as_text=True)


def test_a_second_handover_while_one_waits_is_rejected(db, tenant, assignment_live, make_user, login, worker):
    account, control = assignment_live
    ben, fay = employee(db, tenant.id, "ben"), employee(db, tenant.id, "fay")
    ann = customer_of(db, tenant.id, "wmAnn")
    control.settings(transfer_takeover_after=86400)
    client = _admin(make_user, login, tenant)
    _hand_over(client, ann.id, ben.id)
    worker.join()
    again = client.post(f"{BASE}/transfer", data={"customer_ids": [ann.id], "takeover_id": fay.id})
    assert again.status_code == 400 and "still waiting for WeCom" in again.get_data(as_text=True)
    assert len(records_of(db, tenant.id)) == 1
    html = client.get(f"{BASE}/records?q=Ann").get_data(as_text=True)
    assert "Waiting for takeover" in html  # acceptance 6: the record shows "waiting" first


def test_a_handover_wecom_has_no_record_of_ends_no_record(db, platform, tenant, assignment_live, make_user, login,
                                                         worker):
    account, control = assignment_live
    amy, ben = employee(db, tenant.id, "amy"), employee(db, tenant.id, "ben")
    ann = customer_of(db, tenant.id, "wmAnn")
    client = _admin(make_user, login, tenant)
    _hand_over(client, ann.id, ben.id)
    worker.join()
    control.seed(corp())  # WeCom lost the transfer: transfer_result no longer lists it
    assert poll(platform, tenant.id, utcnow() + timedelta(hours=24, seconds=1)) == 0
    record, = records_of(db, tenant.id)
    assert record.status == "no_record" and owner_of(db, ann.id) == amy.id
    assert "No takeover record" in client.get(f"{BASE}/records?status=no_record").get_data(as_text=True)


def test_the_handover_dialog_states_the_rules(db, tenant, assignment_corp, make_user, login):
    html = _admin(make_user, login, tenant).get(f"{BASE}/onjob").get_data(as_text=True)
    button = html[html.index('data-testid="handover"'):]
    assert f'data-confirm="{RULES}"' in button[:button.index(">")]


def test_a_members_edit_during_the_24_hours_fails_the_handover(db, platform, tenant, assignment_live, make_user,
                                                               login, worker):
    account, control = assignment_live
    amy, ben = employee(db, tenant.id, "amy"), employee(db, tenant.id, "ben")
    ann = customer_of(db, tenant.id, "wmAnn")
    client = _admin(make_user, login, tenant)
    _hand_over(client, ann.id, ben.id)
    worker.join()
    edit = client.post(f"/t/acme/members/customers/{ann.id}/edit", data={"name": "Ann Li", "gender": "2",
                                                                          "mobiles": "13600000006"})
    assert edit.status_code == 302, edit.get_data(as_text=True)
    worker.join()
    assert poll(platform, tenant.id, utcnow() + timedelta(hours=25)) == 0
    record, = records_of(db, tenant.id)
    assert record.status == "failed" and "changed" in record.error
    assert owner_of(db, ann.id) == amy.id  # acceptance 11
    worker.join()


def test_after_a_handover_the_old_owner_no_longer_has_the_customer_in_my_customers(
        db, platform, tenant, assignment_live, make_user, login, worker):
    account, control = assignment_live
    amy, ben = employee(db, tenant.id, "amy"), employee(db, tenant.id, "ben")
    ann = customer_of(db, tenant.id, "wmAnn")
    db.execute(Customer.__table__.update().where(Customer.id == ann.id).values(updated_at=utcnow() - timedelta(days=1)))
    db.commit()
    admin = _admin(make_user, login, tenant)
    amy_client = login(make_user("amy@acme.test", tenant, role="operator", scope="mine", employee_id=amy.id))
    assert ann.id in _ids(amy_client.get("/t/acme/members/customers/").get_data(as_text=True))
    _hand_over(admin, ann.id, ben.id)
    worker.join()
    assert poll(platform, tenant.id, utcnow() + timedelta(hours=24, seconds=1)) == 0
    worker.join()
    db.commit()
    assert ann.id not in _ids(amy_client.get("/t/acme/members/customers/").get_data(as_text=True))
    assert amy_client.get(f"/t/acme/members/customers/{ann.id}").status_code == 404
    record, = records_of(db, tenant.id)
    assert (record.status, record.takeover_employee_id) == ("taken_over", ben.id)


def test_the_poll_is_a_durable_schedule_due_at_the_next_check(db, platform, tenant, assignment_live, make_user,
                                                              login, worker):
    account, control = assignment_live
    ben = employee(db, tenant.id, "ben")
    ann = customer_of(db, tenant.id, "wmAnn")
    control.settings(transfer_takeover_after=86400)
    before = utcnow()
    _hand_over(_admin(make_user, login, tenant), ann.id, ben.id)
    worker.join()

    def job() -> ScheduledJob:
        db.commit()
        db.expire_all()
        return db.execute(select(ScheduledJob).where(ScheduledJob.key == tracking.poll_key(tenant.id))).scalar_one()

    first = job()
    due = first.due_at.replace(tzinfo=UTC)
    assert first.status == "pending" and first.actor == tracking.POLL_JOB and first.tenant_id == tenant.id
    assert before + tracking.POLL_EVERY <= due <= utcnow() + tracking.POLL_EVERY
    record, = records_of(db, tenant.id)
    effective = record.effective_at.replace(tzinfo=UTC)
    assert effective == record.assigned_at.replace(tzinfo=UTC) + timedelta(hours=24)
    running = job()
    running.status = "running"  # the scheduler started the poll job, which now runs half an hour before the mark
    db.commit()
    assert poll(platform, tenant.id, effective - timedelta(minutes=30)) == 1
    again = job()
    assert again.status == "pending" and again.due_at.replace(tzinfo=UTC) == effective  # not an hour later


def test_a_disabled_wecom_member_is_treated_as_resigned(db, platform, tenant, assignment_live, make_user, login,
                                                        wsgi_http, worker):
    account, control = assignment_live
    control.seed(corp(eve_status=2))  # WeCom disabled Eve (禁用)
    control.settings(transfer_takeover_after=0)
    fire(wsgi_http, account, "update_user", event="change_contact", UserID="eve")
    worker.join()
    db.commit()
    eve, fay = employee(db, tenant.id, "eve"), employee(db, tenant.id, "fay")
    assert eve.status == EmployeeStatus.LEFT
    client = _admin(make_user, login, tenant)
    html = client.get(f"{BASE}/resigned").get_data(as_text=True)
    assert "150 customers" in html and "Eve (left)" in html
    ids = [customer_of(db, tenant.id, ext).id for ext in EVE_FRIENDS[:2]]
    control.clear_calls()
    response = client.post(f"{BASE}/inherit", data={"customer_ids": ids, "takeover_id": fay.id})
    assert response.status_code == 302
    worker.join()
    # still a member of the corp: WeCom's on-the-job API, its resigned API would refuse her
    assert control.calls(RESIGNED_PATH) == []
    call, = control.calls(ONJOB_PATH)
    assert call["body"]["handover_userid"] == "eve" and len(call["body"]["external_userid"]) == 2
    assert poll(platform, tenant.id) == 0
    assert {r.status for r in records_of(db, tenant.id)} == {"taken_over"}
    assert {owner_of(db, i) for i in ids} == {fay.id}
    worker.join()


def test_inheritance_tab_columns_sorting_and_filters(db, tenant, assignment_live, make_user, login, wsgi_http,
                                                    worker):
    account, control = assignment_live
    eve = resign_eve(db, wsgi_http, worker, account, control)
    first, second, third = (customer_of(db, tenant.id, ext) for ext in EVE_FRIENDS[:3])
    db.get(Customer, first.id).created_at = datetime(2024, 3, 9, 16, 30, tzinfo=UTC)  # 2024-03-10 in Shanghai
    db.get(Customer, second.id).created_at = datetime(2024, 3, 10, 16, 30, tzinfo=UTC)  # 2024-03-11 in Shanghai
    group = TagGroup(tenant_id=tenant.id, name="Interest")
    db.add(group)
    db.commit()
    tag = Tag(tenant_id=tenant.id, group_id=group.id, name="Skincare")
    db.add(tag)
    db.commit()
    db.add(CustomerTag(tenant_id=tenant.id, customer_id=third.id, tag_id=tag.id))
    db.commit()
    client = _admin(make_user, login, tenant)
    html = client.get(f"{BASE}/resigned?sort=created").get_data(as_text=True)
    assert _ids(html)[:2] == [first.id, second.id]  # oldest first
    row = html[html.index(f'data-customer-id="{first.id}"'):]
    row = row[:row.index("</tr>")]
    assert "@WeChat" in row and "Eve (left)" in row and f'/t/acme/members/customers/{first.id}"' in row
    assert "View chat" not in html  # no session archive: no dead link
    header = html[html.index("<thead>"):html.index("</thead>")]
    assert "Current stage" in header and "sort=-created" in header

    def listed(query: str) -> set[int]:
        return set(_ids(client.get(f"{BASE}/resigned?{query}").get_data(as_text=True)))

    assert listed("created_from=2024-03-10&created_to=2024-03-10") == {first.id}
    assert listed(f"tag={tag.id}") == {third.id}
    assert listed(f"owner={eve.id}&q=Eve+friend+00") == {customer_of(db, tenant.id, e).id for e in EVE_FRIENDS[:10]}
    assert listed(f"owner={employee(db, tenant.id, 'amy').id}") == set()
    assert listed(f"department={eve.department_id}&q=Eve+friend+001") == {second.id}
    assert listed(f"department={employee(db, tenant.id, 'amy').department_id}") == set()
    assert listed("type=wecom_friend&q=Eve+friend+002") == {third.id}
    assert listed("type=other") == set()
    assert listed("member=1") == set()
