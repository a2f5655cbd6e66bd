# ruff: noqa: F811  (pytest fixtures imported from the area helper module are redefined as test arguments)
"""The blacklist's participation rules reached through the SDK (members-2 §4.6, acceptance 23–24; issue 16 item 3):
any plugin asks ``scrm.sdk.participation`` without importing members; the rule switches decide fission refusals,
marketing draws never let a blacklisted customer win below 100 %, removal restores everything, a disabled members
plugin objects to nothing, and one tenant's blacklist never answers for another."""

from __future__ import annotations

import pytest
from members_segments_fixtures import add_customer, members_tenant  # noqa: F401
from scrm_members.segments import blacklist

from scrm.sdk import participation


@pytest.fixture
def anna_blacklisted(db, members_tenant, add_customer):
    anna = add_customer(members_tenant, "Anna")
    blacklist.add(db, members_tenant.id, [anna.id], "刷券", None)
    db.commit()
    return anna


def test_a_blacklisted_customer_is_refused_every_fission_activity_while_its_switch_is_on(
        db, members_tenant, add_customer, anna_blacklisted):
    ben = add_customer(members_tenant, "Ben")
    for activity in participation.ACTIVITIES:
        assert "刷券" in participation.refusal(db, members_tenant, anna_blacklisted.id, activity)
        assert participation.refusal(db, members_tenant.id, ben.id, activity) is None
    assert participation.refusals(db, members_tenant, [anna_blacklisted.id, ben.id], participation.TASK_FISSION) \
        .keys() == {anna_blacklisted.id}


@pytest.mark.parametrize("activity", ["task_fission", "redpacket_fission", "interactive_fission"])
def test_switching_an_activity_off_lets_blacklisted_customers_join_it_and_only_it(db, members_tenant,
                                                                                  anna_blacklisted, activity):
    values = {name: True for name in blacklist.RULE_FIELDS}
    values[activity] = False
    blacklist.save_rules(db, members_tenant.id, values, None)
    db.commit()
    assert participation.refusal(db, members_tenant, anna_blacklisted.id, activity) is None
    for other in set(participation.ACTIVITIES) - {activity}:
        assert participation.refusal(db, members_tenant, anna_blacklisted.id, other)


def test_a_blacklisted_customer_takes_part_but_never_wins_below_a_100_percent_win_rate(
        db, members_tenant, add_customer, anna_blacklisted):
    ben = add_customer(members_tenant, "Ben")
    assert not any(participation.may_win(db, members_tenant, anna_blacklisted.id, 0.5) for _ in range(10))
    assert not participation.may_win(db, members_tenant, anna_blacklisted.id, 0.999)
    assert participation.may_win(db, members_tenant, anna_blacklisted.id, 1)
    assert participation.may_win(db, members_tenant, ben.id, 0.5)
    values = {name: True for name in blacklist.RULE_FIELDS} | {"marketing_no_win": False}
    blacklist.save_rules(db, members_tenant.id, values, None)
    db.commit()
    assert participation.may_win(db, members_tenant, anna_blacklisted.id, 0.5)


def test_removing_from_the_blacklist_restores_participation_and_wins(db, members_tenant, anna_blacklisted):
    assert blacklist.remove(db, members_tenant.id, anna_blacklisted.id, None)
    db.commit()
    assert participation.refusal(db, members_tenant, anna_blacklisted.id, participation.TASK_FISSION) is None
    assert participation.may_win(db, members_tenant, anna_blacklisted.id, 0.5)


def test_bad_questions_are_refused(db, members_tenant, anna_blacklisted):
    with pytest.raises(ValueError):
        participation.refusal(db, members_tenant, anna_blacklisted.id, "lottery")
    with pytest.raises(ValueError):
        participation.may_win(db, members_tenant, anna_blacklisted.id, 50)


def test_one_tenants_blacklist_never_answers_for_another(db, members_tenant, other_tenant, add_customer,
                                                         anna_blacklisted):
    other_anna = add_customer(other_tenant, "Anna")
    assert participation.refusal(db, other_tenant, other_anna.id, participation.TASK_FISSION) is None
    assert participation.may_win(db, other_tenant, other_anna.id, 0.5)
    # asked about acme's customer in globex's name, globex's (empty) blacklist answers
    assert participation.refusal(db, other_tenant, anna_blacklisted.id, participation.TASK_FISSION) is None


def test_with_members_disabled_nothing_objects(db, platform, members_tenant, anna_blacklisted):
    from scrm.core.plugins.enablement import disable_plugin

    disable_plugin(db, platform.registry, db.merge(members_tenant), "members")
    db.commit()
    tenant = db.merge(members_tenant)
    assert participation.refusal(db, tenant, anna_blacklisted.id, participation.TASK_FISSION) is None
    assert participation.may_win(db, tenant, anna_blacklisted.id, 0.5)
