# ruff: noqa: F811  (pytest fixtures imported from the area helper module are redefined as test arguments)
"""The blacklist (spec A §3.9, B §2.10–2.11, §3.7, §4.6, acceptance 21–24): a reason is required, the list and its
time filter, removal with confirmation and kept history, the rule switches behind the exclusion decision, may_win for
marketing activities, the profile panel, and tenant isolation."""

from __future__ import annotations

from zoneinfo import ZoneInfo

import pytest
from members_segments_fixtures import add_customer, committed, members_tenant, staff  # noqa: F401
from scrm_members.segments import blacklist
from scrm_members.segments.models import BlacklistEntry
from scrm_members.segments.panels import customer_panels
from sqlmodel import select

FISSIONS = ("task_fission", "redpacket_fission", "interactive_fission")


def entries(db, tenant_id: int) -> list[BlacklistEntry]:
    return committed(db, select(BlacklistEntry).where(BlacklistEntry.tenant_id == tenant_id)
                     .order_by(BlacklistEntry.id))


def decide(platform, db, tenant, customer_id: int, purpose: str):
    reason = platform.hooks(db, db.merge(tenant)).decide("customer_exclusion_reason", tenant=tenant,
                                                        customer_id=customer_id, purpose=purpose, session=db)
    db.commit()
    return reason


def test_blacklisting_without_a_reason_fails_and_changes_nothing(client, staff, members_tenant, add_customer, db):
    anna = add_customer(members_tenant, "Anna")
    response = client.post("/t/acme/members/blacklist/add", data={"customer_id": [anna.id], "reason": "  "})
    assert response.status_code == 422
    assert 'data-testid="reason-error"' in response.get_data(as_text=True)
    assert entries(db, members_tenant.id) == []


def test_with_a_reason_the_customer_is_listed_with_the_blacklisted_time(client, staff, members_tenant,
                                                                        add_customer, db):
    anna, ben = add_customer(members_tenant, "Anna"), add_customer(members_tenant, "Ben")
    response = client.post("/t/acme/members/blacklist/add", data={
        "customer_id": [anna.id, ben.id], "reason": "Coupon abuse", "next": "/t/acme/members/segments/"})
    assert response.status_code == 302 and response.headers["Location"].endswith("/t/acme/members/segments/")
    rows = entries(db, members_tenant.id)
    assert {r.customer_id for r in rows} == {anna.id, ben.id}
    page = client.get("/t/acme/members/blacklist/").get_data(as_text=True)
    shown = rows[0].created_at.astimezone(ZoneInfo("Asia/Shanghai")).strftime("%Y-%m-%d %H:%M")  # the tenant's zone
    assert "Coupon abuse" in page and shown in page
    assert client.post("/t/acme/members/blacklist/add", data={
        "customer_id": [anna.id], "reason": "Again", "next": "https://evil.example/"}).headers["Location"] \
        .endswith("/t/acme/members/blacklist/")
    assert len(entries(db, members_tenant.id)) == 2  # already blacklisted: not twice


def test_the_time_filter_narrows_the_list(client, staff, members_tenant, add_customer, db):
    anna = add_customer(members_tenant, "Anna")
    blacklist.add(db, members_tenant.id, [anna.id], "Spam", None)
    db.commit()
    today = entries(db, members_tenant.id)[0].created_at.date().isoformat()
    assert "Spam" in client.get(f"/t/acme/members/blacklist/?from={today}&to={today}").get_data(as_text=True)
    assert "Spam" not in client.get("/t/acme/members/blacklist/?to=2000-01-01").get_data(as_text=True)


def test_blacklisted_customers_are_refused_fission_and_never_win_below_100_percent(members_tenant, add_customer,
                                                                                   platform, db):
    anna, ben = add_customer(members_tenant, "Anna"), add_customer(members_tenant, "Ben")
    blacklist.add(db, members_tenant.id, [anna.id], "Fraud", None)
    db.commit()
    for purpose in (*FISSIONS, "mass_send", "redpacket", "sms"):
        assert "Fraud" in decide(platform, db, members_tenant, anna.id, purpose)
        assert decide(platform, db, members_tenant, ben.id, purpose) is None
    assert not any(blacklist.may_win(db, members_tenant.id, anna.id, 0.5) for _ in range(20))
    assert blacklist.may_win(db, members_tenant.id, anna.id, 1.0)
    assert blacklist.may_win(db, members_tenant.id, ben.id, 0.5)
    with pytest.raises(ValueError):
        blacklist.may_win(db, members_tenant.id, anna.id, 50)


def test_rule_switches_turn_the_fission_refusals_off(client, staff, members_tenant, add_customer, platform, db):
    anna = add_customer(members_tenant, "Anna")
    blacklist.add(db, members_tenant.id, [anna.id], "Fraud", None)
    db.commit()
    assert client.post("/t/acme/members/blacklist/rules", data={"task_fission": "1"}).status_code == 302
    assert decide(platform, db, members_tenant, anna.id, "task_fission")
    assert decide(platform, db, members_tenant, anna.id, "redpacket_fission") is None
    assert decide(platform, db, members_tenant, anna.id, "interactive_fission") is None
    assert decide(platform, db, members_tenant, anna.id, "mass_send")  # not a switch: always refused
    assert blacklist.may_win(db, members_tenant.id, anna.id, 0.5)  # marketing rule switched off


def test_removal_asks_first_keeps_history_and_restores_participation(client, staff, members_tenant, add_customer,
                                                                     platform, db):
    anna = add_customer(members_tenant, "Anna")
    blacklist.add(db, members_tenant.id, [anna.id], "Fraud", None)
    db.commit()
    confirm = client.get(f"/t/acme/members/blacklist/{anna.id}/remove")
    assert 'data-testid="confirm"' in confirm.get_data(as_text=True)
    assert entries(db, members_tenant.id)[0].removed_at is None
    assert client.post(f"/t/acme/members/blacklist/{anna.id}/remove").status_code == 302
    assert decide(platform, db, members_tenant, anna.id, "task_fission") is None
    assert blacklist.may_win(db, members_tenant.id, anna.id, 0.5)
    assert entries(db, members_tenant.id)[0].removed_at is not None
    assert "Fraud" in client.get("/t/acme/members/blacklist/?tab=history").get_data(as_text=True)
    assert "Fraud" not in client.get("/t/acme/members/blacklist/").get_data(as_text=True)
    assert client.post(f"/t/acme/members/blacklist/{anna.id}/remove").status_code == 404


def test_the_profile_panel_shows_the_state_and_the_forms(app, staff, members_tenant, add_customer, db):
    anna = add_customer(members_tenant, "Anna")
    from flask import g

    with app.test_request_context("/t/acme/members/customers/1", headers={"Accept-Language": "en"}):
        g.tenant_slug = "acme"  # what tenant routing sets for the profile page that renders the panel
        html = customer_panels(members_tenant, anna, staff, db)[0].html
        assert "Not blacklisted." in html and 'name="reason"' in html
        blacklist.add(db, members_tenant.id, [anna.id], "Fraud", None)
        html = customer_panels(members_tenant, anna, staff, db)[0].html
        assert "Fraud" in html and f"/blacklist/{anna.id}/remove" in html
    db.rollback()


def test_another_tenants_customers_cannot_be_blacklisted_or_seen(client, staff, members_tenant, other_tenant,
                                                                 add_customer, platform, db):
    gina = add_customer(other_tenant, "Gina")
    blacklist.add(db, other_tenant.id, [gina.id], "Theirs", None)
    db.commit()
    response = client.post("/t/acme/members/blacklist/add", data={"customer_id": [gina.id], "reason": "x"})
    assert response.status_code == 422
    assert client.post(f"/t/acme/members/blacklist/{gina.id}/remove").status_code == 404
    assert "Theirs" not in client.get("/t/acme/members/blacklist/").get_data(as_text=True)
    assert decide(platform, db, members_tenant, gina.id, "mass_send") is None
    assert entries(db, members_tenant.id) == []
    assert entries(db, other_tenant.id)[0].removed_at is None
