# ruff: noqa: F811  (pytest fixtures imported from the area helper module are redefined as test arguments)
"""Audience compilation at scale: two or more tag / stage conditions are intersected as id sets before customers are
read, purchase subqueries are index-only; the answers stay exactly what the rule says (negation, OR within a
condition, stages left, unpaid orders) and another tenant never enters, although the id sets carry no tenant
condition of their own."""

from __future__ import annotations

from datetime import timedelta

import pytest
from members_loyalty_fixtures import customer, loyalty_tenant, order  # noqa: F401
from scrm_members.loyalty import stages
from scrm_members.loyalty.audiences import audience_filters

from scrm.core.audience import compile_audience, core_filter_types, count_audience
from scrm.core.models import CustomerTag, Tag, TagGroup
from scrm.core.timeutil import utcnow


def types(tenant):
    return [*core_filter_types(), *audience_filters(tenant)]


def matching(db, tenant, *conditions) -> set[int]:
    return set(db.execute(compile_audience(tenant.id, {"conditions": list(conditions)}, types(tenant))).scalars())


def sql(tenant, *conditions) -> str:
    return str(compile_audience(tenant.id, {"conditions": list(conditions)}, types(tenant))).upper()


@pytest.fixture
def tags(db, loyalty_tenant):
    group = TagGroup(tenant_id=loyalty_tenant.id, name="Interest")
    db.add(group)
    db.commit()
    rows = [Tag(tenant_id=loyalty_tenant.id, group_id=group.id, name=n) for n in ("A", "B", "C")]
    db.add_all(rows)
    db.commit()
    return {t.name: t.id for t in rows}


@pytest.fixture
def people(db, loyalty_tenant, other_tenant, customer, order, tags):
    """ab: tags A B, stage 1, 2 paid orders; abc: A B C, stage 1, 1 paid + 1 unpaid order; a: A, stage 1, 3 orders;
    b_left: B, left stage 1 for stage 2, 2 orders. A customer of another tenant is linked to acme's tags A and B and
    has orders (inconsistent data on purpose: the audience's tenant condition must still keep it out)."""
    first, second = [s.id for s in stages.tenant_stages(db, loyalty_tenant.id)[:2]]
    plan = {"ab": ("AB", 2, 0), "abc": ("ABC", 1, 1), "a": ("A", 3, 0), "b_left": ("B", 2, 0)}
    out = {}
    for name, (carried, paid, unpaid) in plan.items():
        row = customer(loyalty_tenant, name)
        out[name] = row.id
        db.add_all([CustomerTag(tenant_id=loyalty_tenant.id, customer_id=row.id, tag_id=tags[t]) for t in carried])
        db.commit()
        for _ in range(paid):
            order(row, 10)
        for _ in range(unpaid):
            order(row, 10, unpaid=True)
        stages.set_stage(db, loyalty_tenant.id, row.id, first)
    stages.set_stage(db, loyalty_tenant.id, out["b_left"], second)
    stranger = customer(other_tenant, "stranger")
    db.add_all([CustomerTag(tenant_id=other_tenant.id, customer_id=stranger.id, tag_id=tags[t]) for t in "AB"])
    db.commit()
    for _ in range(3):
        order(stranger, 10)
    return out | {"first": first, "second": second, "stranger": stranger.id}


def test_tags_and_stage_are_intersected_and_match_exactly(db, loyalty_tenant, tags, people):
    a, b = {"type": "tag", "values": [tags["A"]]}, {"type": "tag", "values": [tags["B"]]}
    stage = {"type": "stage", "values": [people["first"]]}
    assert "INTERSECT" in sql(loyalty_tenant, a, b, stage)
    assert "INTERSECT" not in sql(loyalty_tenant, a, b)
    assert matching(db, loyalty_tenant, a, b) == {people["ab"], people["abc"]}
    assert matching(db, loyalty_tenant, a, b, stage) == {people["ab"], people["abc"]}
    twice = {"type": "purchase_count", "values": [{"min": 2}]}
    assert matching(db, loyalty_tenant, a, b, stage, twice) == {people["ab"]}
    assert count_audience(db, loyalty_tenant.id, {"conditions": [a, b, stage, twice]}, types(loyalty_tenant)) == 1


def test_one_or_two_set_conditions_stay_exists(db, loyalty_tenant, tags, people):
    a = {"type": "tag", "values": [tags["A"]]}
    stage = {"type": "stage", "values": [people["first"]]}
    assert "INTERSECT" not in sql(loyalty_tenant, a) and "INTERSECT" not in sql(loyalty_tenant, a, stage)
    assert matching(db, loyalty_tenant, a) == {people["ab"], people["abc"], people["a"]}
    assert matching(db, loyalty_tenant, a, stage) == {people["ab"], people["abc"], people["a"]}


def test_or_within_a_condition_and_negation_keep_their_meaning(db, loyalty_tenant, tags, people):
    a_or_b = {"type": "tag", "values": [tags["A"], tags["B"]]}
    any_tag = {"type": "tag", "values": list(tags.values())}
    not_c = {"type": "tag", "values": [tags["C"]], "negate": True}
    stage = {"type": "stage", "values": [people["first"]]}
    assert "INTERSECT" in sql(loyalty_tenant, a_or_b, any_tag, stage, not_c)
    assert matching(db, loyalty_tenant, a_or_b, any_tag, stage) == {people["ab"], people["abc"], people["a"]}
    assert matching(db, loyalty_tenant, a_or_b, any_tag, stage, not_c) == {people["ab"], people["a"]}
    not_first = {"type": "stage", "values": [people["first"]], "negate": True}
    assert matching(db, loyalty_tenant, a_or_b, any_tag, not_first) == {people["b_left"]}


def test_a_customer_who_left_the_stage_is_not_in_it(db, loyalty_tenant, tags, people):
    b = {"type": "tag", "values": [tags["B"]]}
    a_or_b = {"type": "tag", "values": [tags["A"], tags["B"]]}
    first = {"type": "stage", "values": [people["first"]]}
    second = {"type": "stage", "values": [people["second"]]}
    assert people["b_left"] not in matching(db, loyalty_tenant, b, a_or_b, first)
    assert matching(db, loyalty_tenant, b, a_or_b, second) == {people["b_left"]}


def test_purchase_filters_count_paid_orders_of_the_customer_only(db, loyalty_tenant, people):
    once = {"type": "purchase_count", "values": [{"min": 1, "max": 1}]}
    assert matching(db, loyalty_tenant, once) == {people["abc"]}
    spent = {"type": "paid_amount", "values": [{"min": 30}]}
    assert matching(db, loyalty_tenant, spent) == {people["a"]}
    none = {"type": "purchase_count", "values": [{"max": 0}]}
    assert matching(db, loyalty_tenant, none) == set()


def test_another_tenants_customer_never_enters_although_linked_to_the_tags(db, loyalty_tenant, other_tenant, tags,
                                                                            people):
    a, b = {"type": "tag", "values": [tags["A"]]}, {"type": "tag", "values": [tags["B"]]}
    thrice = {"type": "purchase_count", "values": [{"min": 3}]}
    assert people["stranger"] not in matching(db, loyalty_tenant, a, b)
    assert matching(db, loyalty_tenant, a, thrice) == {people["a"]}


def test_last_purchase_between_is_the_latest_paid_order(db, loyalty_tenant, other_tenant, customer, order):
    """Ranges are local days: ``old`` bought 60 days ago only, ``back`` 60 days ago and again today, ``unpaid`` has
    an unpaid order 60 days ago; another tenant's customer bought 60 days ago."""
    now = utcnow()
    old, back, unpaid = (customer(loyalty_tenant, n) for n in ("old", "back", "unpaid"))
    order(old, 10, paid_at=now - timedelta(days=60))
    order(back, 10, paid_at=now - timedelta(days=60))
    order(back, 10, paid_at=now)
    order(unpaid, 10, created_at=now - timedelta(days=60), unpaid=True)
    order(customer(other_tenant, "stranger"), 10, paid_at=now - timedelta(days=60))
    day = (now - timedelta(days=60)).date()
    around = {"from": (day - timedelta(days=2)).isoformat(), "to": (day + timedelta(days=2)).isoformat()}
    last = {"type": "last_purchase", "values": [around]}
    assert matching(db, loyalty_tenant, last) == {old.id}
    until = {"type": "last_purchase", "values": [{"to": (day + timedelta(days=2)).isoformat()}]}
    assert matching(db, loyalty_tenant, until) == {old.id}
    since = {"type": "last_purchase", "values": [{"from": (day - timedelta(days=2)).isoformat()}]}
    assert matching(db, loyalty_tenant, since) == {old.id, back.id}
    either = {"type": "last_purchase", "values": [around, {"from": now.date().isoformat()}]}
    assert matching(db, loyalty_tenant, either) == {old.id, back.id}
