"""Employees change their group's group SOP rule and cycle from WeCom on the phone (spec §2.7.2, §4.7 rule 3):
signed in through WeCom OAuth against the sandbox, Zhang San moves his group from rule A to rule B (A's pending
reminder is cancelled and never arrives, B's arrives once), restarts the cycle (the nodes run again from today),
takes the group out; a group he does not own is 403, another brand's group 404, a session of another brand 403, a
brand that disabled the plugin 404; bad input 422 changing nothing; the posts need the CSRF token."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from scrm_wecom.groupchats.models import GroupChat
from scrm_wecom.sop.models import SopBinding, SopRule
from sqlmodel import select
from wecom_materials_fixtures import *  # noqa: F403
from wecom_materials_fixtures import CORP_ID, fresh
from wecom_sop_fixtures import PUBLIC, deliver, in_writer, make_due, make_rule, node, tasks

from scrm.sdk import Tenant, utcnow

PAGE = "/p/acme/wecom/sidebar/sop/groups"


@pytest.fixture(autouse=True)
def public_url(monkeypatch):
    monkeypatch.setenv("SCRM_PUBLIC_URL", PUBLIC)


def sign_in(client, world, userid: str, slug: str = "acme"):
    """The page's own WeCom OAuth round trip against the sandbox."""
    import httpx

    first = client.get(f"/p/{slug}/wecom/sidebar/sop/groups?account={world.account.id}")
    assert first.status_code == 302, first.get_data(as_text=True)[:500]
    authorize = first.headers["Location"].split("#", 1)[0] + f"&userid={userid}"
    answer = httpx.get(authorize, follow_redirects=False, timeout=10)
    assert answer.status_code == 302, answer.text
    back = answer.headers["location"].replace("http://localhost", "")
    assert "/sidebar/sop/groups/oauth" in back
    done = client.get(back)
    assert done.status_code == 302 and done.headers["Location"].endswith(PAGE)
    return client


def chat(db, world, name: str, owner: str, chat_id: str) -> GroupChat:
    employee = world.employees[owner]
    row = GroupChat(tenant_id=world.tenant.id, account_id=world.account.id, chat_id=chat_id, name=name,
                    owner_userid=owner, owner_employee_id=employee.id)
    db.add(row)
    db.commit()
    return row


def group_rules(app, db, world):
    """Rule A (a reminder a day after joining) and rule B (a minute after joining), both enabled."""
    first = make_rule(app, db, world.tenant.id, name="社群运营A", kind="group", trigger="group_bound",
                      nodes=[node(title="A {group}", content="A 群早安", day=1)])
    second = make_rule(app, db, world.tenant.id, name="社群运营B", kind="group", trigger="group_bound",
                       nodes=[node(title="B {group}", content="B 群新品", minute=1),
                              node(title="B2 {group}", content="B 第三天", day=3)])
    return first, second


def bind(db, rule_id: int, group_id: int) -> None:
    from scrm_wecom.sop import rules as service

    in_writer(db, lambda s: service.bind_groups(s, s.get(SopRule, rule_id), [group_id]))


def binding_of(db, group_id: int) -> SopBinding | None:
    fresh(db)
    return db.exec(select(SopBinding).where(SopBinding.group_chat_id == group_id)).first()


def cards(world) -> list[dict]:
    return world.sandbox.corp(CORP_ID)["app_messages"]


def test_a_move_from_the_phone_stops_the_old_rules_reminders_and_starts_the_new_ones(app, db, world, worker):
    first, second = group_rules(app, db, world)
    vip = chat(db, world, "静安店VIP群", "zhangsan", "wrVip")
    bind(db, first, vip.id)
    [old] = tasks(db, world.tenant.id)
    assert (old.rule_id, old.status) == (first, "pending")
    zhang = sign_in(app.test_client(), world, "zhangsan")
    page = zhang.get(PAGE).get_data(as_text=True)
    assert "静安店VIP群" in page and "社群运营A" in page and "已提醒 0 / 1 条待办" in page

    answer = zhang.post(f"{PAGE}/{vip.id}/move", data={"rule_id": second})
    assert answer.status_code == 302
    assert binding_of(db, vip.id).rule_id == second
    rows = tasks(db, world.tenant.id)
    assert [(t.rule_id, t.status) for t in rows] == [(first, "cancelled"), (second, "pending"), (second, "pending")]
    assert rows[1].employee_id == world.employees["zhangsan"].id
    assert "社群运营B" in zhang.get(PAGE).get_data(as_text=True)

    make_due(db, world.tenant.id)  # every pending task is due now: the cancelled one must not come back
    run = deliver(db, world.tenant.id)
    assert run.tasks == 2
    assert deliver(db, world.tenant.id).tasks == 0
    worker.join()
    [card] = cards(world)  # one card for B's two to-dos, nothing of A
    assert card["touser"] == "zhangsan" and card["textcard"]["title"] == "您有 2 条SOP待办"
    assert "社群运营B" in card["textcard"]["description"] and "社群运营A" not in card["textcard"]["description"]
    assert [t.status for t in tasks(db, world.tenant.id)] == ["cancelled", "reminded", "reminded"]


def test_restarting_the_cycle_plans_the_nodes_again_from_today(app, db, world, worker):
    _first, second = group_rules(app, db, world)
    vip = chat(db, world, "静安店VIP群", "zhangsan", "wrVip")
    bind(db, second, vip.id)
    make_due(db, world.tenant.id, timedelta(days=4))  # as if the group joined four days ago
    deliver(db, world.tenant.id)
    worker.join()
    assert len(cards(world)) == 1 and {t.status for t in tasks(db, world.tenant.id)} == {"reminded"}
    in_writer(db, lambda s: s.get(SopBinding, binding_of(db, vip.id).id).__setattr__(
        "joined_at", utcnow() - timedelta(days=4)))
    zhang = sign_in(app.test_client(), world, "zhangsan")
    before = utcnow()
    assert zhang.post(f"{PAGE}/{vip.id}/restart").status_code == 302
    binding = binding_of(db, vip.id)
    assert binding.rule_id == second and binding.joined_at >= before
    rows = tasks(db, world.tenant.id)
    assert [t.status for t in rows] == ["reminded", "reminded", "pending", "pending"]  # delivered to-dos stay
    minute, third = rows[2:]
    assert timedelta(seconds=59) < minute.due_at - before < timedelta(seconds=62)
    assert timedelta(days=3) <= third.due_at - before < timedelta(days=3, seconds=2)
    assert "已提醒 0 / 2 条待办" in zhang.get(PAGE).get_data(as_text=True)

    assert zhang.post(f"{PAGE}/{vip.id}/restart").status_code == 302  # again: the first restart's tasks go
    rows = tasks(db, world.tenant.id)
    assert [t.status for t in rows] == ["reminded", "reminded", "cancelled", "cancelled", "pending", "pending"]
    make_due(db, world.tenant.id)
    assert deliver(db, world.tenant.id).tasks == 2
    worker.join()
    assert len(cards(world)) == 2


def test_taking_the_group_out_cancels_its_pending_to_dos(app, db, world, worker):
    first, _second = group_rules(app, db, world)
    vip = chat(db, world, "静安店VIP群", "zhangsan", "wrVip")
    bind(db, first, vip.id)
    zhang = sign_in(app.test_client(), world, "zhangsan")
    assert zhang.post(f"{PAGE}/{vip.id}/remove").status_code == 302
    assert binding_of(db, vip.id) is None
    assert [t.status for t in tasks(db, world.tenant.id)] == ["cancelled"]
    assert "未加入社群SOP规则。" in zhang.get(PAGE).get_data(as_text=True)
    answer = zhang.post(f"{PAGE}/{vip.id}/remove")
    assert answer.status_code == 422 and "未加入任何社群SOP规则" in answer.get_data(as_text=True)
    assert zhang.post(f"{PAGE}/{vip.id}/restart").status_code == 422
    assert zhang.post(f"{PAGE}/{vip.id}/move", data={"rule_id": first}).status_code == 302  # joins again
    assert [t.status for t in tasks(db, world.tenant.id)] == ["cancelled", "pending"]


def test_bad_input_changes_nothing(app, db, world):
    first, second = group_rules(app, db, world)
    vip = chat(db, world, "静安店VIP群", "zhangsan", "wrVip")
    bind(db, first, vip.id)
    paused = make_rule(app, db, world.tenant.id, name="暂停规则", kind="group", trigger="group_bound")
    in_writer(db, lambda s: s.get(SopRule, paused).__setattr__("status", "paused"))
    customer_rule = make_rule(app, db, world.tenant.id, name="客户规则", employees=[world.employees["lisi"].id])
    schedule = make_rule(app, db, world.tenant.id, name="每周群发", kind="group", trigger="schedule",
                         start="2030-01-01 09:00", every_days="7")
    zhang = sign_in(app.test_client(), world, "zhangsan")
    for value in ("", "abc", "0", str(paused), str(customer_rule), str(first), "999999"):
        answer = zhang.post(f"{PAGE}/{vip.id}/move", data={"rule_id": value})
        assert answer.status_code == 422, value
        assert 'data-testid="sop-groups-refusal"' in answer.get_data(as_text=True)
    assert binding_of(db, vip.id).rule_id == first
    assert [t.status for t in tasks(db, world.tenant.id)] == ["pending"]
    assert "社群运营B" in zhang.get(PAGE).get_data(as_text=True) and "暂停规则" not in zhang.get(PAGE).get_data(
        as_text=True)
    bind(db, schedule, vip.id)
    answer = zhang.post(f"{PAGE}/{vip.id}/restart")
    assert answer.status_code == 422 and "按固定时间执行" in answer.get_data(as_text=True)
    assert binding_of(db, vip.id).rule_id == schedule


def test_a_group_of_another_owner_is_refused(app, db, world):
    first, second = group_rules(app, db, world)
    theirs = chat(db, world, "李四的群", "lisi", "wrLisi")
    mine = chat(db, world, "张三的群", "zhangsan", "wrZhang")
    bind(db, first, theirs.id)
    zhang = sign_in(app.test_client(), world, "zhangsan")
    page = zhang.get(PAGE).get_data(as_text=True)
    assert "张三的群" in page and "李四的群" not in page
    for action, data in (("move", {"rule_id": second}), ("restart", {}), ("remove", {})):
        answer = zhang.post(f"{PAGE}/{theirs.id}/{action}", data=data)
        assert answer.status_code == 403 and "只有群主" in answer.get_data(as_text=True), action
    assert binding_of(db, theirs.id).rule_id == first
    assert [t.status for t in tasks(db, world.tenant.id)] == ["pending"]
    assert zhang.post(f"{PAGE}/{mine.id}/move", data={"rule_id": second}).status_code == 302
    anonymous = app.test_client()
    assert anonymous.post(f"{PAGE}/{mine.id}/restart").status_code == 403


def test_brands_stay_apart_and_a_disabled_plugin_is_404(app, db, world, enable_plugins):
    from scrm.core.plugins.enablement import disable_plugin

    other = Tenant(slug="other", name="Other brand")
    db.add(other)
    db.commit()
    enable_plugins(other, "wecom")
    first, second = group_rules(app, db, world)
    theirs_rule = make_rule(app, db, other.id, name="别家规则", kind="group", trigger="group_bound")
    theirs = GroupChat(tenant_id=other.id, account_id=world.account.id, chat_id="wrOther", name="别家群",
                       owner_employee_id=world.employees["zhangsan"].id)
    db.add(theirs)
    db.commit()
    mine = chat(db, world, "张三的群", "zhangsan", "wrZhang")
    bind(db, first, mine.id)
    zhang = sign_in(app.test_client(), world, "zhangsan")
    assert "别家" not in zhang.get(PAGE).get_data(as_text=True)
    for action, data in (("move", {"rule_id": second}), ("restart", {}), ("remove", {})):
        assert zhang.post(f"{PAGE}/{theirs.id}/{action}", data=data).status_code == 404, action
    answer = zhang.post(f"{PAGE}/{mine.id}/move", data={"rule_id": theirs_rule})
    assert answer.status_code == 422
    assert zhang.get("/p/other/wecom/sidebar/sop/groups").status_code in (302, 404)  # not signed in there
    assert zhang.post(f"/p/other/wecom/sidebar/sop/groups/{theirs.id}/restart").status_code == 403
    assert binding_of(db, mine.id).rule_id == first

    disable_plugin(db, app.extensions["scrm"].registry, db.merge(world.tenant), "wecom")
    db.commit()
    assert zhang.get(PAGE).status_code == 404
    assert zhang.post(f"{PAGE}/{mine.id}/remove").status_code == 404
    assert binding_of(db, mine.id).rule_id == first


def test_the_posts_need_the_csrf_token(app, db, world):
    first, second = group_rules(app, db, world)
    mine = chat(db, world, "张三的群", "zhangsan", "wrZhang")
    bind(db, first, mine.id)
    zhang = sign_in(app.test_client(), world, "zhangsan")
    app.config["WTF_CSRF_ENABLED"] = True
    try:
        assert zhang.post(f"{PAGE}/{mine.id}/move", data={"rule_id": second}).status_code == 400
        assert binding_of(db, mine.id).rule_id == first
        token = re.search(r'name="csrf_token" value="([^"]+)"', zhang.get(PAGE).get_data(as_text=True)).group(1)
        answer = zhang.post(f"{PAGE}/{mine.id}/move", data={"rule_id": second, "csrf_token": token})
        assert answer.status_code == 302
    finally:
        app.config["WTF_CSRF_ENABLED"] = False
    assert binding_of(db, mine.id).rule_id == second


def test_the_employees_to_do_page_links_to_the_group_page(app, db, world, staff):
    page = staff.get("/t/acme/wecom/sop/tasks").get_data(as_text=True)
    assert f'href="{PAGE}"' in page
