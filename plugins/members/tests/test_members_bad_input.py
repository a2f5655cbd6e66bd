# ruff: noqa: F811  (pytest fixtures imported from the area helper module are redefined as test arguments)
"""Bad input to the members API and pages gets a 4xx with a clear message, never a 500, and changes nothing (issue
11, finding 9): integers past an integer column in cursors and filters, ``1e999`` / Infinity / NaN in segment rules
(never written into JSON), ids past a column inside rules, amounts too large for their column, ``?level=x``."""

from __future__ import annotations

import json

import pytest
from members_segments_fixtures import members_tenant, staff  # noqa: F401
from scrm_members.loyalty.models import Order
from scrm_members.segments.models import Segment, SegmentCategory
from sqlmodel import func, select

from scrm.sdk.web import INT_MAX

PAST = str(INT_MAX + 1)
BIG = str(2**63)


@pytest.fixture
def headers(api_token, members_tenant):
    return {"Authorization": f"Bearer {api_token(members_tenant)}"}


@pytest.fixture
def category(db, members_tenant) -> SegmentCategory:
    row = SegmentCategory(tenant_id=members_tenant.id, kind="dynamic", name="Behaviour")
    db.add(row)
    db.commit()
    return row


def error_of(response, status: int) -> dict:
    assert response.status_code == status, (response.status_code, response.get_data(as_text=True)[:300])
    error = response.get_json()["error"]
    assert error["code"] and error["message"]
    return error


def segments(db) -> int:
    db.commit()
    return db.exec(select(func.count()).select_from(Segment)).one()


@pytest.mark.parametrize(("path", "name"), [("/orders", "cursor"), ("/orders", "customer_id"), ("/blacklist", "cursor"),
                                            ("/orders", "limit")])
@pytest.mark.parametrize("value", [PAST, BIG, "x", "1e3"])
def test_query_integers_past_the_column_are_400(client, headers, path, name, value):
    error = error_of(client.get(f"/api/v1/members{path}", query_string={name: value}, headers=headers), 400)
    assert error["code"] == "invalid_parameter" and name in error["message"]


@pytest.mark.parametrize("number", ["1e999", "-1e999", "Infinity", "NaN"])
def test_a_non_finite_number_in_a_segment_rule_is_refused(client, headers, category, db, number):
    rule = '{"conditions": [{"type": "paid_amount", "values": [{"min": ' + number + "}]}]}"
    raw = f'{{"name": "Rich", "category_id": {category.id}, "kind": "dynamic", "rule": {rule}}}'
    error = error_of(client.post("/api/v1/members/segments", data=raw, content_type="application/json",
                                 headers=headers), 400)
    assert error["code"] == "invalid_json"
    assert segments(db) == 0


def test_an_id_past_the_column_in_a_segment_rule_is_422(client, headers, category, db):
    body = {"name": "Tagged", "category_id": category.id, "kind": "dynamic",
            "rule": {"conditions": [{"type": "tag", "values": [INT_MAX + 1]}]}}
    error_of(client.post("/api/v1/members/segments", json=body, headers=headers), 422)
    assert segments(db) == 0


def test_a_huge_amount_in_a_rule_typed_as_text_is_no_server_error(client, headers, category, db):
    body = {"name": "Rich", "category_id": category.id, "kind": "dynamic",
            "rule": {"conditions": [{"type": "paid_amount", "values": [{"min": "1e999"}]}]}}
    assert client.post("/api/v1/members/segments", json=body, headers=headers).status_code in (201, 422)


def test_the_rule_editor_never_stores_infinity(client, staff, category, db):
    form = {"name": "Rich", "category_id": category.id, "kind": "dynamic", "mode": "conditions", "description": "",
            "c": ["0"], "c0_type": "paid_amount", "c0_min": "1e999", "c0_max": "inf"}
    response = client.post("/t/acme/members/segments/new", data=form)
    assert response.status_code in (302, 422)
    db.commit()
    for segment in db.exec(select(Segment)):
        text = json.dumps(segment.rule)
        assert "Infinity" not in text and "NaN" not in text


@pytest.mark.parametrize("amount", ["100000000", 1e300, "1e30"])
def test_an_amount_past_its_column_is_422(client, headers, db, amount):
    order = {"source": "tmall", "order_no": "T-1", "mobile": "13800000001", "paid_amount": amount}
    error_of(client.post("/api/v1/members/orders", json=order, headers=headers), 422)
    db.commit()
    assert db.exec(select(func.count()).select_from(Order)).one() == 0


def test_the_largest_amount_is_taken(client, headers):
    order = {"source": "tmall", "order_no": "T-1", "mobile": "13800000001", "paid_amount": "10000000"}
    assert client.post("/api/v1/members/orders", json=order, headers=headers).status_code == 201


@pytest.mark.parametrize("query", [{"member_level": "x"}, {"after": BIG}, {"after": PAST}, {"owner": BIG},
                                   {"tag": PAST}])
def test_the_customer_list_takes_hostile_filters(client, staff, query):
    assert client.get("/t/acme/members/customers/", query_string=query).status_code < 500
