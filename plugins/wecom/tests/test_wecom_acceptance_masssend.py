"""Acceptance walk of mass messaging (spec wecom-operations §4.4, §4.5, §5.2, §5.3; acceptance 15-19, 21): the checks
the existing tests did not pin down. Group sends have their own monthly quota and a scheduled send counts in its own
month; the per-chat monthly cap; the detail page's cards, receipts and member summary of a customer send; empty text
with one attachment; tag targeting; the remind button; the expected group chats equal to the selection."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

import pytest
from scrm_wecom.masssend import planning, service, stats
from scrm_wecom.rules import settings as rule_limits
from test_wecom_masssend_groups import groups  # noqa: F401  (fixture: four chats of three owners)
from wecom_foundation_fixtures import *  # noqa: F403
from wecom_masssend_fixtures import *  # noqa: F403
from wecom_masssend_fixtures import dispatch_now, msgid_of, new_send, poll, targets

from scrm.sdk import CustomerTag, MessageDelivery, Tag, TagGroup


def set_limits(db, tenant, **values) -> None:
    current = {n: getattr(rule_limits.DEFAULTS, n) for n in rule_limits.NAMES}
    rule_limits.save(db, tenant.id, {**current, **values}, "admin@acme.test")
    db.commit()


def detail(client, env, task, **args) -> str:
    query = "&".join(f"{k}={v}" for k, v in args.items())
    return client.get(f"/t/{env.tenant.slug}/wecom/masssend/{task.id}?{query}").get_data(as_text=True)


def next_month_noon() -> datetime:
    """Noon (China time) on the 3rd of next month."""
    now = datetime.now(UTC)
    year, month = (now.year + 1, 1) if now.month == 12 else (now.year, now.month + 1)
    return datetime(year, month, 3, 4, 0, tzinfo=UTC)


def test_acceptance_15_group_sends_have_their_own_quota_and_a_scheduled_send_counts_in_its_month(
        db, mass_env, groups):  # noqa: F811
    """Customer quota 2, group quota 1: two customer sends use the customer quota; a third, scheduled later this
    month, is refused; one scheduled next month is not; the group quota is still whole, then used up."""
    set_limits(db, mass_env.tenant, mass_tasks_per_month=2, group_mass_tasks_per_month=1)
    new_send(db, mass_env.tenant)
    new_send(db, mass_env.tenant, text="第二条")
    later = datetime.now(UTC) + timedelta(minutes=10)
    with pytest.raises(service.MassSendInvalid) as refused:
        new_send(db, mass_env.tenant, text="第三条", send_type="scheduled", send_at=later)
    assert "2" in refused.value.errors[""]
    db.rollback()
    new_send(db, mass_env.tenant, text="下月第一条", send_type="scheduled", send_at=next_month_noon())
    new_send(db, mass_env.tenant, chat_type="group", text="社群第一条")
    with pytest.raises(service.MassSendInvalid) as refused:
        new_send(db, mass_env.tenant, chat_type="group", text="社群第二条")
    assert "1" in refused.value.errors[""]


@pytest.mark.parametrize(("earlier", "excluded"), [(1, False), (2, True)])
def test_4_5_rule_3_a_chat_at_its_monthly_cap_is_left_out(db, mass_env, groups, earlier, excluded):  # noqa: F811
    """Per chat: 2 a month (5 a day, so only the month counts): the chat with 2 this month is left out, with 1 not."""
    set_limits(db, mass_env.tenant, group_mass_per_day=5, group_mass_per_month=2)
    now = datetime.now(UTC)
    for index in range(earlier):
        db.add(MessageDelivery(tenant_id=mass_env.tenant.id, channel="wecom", account_id=mass_env.account.id,
                               recipient="wrWang", kind="mass_group", task_ref=f"wecom_mass:old{index}",
                               idempotency_key=f"wecom_mass:old{index}:wrWang",
                               created_at=now - timedelta(seconds=10 + index)))
    db.commit()
    preview = planning.preview(db, mass_env.tenant, "group", {}, now)
    assert preview.over_limit == (1 if excluded else 0)
    task = dispatch_now(db, new_send(db, mass_env.tenant, chat_type="group", text="本月活动"))
    assert (targets(db, task)["wrWang"] == "limit") is excluded


def test_acceptance_16_and_5_2_the_cards_and_receipts_of_a_customer_send(db, platform, mass_env, client,
                                                                       wecom_admin):
    """C1 already got an enterprise mass message today: in the new send it is 客户接收已达上限 and counted in that
    card; C2 is no longer zhangsan's friend when he sends; the member summary counts all members and those who
    sent."""
    db.add(MessageDelivery(tenant_id=mass_env.tenant.id, channel="wecom", account_id=mass_env.account.id,
                           customer_id=mass_env.customers["wmC1"].id, recipient="wmC1", kind="mass",
                           task_ref="wecom_mass:earlier", idempotency_key="wecom_mass:earlier:wmC1",
                           status="delivered", created_at=datetime.now(UTC) - timedelta(seconds=5)))
    db.commit()
    task = dispatch_now(db, new_send(db, mass_env.tenant))
    mass_env.groupmsg.send(msgid_of(db, task, "zhangsan"), "zhangsan", not_friend=["wmC2"])
    poll(db, platform, task)
    cards = stats.cards(db, db.get(type(task), task.id))
    assert (cards.limit, cards.not_friend, cards.delivered, cards.undelivered) == (1, 1, 1, 2)
    assert (cards.members_total, cards.members_sent, cards.members_unsent) == (3, 1, 2)
    wecom_admin(mass_env.tenant)
    client.get("/lang/zh_CN")
    page = detail(client, mass_env, task)
    assert 'data-testid="card-limit">1<' in page and 'data-testid="card-not-friend">1<' in page
    assert re.search(r'data-target="wmC1" data-status="limit">.*?客户接收已达上限', page, re.S)
    assert re.search(r'data-target="wmC2" data-status="not_friend">.*?已不是好友客户', page, re.S)
    limited = detail(client, mass_env, task, status="limit")
    assert 'data-target="wmC1"' in limited and 'data-target="wmC3"' not in limited
    members_page = detail(client, mass_env, task, view="members")
    summary = re.search(r'data-testid="members-summary">([^<]*)<', members_page).group(1)
    assert re.findall(r"\d+", summary) == ["3", "1"]


def test_acceptance_17_empty_text_with_one_attachment_is_allowed_and_an_empty_send_is_not(db, mass_env):
    from wecom_materials_fixtures import make_material

    poster = make_material(db, mass_env.tenant, "poster")
    db.commit()
    errors, _preview = service.validate(db, mass_env.tenant, service.MassSendInput(text="", attachment_ids=[
        poster.id]))
    assert not errors
    errors, _preview = service.validate(db, mass_env.tenant, service.MassSendInput(text="  ", attachment_ids=[]))
    assert "text" in errors


def test_nine_materials_are_accepted_and_ten_refused(db, mass_env):
    """WeCom's add_msg_template takes 9 attachments (the decided maximum, see the checklist): with 10 real materials
    of the brand the 10th is the one refused, not an unknown id."""
    from wecom_materials_fixtures import make_material

    ids = [make_material(db, mass_env.tenant, "link", title=f"链接{i}", url=f"https://shop.example.com/{i}").id
           for i in range(10)]
    db.commit()
    errors, _preview = service.validate(db, mass_env.tenant, service.MassSendInput(text="", attachment_ids=ids[:9]))
    assert "attachment_ids" not in errors
    errors, _preview = service.validate(db, mass_env.tenant, service.MassSendInput(text="", attachment_ids=ids))
    assert errors["attachment_ids"] == str(service.ERRORS["TOO_MANY_ATTACHMENTS"])


def test_4_4_rule_8_customers_filtered_by_tag(db, mass_env):
    """Only the customers carrying the chosen tag are targeted (here C2 and C5)."""
    tag_group = TagGroup(tenant_id=mass_env.tenant.id, name="兴趣")
    db.add(tag_group)
    db.flush()
    tag = Tag(tenant_id=mass_env.tenant.id, group_id=tag_group.id, name="护肤")
    db.add(tag)
    db.flush()
    for ext in ("wmC2", "wmC5"):
        db.add(CustomerTag(tenant_id=mass_env.tenant.id, customer_id=mass_env.customers[ext].id, tag_id=tag.id))
    db.commit()
    task = dispatch_now(db, new_send(db, mass_env.tenant, audience={"tag_ids": [tag.id]}))
    assert set(targets(db, task)) == {"wmC2", "wmC5"} and task.matched == 2


def test_acceptance_19_remind_is_offered_only_while_someone_has_not_sent(db, platform, mass_env, client,
                                                                        wecom_admin):
    task = dispatch_now(db, new_send(db, mass_env.tenant))
    wecom_admin(mass_env.tenant)
    assert 'data-testid="remind"' in detail(client, mass_env, task)
    mass_env.groupmsg.send_all()
    poll(db, platform, task)
    assert 'data-testid="remind"' not in detail(client, mass_env, task)
    assert client.post(f"/t/{mass_env.tenant.slug}/wecom/masssend/{task.id}/remind").status_code in (302, 303)
    assert mass_env.control.calls("/cgi-bin/externalcontact/remind_groupmsg_send") == []


def test_acceptance_21_expected_chats_equal_the_selection_and_each_chat_has_its_status(
        db, platform, mass_env, groups, client, wecom_admin):  # noqa: F811
    set_limits(db, mass_env.tenant, group_mass_per_day=5, group_mass_per_month=10)
    by_owner = dispatch_now(db, new_send(db, mass_env.tenant, chat_type="group", text="张三的群",
                                         audience={"owner_ids": [mass_env.employees["zhangsan"].id]}))
    by_name = dispatch_now(db, new_send(db, mass_env.tenant, chat_type="group", text="名称含VIP的群",
                                        audience={"name": "VIP"}))
    wecom_admin(mass_env.tenant)
    client.get("/lang/zh_CN")
    expected = re.compile(r'data-testid="expected-groups">([^<]*)<')
    assert expected.search(detail(client, mass_env, by_owner)).group(1) == "预计发送2个客户群"
    assert expected.search(detail(client, mass_env, by_name)).group(1) == "预计发送1个客户群"
    mass_env.groupmsg.send(msgid_of(db, by_owner, "zhangsan"), "zhangsan")
    poll(db, platform, by_owner)
    page = detail(client, mass_env, by_owner)
    rows = dict(re.findall(r'data-target="(wr\w+)" data-status="(\w+)"', page))
    assert rows == {"wrVip1": "delivered", "wrVip2": "delivered"}
    assert "静安店VIP会员群" in page and "已送达" in page
