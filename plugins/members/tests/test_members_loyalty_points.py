# ruff: noqa: F811  (pytest fixtures imported from the area helper module are redefined as test arguments)
"""Points (spec A §3.10; brief: ledger, balance, single and bulk adjustments with a required reason, no negative
balance): the service, the pages with their bad input, the API, and tenant isolation."""

from __future__ import annotations

import pytest
from members_loyalty_fixtures import (  # noqa: F401
    admin,
    bearer,
    customer,
    loyalty_tenant,
)
from scrm_members.loyalty import points
from scrm_members.loyalty.models import PointsEntry
from sqlmodel import func, select


def ledger(db, customer_id: int) -> list[tuple[int, int, str]]:
    db.commit()
    return [(e.delta, e.balance_after, e.reason) for e in db.exec(
        select(PointsEntry).where(PointsEntry.customer_id == customer_id).order_by(PointsEntry.id))]


def test_adjustments_keep_a_balance_and_a_ledger(db, loyalty_tenant, customer):
    ann = customer(loyalty_tenant, "Ann")
    points.adjust(db, loyalty_tenant.id, [ann.id], 100, "welcome gift", actor="boss@acme.test")
    points.adjust(db, loyalty_tenant.id, [ann.id], "-30", " redeemed a coupon ")
    db.commit()
    assert points.balance(db, loyalty_tenant.id, ann.id) == 70
    assert ledger(db, ann.id) == [(100, 100, "welcome gift"), (-30, 70, "redeemed a coupon")]


@pytest.mark.parametrize("delta, reason, field", [(0, "x", "delta"), ("ten", "x", "delta"), (5, "  ", "reason"),
                                                  (5, "r" * 201, "reason"), (-1, "too much", "delta")])
def test_bad_adjustments_change_nothing(db, loyalty_tenant, customer, delta, reason, field):
    ann = customer(loyalty_tenant, "Ann")
    with pytest.raises(points.PointsError) as caught:
        points.adjust(db, loyalty_tenant.id, [ann.id], delta, reason)
    assert caught.value.field == field
    db.rollback()
    assert ledger(db, ann.id) == [] and points.balance(db, loyalty_tenant.id, ann.id) == 0


def test_a_bulk_deduction_is_refused_for_everyone_when_one_balance_is_short(db, loyalty_tenant, customer):
    rich, poor = customer(loyalty_tenant, "Rich"), customer(loyalty_tenant, "Poor")
    points.adjust(db, loyalty_tenant.id, [rich.id], 50, "gift")
    db.commit()
    with pytest.raises(points.PointsError):
        points.adjust(db, loyalty_tenant.id, [rich.id, poor.id], -10, "expiry")
    db.rollback()
    assert points.balance(db, loyalty_tenant.id, rich.id) == 50
    points.adjust(db, loyalty_tenant.id, [rich.id, poor.id], 10, "campaign")
    db.commit()
    assert (points.balance(db, loyalty_tenant.id, rich.id), points.balance(db, loyalty_tenant.id, poor.id)) == (60, 10)


def test_another_tenants_customer_cannot_be_adjusted(db, loyalty_tenant, other_tenant, customer):
    theirs = customer(other_tenant, "Bob")
    with pytest.raises(points.PointsError) as caught:
        points.adjust(db, loyalty_tenant.id, [theirs.id], 10, "gift")
    assert caught.value.field == "customer_id"


def test_adjust_page_adjusts_one_or_many_and_shows_errors(client, admin, loyalty_tenant, customer, db):
    ann, bob = customer(loyalty_tenant, "Ann"), customer(loyalty_tenant, "Bob")
    form = client.get(f"/t/acme/members/points/adjust?customer_id={ann.id}&customer_id={bob.id}")
    assert form.status_code == 200 and "2 customers selected" in form.get_data(as_text=True)
    missing = client.post("/t/acme/members/points/adjust", data={"customer_id": [ann.id], "delta": "10", "reason": ""})
    assert missing.status_code == 422 and 'data-testid="reason-error"' in missing.get_data(as_text=True)
    negative = client.post("/t/acme/members/points/adjust",
                           data={"customer_id": [ann.id], "delta": "-10", "reason": "oops"})
    assert negative.status_code == 422 and 'data-testid="delta-error"' in negative.get_data(as_text=True)
    ok = client.post("/t/acme/members/points/adjust",
                     data={"customer_id": [ann.id, bob.id], "delta": "25", "reason": "anniversary"})
    assert ok.status_code == 302
    assert ledger(db, ann.id) == [(25, 25, "anniversary")] and ledger(db, bob.id) == [(25, 25, "anniversary")]
    page = client.get(f"/t/acme/members/points/?customer_id={ann.id}").get_data(as_text=True)
    assert "Ann has 25 points." in page and "anniversary" in page


def test_pages_never_show_or_touch_another_tenants_points(client, admin, loyalty_tenant, other_tenant, customer, db):
    theirs = customer(other_tenant, "Bob")
    points.adjust(db, other_tenant.id, [theirs.id], 40, "their secret reason")
    db.commit()
    assert "their secret reason" not in client.get("/t/acme/members/points/").get_data(as_text=True)
    response = client.post("/t/acme/members/points/adjust",
                           data={"customer_id": [theirs.id], "delta": "5", "reason": "steal"})
    assert response.status_code == 422
    assert ledger(db, theirs.id) == [(40, 40, "their secret reason")]


def test_api_adjusts_and_reads_points_of_the_tokens_tenant_only(client, loyalty_tenant, other_tenant, api_token,
                                                                customer, db):
    ann, theirs = customer(loyalty_tenant, "Ann"), customer(other_tenant, "Bob")
    token = api_token(loyalty_tenant)
    ok = client.post("/api/v1/members/points/adjustments", json={"customer_ids": [ann.id], "delta": 30,
                                                                 "reason": "api gift"}, headers=bearer(token))
    assert ok.status_code == 201 and ok.get_json()["items"][0]["balance"] == 30
    short = client.post("/api/v1/members/points/adjustments", json={"customer_ids": [ann.id], "delta": -31,
                                                                    "reason": "x"}, headers=bearer(token))
    assert short.status_code == 409 and short.get_json()["error"]["code"] == "insufficient_points"
    no_reason = client.post("/api/v1/members/points/adjustments", json={"customer_ids": [ann.id], "delta": 1},
                            headers=bearer(token))
    assert no_reason.status_code == 422
    foreign = client.post("/api/v1/members/points/adjustments", json={"customer_ids": [theirs.id], "delta": 5,
                                                                      "reason": "x"}, headers=bearer(token))
    assert foreign.status_code == 422
    assert client.get(f"/api/v1/members/points/{ann.id}", headers=bearer(token)).get_json()["balance"] == 30
    assert client.get(f"/api/v1/members/points/{theirs.id}", headers=bearer(token)).status_code == 404
    db.commit()
    assert db.exec(select(func.count()).select_from(PointsEntry).where(PointsEntry.customer_id == theirs.id)).one() == 0
