"""Group mass sends (spec 3.5, 4.5, 5.3; acceptance 21): group chats by owner, the owner's department and group tags
(and name), one chat_type=group task per owner, owners confirm, per-chat receipts, the per-chat daily limit."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from scrm_wecom.groupchats.models import GroupChat, GroupChatTag, GroupTag, GroupTagGroup
from scrm_wecom.masssend import planning, stats
from scrm_wecom.sandbox import GroupChatControl
from wecom_foundation_fixtures import *  # noqa: F403
from wecom_foundation_fixtures import CORP_ID
from wecom_masssend_fixtures import *  # noqa: F403
from wecom_masssend_fixtures import dispatch_now, members, msgid_of, new_send, poll, targets

from scrm.sdk import Department, MessageDelivery

CHATS = {"wrVip1": ("zhangsan", "静安店VIP会员群"), "wrVip2": ("zhangsan", "静安店新品尝鲜群"),
         "wrLisi": ("lisi", "徐汇店会员福利群"), "wrWang": ("wangwu", "浦东店宝妈交流群")}


@pytest.fixture
def groups(db, mass_env):
    """Four chats in the sandbox and the mirror; lisi and wangwu work in department "上海门店" (under "总部");
    wrVip1 and wrLisi carry the group tag "高价值"."""
    control = GroupChatControl(mass_env.control, CORP_ID)
    control.create(*[{"chat_id": chat_id, "name": name, "owner": owner} for chat_id, (owner, name) in CHATS.items()])
    hq = Department(tenant_id=mass_env.tenant.id, name="总部")
    db.add(hq)
    db.flush()
    stores = Department(tenant_id=mass_env.tenant.id, name="上海门店", parent_id=hq.id)
    db.add(stores)
    db.flush()
    for userid, employee in mass_env.employees.items():
        employee.department_id = hq.id if userid == "zhangsan" else stores.id
    rows = {}
    for chat_id, (owner, name) in CHATS.items():
        rows[chat_id] = GroupChat(tenant_id=mass_env.tenant.id, account_id=mass_env.account.id, chat_id=chat_id,
                                  name=name, owner_userid=owner, owner_employee_id=mass_env.employees[owner].id,
                                  member_count=30, created_at=datetime(2026, 10, 1, tzinfo=UTC))
        db.add(rows[chat_id])
    tag_group = GroupTagGroup(tenant_id=mass_env.tenant.id, name="价值")
    db.add(tag_group)
    db.flush()
    tag = GroupTag(tenant_id=mass_env.tenant.id, tag_group_id=tag_group.id, name="高价值")
    db.add(tag)
    db.flush()
    for chat_id in ("wrVip1", "wrLisi"):
        db.add(GroupChatTag(tenant_id=mass_env.tenant.id, group_chat_id=rows[chat_id].id, tag_id=tag.id))
    db.commit()
    return {"hq": hq, "stores": stores, "tag": tag, "chats": rows}


def chosen(db, env, audience: dict) -> set[str]:
    query = planning.group_candidates(db, env.tenant.id, audience)
    return {row.target for row in db.execute(query)}


def test_targeting_by_owner_department_tag_and_name(db, mass_env, groups):
    """Acceptance 21: each filter yields exactly its chats."""
    assert chosen(db, mass_env, {}) == set(CHATS)
    assert chosen(db, mass_env, {"owner_ids": [mass_env.employees["zhangsan"].id]}) == {"wrVip1", "wrVip2"}
    assert chosen(db, mass_env, {"department_ids": [groups["stores"].id]}) == {"wrLisi", "wrWang"}
    assert chosen(db, mass_env, {"department_ids": [groups["hq"].id]}) == set(CHATS)  # sub-departments included
    assert chosen(db, mass_env, {"group_tag_ids": [groups["tag"].id]}) == {"wrVip1", "wrLisi"}
    assert chosen(db, mass_env, {"name": "VIP"}) == {"wrVip1"}
    assert chosen(db, mass_env, {"owner_ids": [mass_env.employees["zhangsan"].id],
                                 "group_tag_ids": [groups["tag"].id]}) == {"wrVip1"}


def test_one_group_task_per_owner_with_its_chats(db, mass_env, groups):
    task = dispatch_now(db, new_send(db, mass_env.tenant, chat_type="group", text="本周六会员日，群内抽奖",
                                     audience={"group_tag_ids": [groups["tag"].id]}))
    assert task.targeted == 2
    bodies = {c["body"]["sender"]: c["body"] for c in
              mass_env.control.calls("/cgi-bin/externalcontact/add_msg_template")}
    assert set(bodies) == {"zhangsan", "lisi"}
    assert bodies["zhangsan"]["chat_type"] == "group" and bodies["zhangsan"]["chat_id_list"] == ["wrVip1"]
    assert "external_userid" not in bodies["zhangsan"]


def test_owner_confirms_and_receipts_per_chat(db, platform, mass_env, groups):
    task = dispatch_now(db, new_send(db, mass_env.tenant, chat_type="group", text="新品到店，欢迎来试"))
    mass_env.groupmsg.send(msgid_of(db, task, "zhangsan"), "zhangsan")
    poll(db, platform, task)
    assert targets(db, task) == {"wrVip1": "delivered", "wrVip2": "delivered", "wrLisi": "unsent",
                                 "wrWang": "unsent"}
    cards = stats.cards(db, db.get(type(task), task.id))
    assert (cards.members_sent, cards.members_unsent, cards.delivered, cards.undelivered) == (1, 2, 2, 2)
    assert members(db, task)["zhangsan"].target_count == 2


def test_a_chat_that_got_one_today_is_left_out(db, mass_env, groups):
    now = datetime.now(UTC)
    db.add(MessageDelivery(tenant_id=mass_env.tenant.id, channel="wecom", account_id=mass_env.account.id,
                           recipient="wrWang", kind="mass_group", task_ref="wecom_mass:earlier",
                           idempotency_key="wecom_mass:earlier:wrWang", created_at=now - timedelta(minutes=3)))
    db.commit()
    preview = planning.preview(db, mass_env.tenant, "group", {}, now)
    assert (preview.matched, preview.over_limit, preview.sendable, preview.employees) == (4, 1, 3, 2)
    task = dispatch_now(db, new_send(db, mass_env.tenant, chat_type="group", text="晚间直播预告"))
    assert targets(db, task)["wrWang"] == "limit"


def test_the_detail_page_shows_the_expected_chats(db, mass_env, groups, client, wecom_admin):
    task = dispatch_now(db, new_send(db, mass_env.tenant, chat_type="group", text="元旦活动通知"))
    wecom_admin(mass_env.tenant)
    page = client.get(f"/t/{mass_env.tenant.slug}/wecom/masssend/{task.id}").get_data(as_text=True)
    assert 'data-testid="expected-groups"' in page and "4" in page
    assert "静安店VIP会员群" in page
