"""Employee promotion activities (marketing-and-platform-rules A.8, B.8): each employee's own contact way and poster
card, results attributed to the employee live, the achievement standard at its boundary, reminders (once, at every
multiple, below the standard before the end), the reward once only, and clicks through short links."""

from __future__ import annotations

from datetime import timedelta

from scrm_wecom.plugin import WeComPlugin
from scrm_wecom.promotion import service
from scrm_wecom.promotion.models import PromotionActivity, PromotionParticipant, PromotionResult
from sqlmodel import select
from wecom_livecodes_fixtures import *  # noqa: F403
from wecom_livecodes_fixtures import CORP_ID, fresh, friend_event
from wecom_promotion_fixtures import *  # noqa: F403
from wecom_promotion_fixtures import BASE, add_friend, cards, create, form, participant, rewards, run_job

from scrm.sdk import Customer

ADD_WAY = "/cgi-bin/externalcontact/add_contact_way"


def test_each_employee_gets_an_own_contact_way_and_a_poster_card(db, world, staff):
    activity = create(db, world, staff)
    ways = [c for c in world.sandbox.calls(ADD_WAY) if c["errcode"] == 0]
    assert len(ways) == 2
    assert {tuple(c["body"]["user"]) for c in ways} == {("zhangsan",), ("lisi",)}
    assert all(c["body"]["type"] == 1 and c["body"]["scene"] == 2 and c["body"]["state"].startswith("pr:")
               for c in ways)
    parts = db.exec(select(PromotionParticipant).where(PromotionParticipant.activity_id == activity.id)).all()
    assert {p.state for p in parts} == {c["body"]["state"] for c in ways} and all(p.qr_code for p in parts)
    sent = cards(db, world.tenant.id)
    assert len(sent) == 2 and {m.employee_id for m in sent} == {e.id for e in world.employees.values()}
    token = {p.employee_id: p.token for p in parts}[world.employees["zhangsan"].id]
    url = next(m.content for m in sent if m.employee_id == world.employees["zhangsan"].id)["url"]
    assert url.endswith(f"/p/acme/wecom/promotion/{token}")


def test_friends_through_the_code_count_for_the_employee_once_each_inside_the_period(db, platform, world, staff):
    activity = create(db, world, staff, standard_count="5")
    zhang = participant(db, activity, world.employees["zhangsan"])
    li = participant(db, activity, world.employees["lisi"])
    first = add_friend(db, platform, world, zhang, "wmLily")
    add_friend(db, platform, world, zhang, "wmLily", event=first)  # a redelivered event
    add_friend(db, platform, world, zhang, "wmLily")  # the same customer again through the same code
    add_friend(db, platform, world, zhang, "wmMia")
    add_friend(db, platform, world, li, "wmNoa")
    service.friend_added(db, friend_event(world, "zhangsan", "wmWalkIn", state="lc:abcdef"), platform.secrets)
    service.friend_added(db, friend_event(world, "zhangsan", "wmOther", state="pr:000000000000"), platform.secrets)
    # the period is [starts_at, ends_at): the last second counts, the end itself does not
    add_friend(db, platform, world, li, "wmLate", at=activity.ends_at)
    add_friend(db, platform, world, li, "wmJustInTime", at=activity.ends_at - timedelta(seconds=1))
    add_friend(db, platform, world, li, "wmEarly", at=activity.starts_at - timedelta(seconds=1))
    fresh(db)
    assert service.counts(db, db.get(PromotionActivity, activity.id)) == {zhang.id: 2, li.id: 2}
    page = staff.get(f"{BASE}/{activity.id}").get_data(as_text=True)
    assert page.count('<td data-stat="count">2</td>') == 2


def test_the_plugins_event_hook_attributes_the_friend(db, platform, world, staff):
    activity = create(db, world, staff)
    zhang = participant(db, activity, world.employees["zhangsan"])
    friend = world.sandbox.add_friend(CORP_ID, "zhangsan", {"name": "Lily"}, state=zhang.state)
    WeComPlugin().domain_event(friend_event(world, "zhangsan", friend["external_userid"], state=zhang.state), db)
    db.commit()
    [result] = db.exec(select(PromotionResult).where(PromotionResult.participant_id == zhang.id)).all()
    assert result.external_userid == friend["external_userid"]
    assert db.get(Customer, result.customer_id).tenant_id == world.tenant.id  # the customer the sync recorded


def test_the_standard_is_reached_at_exactly_n_and_rewards_once(db, platform, world, staff):
    activity = create(db, world, staff, standard_count="3")
    zhang = participant(db, activity, world.employees["zhangsan"])
    before = len(cards(db, world.tenant.id))
    add_friend(db, platform, world, zhang, "wm1")
    add_friend(db, platform, world, zhang, "wm2")
    assert rewards(db, activity) == [] and db.get(PromotionParticipant, zhang.id).achieved_at is None
    assert len(cards(db, world.tenant.id)) == before
    add_friend(db, platform, world, zhang, "wm3")
    [reward] = rewards(db, activity)
    assert reward.participant_id == zhang.id and reward.status == "sent" and len(reward.code) == 8
    assert db.get(PromotionParticipant, zhang.id).achieved_at is not None
    target = cards(db, world.tenant.id)[before:]
    assert len(target) == 1 and "3" in target[0].content["description"]
    for n in range(4, 8):  # past the standard, mode "once": no second reward, no second card
        add_friend(db, platform, world, zhang, f"wm{n}")
    assert len(rewards(db, activity)) == 1 and len(cards(db, world.tenant.id)) == before + 1


def test_every_multiple_mode_reminds_at_each_multiple(db, platform, world, staff):
    activity = create(db, world, staff, standard_count="2", remind_mode="every")
    zhang = participant(db, activity, world.employees["zhangsan"])
    before = len(cards(db, world.tenant.id))
    for n in range(1, 6):
        add_friend(db, platform, world, zhang, f"wm{n}")
    assert len(cards(db, world.tenant.id)) == before + 2  # at 2 and at 4, not at 5
    add_friend(db, platform, world, zhang, "wm6")
    assert len(cards(db, world.tenant.id)) == before + 3 and len(rewards(db, activity)) == 1


def test_employees_below_the_standard_are_reminded_once_days_before_the_end(db, platform, world, staff):
    activity = create(db, world, staff, standard_count="1", remind_days_before="2")
    add_friend(db, platform, world, participant(db, activity, world.employees["zhangsan"]), "wm1")
    before = len(cards(db, world.tenant.id))
    remind_at = activity.ends_at - timedelta(days=2)
    run_job(db, platform, world.tenant.id, now=remind_at - timedelta(seconds=1))
    assert len(cards(db, world.tenant.id)) == before
    run_job(db, platform, world.tenant.id, now=remind_at)
    below = cards(db, world.tenant.id)[before:]
    assert [m.employee_id for m in below] == [world.employees["lisi"].id]
    run_job(db, platform, world.tenant.id, now=remind_at + timedelta(hours=1))
    assert len(cards(db, world.tenant.id)) == before + 1


def test_clicks_on_the_employees_short_link_count_for_them(db, platform, app, world, staff):
    activity = create(db, world, staff, target="link", link_url="https://shop.example.com/1212", standard="clicks",
                      standard_count="2")
    zhang = participant(db, activity, world.employees["zhangsan"])
    li = participant(db, activity, world.employees["lisi"])
    from scrm.sdk import shortlinks

    code = shortlinks.get(db, world.tenant.id, zhang.link_id).code
    phone = {"User-Agent": "Mozilla/5.0 (iPhone; CPU iPhone OS 17_0 like Mac OS X) Mobile MicroMessenger/8.0"}
    visitor = app.test_client()
    for _ in range(2):
        assert visitor.get(f"/s/{code}", headers=phone).status_code == 302
    visitor.get(f"/s/{code}", headers={"User-Agent": "Googlebot/2.1"})  # a robot does not count
    fresh(db)
    assert service.counts(db, db.get(PromotionActivity, activity.id)) == {zhang.id: 2, li.id: 0}
    run_job(db, platform, world.tenant.id)
    assert db.get(PromotionParticipant, zhang.id).achieved_at is not None
    assert [r.participant_id for r in rewards(db, activity)] == [zhang.id]


def test_bad_input_is_refused_with_a_message_and_nothing_is_written(db, world, staff):
    cases = {"name": {"name": ""}, "period": {"end": "2000-01-01", "start": "2000-01-02"},
             "standard_count": {"standard_count": "0"}, "standard": {"standard": "clicks"},
             "link_url": {"target": "link", "link_url": "ftp://x", "standard": "clicks"},
             "remind_days_before": {"remind_days_before": "31"},
             "webhook_auth": {"reward": "webhook", "webhook_url": "https://rewards.example.com/hook",
                              "webhook_auth": "secret", "secret": "short"}}
    for field, change in cases.items():
        response = staff.post(f"{BASE}/new", data=form(world, **change))
        assert response.status_code == 422 and f'data-error="{field}"' in response.get_data(as_text=True), field
    response = staff.post(f"{BASE}/new", data={**form(world), "employee_ids": ["999999"]})
    assert response.status_code == 422 and 'data-error="employee_ids"' in response.get_data(as_text=True)
    fresh(db)
    assert db.exec(select(PromotionActivity)).all() == []
    assert world.sandbox.calls(ADD_WAY) == []


def test_the_upper_bounds_of_the_standard_and_reminder_are_accepted(db, world, staff):
    assert create(db, world, staff, standard_count="100000", remind_days_before="30").standard_count == 100000
    assert staff.post(f"{BASE}/new", data=form(world, standard_count="100001")).status_code == 422
