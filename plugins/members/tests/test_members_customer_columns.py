"""The members plugin's columns in other plugins' customer lists (``customer_columns``): member type, member level
with its validity (an expired level reads as none) and the current stage, for the asked ids of the tenant only."""

from __future__ import annotations

from datetime import date, timedelta

from members_levels_fixtures import give_level, level  # noqa: F401
from members_loyalty_fixtures import customer, loyalty_tenant  # noqa: F401
from scrm_members.loyalty import stages
from scrm_members.loyalty.models import Stage
from sqlmodel import select


def columns(platform, db, tenant, ids):
    hooks = platform.hooks(db, db.merge(tenant))
    return {c.key: c.values for c in hooks.contribute("customer_columns", tenant=tenant, customer_ids=ids,
                                                       session=db)}


def test_type_level_and_stage_of_a_page_of_customers(platform, db, loyalty_tenant, other_tenant, level,
                                                     give_level, customer):
    # ruff: noqa: F811
    gold, silver = level(loyalty_tenant, "Gold", rank=2), level(loyalty_tenant, "Silver", rank=1)
    ann = customer(loyalty_tenant, "Ann", is_member=True)
    bob, cy = customer(loyalty_tenant, "Bob"), customer(loyalty_tenant, "Cy")
    theirs = customer(other_tenant, "Theirs", is_member=True)
    until = date.today() + timedelta(days=30)
    give_level(ann, gold)
    give_level(bob, silver, until=until)
    give_level(cy, gold, until=date.today() - timedelta(days=3))  # expired
    stage = db.exec(select(Stage).where(Stage.tenant_id == loyalty_tenant.id).order_by(Stage.ordinal)).first()
    stages.set_stage(db, loyalty_tenant.id, bob.id, stage.id)
    db.commit()

    got = columns(platform, db, loyalty_tenant, [ann.id, bob.id, cy.id, theirs.id])
    assert got["member_type"] == {ann.id: "Member", bob.id: "Non-member", cy.id: "Non-member"}
    assert got["member_level"] == {ann.id: "Gold", bob.id: f"Silver (until {until.isoformat()})"}
    assert got["stage"] == {bob.id: stage.name}
    assert columns(platform, db, loyalty_tenant, []) == {"member_type": {}, "member_level": {}, "stage": {}}


def test_no_columns_without_the_plugin(platform, db, tenant, customer):
    ann = customer(tenant, "Ann")
    assert columns(platform, db, tenant, [ann.id]) == {}
