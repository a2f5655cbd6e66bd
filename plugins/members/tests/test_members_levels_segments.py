# ruff: noqa: F811  (pytest fixtures imported from the helper modules are redefined as test arguments)
"""Member levels in segments (spec A §6.2, acceptance 26): the ``member_level`` and ``name`` filter types through the
SDK audience API, the dynamic group "会员等级不为空 且 姓名不为空" following the daily run and "Update" but not after
"Stop", an expiring level leaving the group at the next run, the readable rule, and tenant isolation."""

from __future__ import annotations

from datetime import timedelta

from members_levels_fixtures import give_level, level  # noqa: F401
from members_loyalty_fixtures import admin, customer, loyalty_tenant  # noqa: F401
from scrm_members.loyalty import levels
from scrm_members.segments.jobs import refresh_dynamic_segments
from scrm_members.segments.models import Segment, SegmentCategory, SegmentMember
from sqlmodel import select

from scrm.core.audience import compile_audience
from scrm.core.models import Customer

RULE = {"conditions": [{"type": "member_level", "values": ["any"]}, {"type": "name", "values": ["filled"]}]}


def members_of(db, segment_id: int) -> set[int]:
    db.commit()
    found = set(db.exec(select(SegmentMember.customer_id).where(SegmentMember.segment_id == segment_id)))
    db.commit()
    return found


def matching(db, tenant, tree) -> set[int]:
    from scrm_members.plugin import areas

    types = [t for area in areas() if area.audience_filters for t in area.audience_filters(tenant)]
    found = set(db.execute(compile_audience(tenant.id, tree, types)).scalars())
    db.commit()
    return found


def test_the_filter_types_compile_for_is_any_of_empty_and_not_empty(db, loyalty_tenant, other_tenant, level,
                                                                   give_level, customer):
    gold, silver = level(loyalty_tenant, "Gold", rank=2), level(loyalty_tenant, "Silver", rank=1)
    ann, bob, cy = customer(loyalty_tenant, "Ann"), customer(loyalty_tenant, "Bob"), customer(loyalty_tenant, "  ")
    old = customer(loyalty_tenant, "Old")
    give_level(ann, gold)
    give_level(cy, silver, until=levels.today())  # valid through today
    give_level(old, gold, until=levels.today() - timedelta(days=1))
    give_level(customer(other_tenant, "Zed"), level(other_tenant, "Gold"))

    def only(*conditions) -> set[int]:
        return matching(db, loyalty_tenant, {"conditions": list(conditions)})

    assert only({"type": "member_level", "values": ["any"]}) == {ann.id, cy.id}
    assert only({"type": "member_level", "values": ["none"]}) == {bob.id, old.id}
    assert only({"type": "member_level", "values": [str(gold.id)]}) == {ann.id}
    assert only({"type": "member_level", "values": [gold.id, "none"]}) == {ann.id, bob.id, old.id}
    assert only({"type": "name", "values": ["empty"]}) == {cy.id}
    assert only(*RULE["conditions"]) == {ann.id}


def test_the_dynamic_group_of_acceptance_26(client, admin, loyalty_tenant, level, give_level, customer, db):
    gold = level(loyalty_tenant, "Gold")
    ann, nameless, bob = customer(loyalty_tenant, "Ann"), customer(loyalty_tenant, ""), customer(loyalty_tenant, "Bob")
    give_level(ann, gold)
    give_level(nameless, gold)
    category = SegmentCategory(tenant_id=loyalty_tenant.id, kind="dynamic", name="Levels")
    db.add(category)
    db.commit()
    form = {"name": "Level and name", "category_id": category.id, "kind": "dynamic", "mode": "conditions",
            "description": "", "c": ["0", "1"], "c0_type": "member_level", "c0_values": "any",
            "c1_type": "name", "c1_values": "filled"}
    assert client.post("/t/acme/members/segments/new", data=form).status_code == 302
    segment = db.exec(select(Segment).where(Segment.name == "Level and name")).one()
    db.commit()
    assert members_of(db, segment.id) == {ann.id}
    page = client.get(f"/t/acme/members/segments/{segment.id}").get_data(as_text=True)
    assert "【Member level】 is 【Has a level (not empty)】" in page and "【Name】 is 【Not empty】" in page
    # Bob gets a level today: he joins at the next daily run, not before
    client.post("/t/acme/members/levels/assign", data={"customer_id": bob.id, "level_id": gold.id})
    assert bob.id not in members_of(db, segment.id)
    refresh_dynamic_segments(loyalty_tenant.id)
    assert members_of(db, segment.id) == {ann.id, bob.id}
    # or at once with "Update"
    cy = customer(loyalty_tenant, "Cy")
    give_level(cy, gold)
    assert client.post(f"/t/acme/members/segments/{segment.id}/refresh").status_code == 302
    assert cy.id in members_of(db, segment.id)
    # after "Stop" the daily run adds nobody
    client.post(f"/t/acme/members/segments/{segment.id}/stop")
    dora = customer(loyalty_tenant, "Dora")
    give_level(dora, gold)
    refresh_dynamic_segments(loyalty_tenant.id)
    assert dora.id not in members_of(db, segment.id)


def test_an_expired_level_leaves_the_group_at_the_next_run(client, admin, loyalty_tenant, level, give_level,
                                                           customer, db, monkeypatch):
    gold = level(loyalty_tenant, "Gold")
    ann = customer(loyalty_tenant, "Ann")
    give_level(ann, gold, until=levels.today())
    category = SegmentCategory(tenant_id=loyalty_tenant.id, kind="dynamic", name="Levels")
    db.add(category)
    db.commit()
    segment = Segment(tenant_id=loyalty_tenant.id, category_id=category.id, name="Levelled", kind="dynamic",
                      rule=RULE)
    db.add(segment)
    db.commit()
    refresh_dynamic_segments(loyalty_tenant.id)
    assert members_of(db, segment.id) == {ann.id}
    tomorrow = levels.today() + timedelta(days=1)
    monkeypatch.setattr(levels, "today", lambda: tomorrow)
    refresh_dynamic_segments(loyalty_tenant.id)
    assert members_of(db, segment.id) == set()
    db.commit()
    assert db.get(Customer, ann.id) is not None
