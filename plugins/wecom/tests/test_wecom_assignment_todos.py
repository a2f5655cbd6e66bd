"""The home page's to-do list gets WeCom's customer transfers (members-1 R2, R3; issue 16 item 1): a resigned
inheritance or an on-the-job transfer waiting for WeCom is a task of the receiving employee's account, one per
handover, ending when WeCom's 24-hour window closes; finished transfers, pool customers, other employees and other
tenants give none."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

from scrm_wecom.assignment.models import AssignmentRecord
from sqlmodel import select
from wecom_assignment_fixtures import *  # noqa: F403
from wecom_assignment_fixtures import EVE_FRIENDS, customer_of, employee, poll, pool_customers, resign_eve
from wecom_foundation_fixtures import CORP_ID

from scrm.sdk import Customer, Employee, utcnow


def todos(client, tenant_slug: str = "acme") -> list[tuple[str, str, str]]:
    """(title, link, ends HH:MM) of each item of the home page's to-do list."""
    html = client.get(f"/t/{tenant_slug}/").get_data(as_text=True)
    section = html.split('data-testid="todo"', 1)[1].split("</section>", 1)[0]
    return re.findall(r'data-testid="todo-item">\s*<a href="([^"]*)">([^<]+)</a>\s*<span class="muted">[^<]*?'
                      r'Ends (\d\d:\d\d)', section)


def _admin(make_user, login, tenant):
    return login(make_user(f"admin@{tenant.slug}.test", tenant, role="tenant_admin"))


def _local_hhmm(moment: datetime) -> str:
    from scrm.sdk import local

    return local(moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment).strftime("%H:%M")


def test_an_inheritance_waiting_for_wecom_is_one_task_of_the_heir_until_taken_over(
        db, platform, tenant, assignment_live, make_user, login, wsgi_http, worker):
    account, control = assignment_live
    eve = resign_eve(db, wsgi_http, worker, account, control)
    fay = employee(db, tenant.id, "fay")
    ids = [customer_of(db, tenant.id, ext).id for ext in EVE_FRIENDS]
    control.settings(transfer_takeover_after=86400)  # WeCom has not taken over yet
    client = _admin(make_user, login, tenant)
    assert client.post("/t/acme/wecom/assignment/inherit",
                       data={"customer_ids": ids, "takeover_id": fay.id}).status_code == 302
    worker.join()
    assert todos(client) == []  # the admin is no employee: the transfer is not theirs
    fay_client = login(make_user("fay@acme.test", tenant, role="operator", employee_id=fay.id))
    (link, title, ends), = todos(fay_client)
    assert title == f"You inherit 150 customers of {eve.name} (left)"
    first = min(db.exec(select(AssignmentRecord.assigned_at).where(AssignmentRecord.tenant_id == tenant.id)).all())
    assert ends == _local_hhmm(first + timedelta(hours=24))  # WeCom completes an inheritance after 24 hours
    assert link == f"/t/acme/wecom/assignment/records?status=waiting&amp;kind=resigned_inherit&amp;employee={fay.id}"
    assert "Customer transfer" in fay_client.get("/t/acme/").get_data(as_text=True)
    amy = employee(db, tenant.id, "amy")
    assert todos(login(make_user("amy@acme.test", tenant, role="operator", employee_id=amy.id))) == []
    control.complete_transfers(CORP_ID, 1)
    assert poll(platform, tenant.id) == 0
    worker.join()
    db.commit()
    assert todos(login(make_user("fay2@acme.test", tenant, role="operator", employee_id=fay.id))) == []


def test_an_onjob_transfer_ends_when_its_24_hours_end_and_an_employee_role_links_to_the_unassigned_page(
        db, platform, tenant, assignment_live, make_user, login, worker):
    account, control = assignment_live
    amy, ben = employee(db, tenant.id, "amy"), employee(db, tenant.id, "ben")
    ann, bo = customer_of(db, tenant.id, "wmAnn"), customer_of(db, tenant.id, "wmBo")
    client = _admin(make_user, login, tenant)
    assert client.post("/t/acme/wecom/assignment/transfer",
                       data={"customer_ids": [ann.id, bo.id], "takeover_id": ben.id}).status_code == 302
    worker.join()
    db.commit()
    record = db.exec(select(AssignmentRecord).where(AssignmentRecord.customer_id == ann.id)).one()
    assert record.effective_at is not None
    ben_client = login(make_user("ben@acme.test", tenant, role="employee", employee_id=ben.id))
    (link, title, ends), = todos(ben_client)
    assert title == f"2 customers of {amy.name} are being transferred to you"
    assert ends == _local_hhmm(record.effective_at)
    assert link == "/t/acme/wecom/assignment/"
    assert poll(platform, tenant.id, utcnow() + timedelta(hours=24, seconds=1)) == 0
    worker.join()
    db.commit()
    assert todos(ben_client) == []


def test_pool_customers_are_no_task_and_transfers_stay_in_their_tenant(
        db, tenant, other_tenant, assignment_corp, enable_plugins, make_user, login):
    pool_customers(db, tenant, members=2, non_members=1)  # unassigned: nobody's task (R2)
    fay = employee(db, tenant.id, "fay")
    enable_plugins(other_tenant, "wecom", "members")
    other_fay = Employee(tenant_id=other_tenant.id, userid="fay", name="Fay")
    other_customer = Customer(tenant_id=other_tenant.id, name="王芳")
    db.add_all([other_fay, other_customer])
    db.commit()
    db.add(AssignmentRecord(tenant_id=other_tenant.id, customer_id=other_customer.id, kind="onjob_transfer",
                            takeover_employee_id=other_fay.id, status="waiting",
                            effective_at=utcnow() + timedelta(hours=3)))
    db.commit()
    fay_client = login(make_user("fay@acme.test", tenant, role="operator", employee_id=fay.id))
    assert todos(fay_client) == []
    other_client = login(make_user("fay@other.test", other_tenant, role="operator", employee_id=other_fay.id))
    (link, title, _ends), = todos(other_client, other_tenant.slug)
    assert title == "1 customer of a former colleague is being transferred to you"
    assert link.startswith(f"/t/{other_tenant.slug}/wecom/assignment/records")
