# ruff: noqa: F811  (pytest fixtures imported from the area helper module are redefined as test arguments)
"""Purchase-behaviour, stage and points filter types (brief §3): each compiles to SQL and counts what the rule says;
bad values are refused; another tenant's orders never count."""

from __future__ import annotations

from datetime import timedelta

import pytest
from members_loyalty_fixtures import (  # noqa: F401
    customer,
    loyalty_tenant,
    order,
    store,
)
from scrm_members.loyalty import points, stages
from scrm_members.loyalty.audiences import audience_filters

from scrm.core.audience import AudienceError, compile_audience, core_filter_types
from scrm.core.timeutil import utcnow


def matching(db, tenant, *conditions) -> set[int]:
    types = [*core_filter_types(), *audience_filters(tenant)]
    query = compile_audience(tenant.id, {"conditions": list(conditions)}, types)
    return set(db.execute(query).scalars())


@pytest.fixture
def shoppers(db, loyalty_tenant, other_tenant, customer, order, store):
    """none: no order; one: one order of 50 at store A 40 days ago; many: 3 orders of 100 today;
    unpaid: an unpaid order only. Another tenant's customer has 5 orders."""
    shop = store(loyalty_tenant, "A")
    people = {name: customer(loyalty_tenant, name) for name in ("none", "one", "many", "unpaid")}
    order(people["one"], 50, paid_at=utcnow() - timedelta(days=40), store_id=shop.id)
    for _ in range(3):
        order(people["many"], 100)
    order(people["unpaid"], 10, unpaid=True)
    stranger = customer(other_tenant, "stranger")
    for _ in range(5):
        order(stranger, 1000)
    return {k: v.id for k, v in people.items()} | {"shop": shop.id}


def test_purchase_count_ranges(db, loyalty_tenant, shoppers):
    s = shoppers
    assert matching(db, loyalty_tenant, {"type": "purchase_count", "values": [{"min": 1, "max": 1}]}) == {s["one"]}
    assert matching(db, loyalty_tenant, {"type": "purchase_count", "values": [{"max": 0}]}) == {s["none"], s["unpaid"]}
    assert matching(db, loyalty_tenant, {"type": "purchase_count", "values": [{"min": 2}]}) == {s["many"]}


def test_paid_amount_in_yuan(db, loyalty_tenant, shoppers):
    assert matching(db, loyalty_tenant, {"type": "paid_amount", "values": [{"min": 100}]}) == {shoppers["many"]}
    assert matching(db, loyalty_tenant, {"type": "paid_amount", "values": [{"min": 49.99, "max": 50}]}) == \
        {shoppers["one"]}


def test_last_purchase_and_no_purchase_within(db, loyalty_tenant, shoppers):
    today = utcnow().date().isoformat()
    recent = matching(db, loyalty_tenant, {"type": "last_purchase", "values": [{"from": today}]})
    assert shoppers["many"] in recent and shoppers["one"] not in recent
    idle = matching(db, loyalty_tenant, {"type": "no_purchase_within", "values": ["30"]})
    assert idle == {shoppers["none"], shoppers["one"], shoppers["unpaid"]}


def test_purchased_at_store(db, loyalty_tenant, shoppers):
    assert matching(db, loyalty_tenant, {"type": "purchased_at_store", "values": [shoppers["shop"]]}) == \
        {shoppers["one"]}


def test_stage_and_points(db, loyalty_tenant, shoppers):
    first = stages.tenant_stages(db, loyalty_tenant.id)[0]
    stages.set_stage(db, loyalty_tenant.id, shoppers["one"], first.id)
    points.adjust(db, loyalty_tenant.id, [shoppers["many"]], 300, "gift")
    db.commit()
    assert matching(db, loyalty_tenant, {"type": "stage", "values": [first.id]}) == {shoppers["one"]}
    assert matching(db, loyalty_tenant, {"type": "points", "values": [{"min": 100}]}) == {shoppers["many"]}
    assert shoppers["none"] in matching(db, loyalty_tenant, {"type": "points", "values": [{"max": 0}]})


@pytest.mark.parametrize("condition", [
    {"type": "purchase_count", "values": [{"min": 3, "max": 1}]},
    {"type": "purchase_count", "values": [{}]},
    {"type": "paid_amount", "values": ["lots"]},
    {"type": "last_purchase", "values": [{"from": "yesterday"}]},
    {"type": "no_purchase_within", "values": ["-3"]},
])
def test_bad_values_are_refused(db, loyalty_tenant, condition):
    with pytest.raises(AudienceError):
        matching(db, loyalty_tenant, condition)
