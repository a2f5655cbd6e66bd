"""Customer and group SOP tasks (spec §4.6, §4.7, checks 22–25): triggers plan one task per node on a durable
schedule, only for the executing employees' customers (or the bound groups); due tasks become text cards to the
employee, once; paused, terminated and edited rules stop cleanly; tenants stay apart."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from scrm_wecom.sop import rules as service
from scrm_wecom.sop.events import on_domain_event
from scrm_wecom.sop.models import SopRule
from scrm_wecom.sop.planning import plan_periodic
from sqlalchemy import select
from wecom_churn_fixtures import *  # noqa: F403
from wecom_churn_fixtures import app_messages, deliveries, employee, re_add, to
from wecom_foundation_fixtures import *  # noqa: F403
from wecom_sop_fixtures import PUBLIC, deliver, in_writer, make_due, make_rule, node, tasks
from wecom_sync_fixtures import *  # noqa: F403
from wecom_sync_fixtures import customer_of

from scrm.sdk import DomainEvent, EventTypes, Tag, local_datetime, utcnow


@pytest.fixture(autouse=True)
def public_url(monkeypatch):
    monkeypatch.setenv("SCRM_PUBLIC_URL", PUBLIC)


def event(tenant_id: int, type: str, payload: dict, event_id: str = "ev-1") -> DomainEvent:
    return DomainEvent(event_id, type, tenant_id, payload, utcnow())


def fire(db, ev: DomainEvent) -> None:
    in_writer(db, lambda session: on_domain_event(ev, session))


def test_a_friend_add_plans_the_nodes_of_the_employees_rule_and_the_card_goes_once(
        app, db, tenant, churn_account, sandbox, worker, wsgi_http):
    lisi, zhangsan = employee(db, tenant.id, "lisi"), employee(db, tenant.id, "zhangsan")
    rule = make_rule(app, db, tenant.id, employees=[lisi.id],
                     nodes=[node(minute=1), node(title="第3天 {customer}", day=3, hour=2)])
    at = int(utcnow().timestamp())
    re_add(wsgi_http, churn_account, "lisi", "wmCarol", at)  # lisi executes the rule
    re_add(wsgi_http, churn_account, "zhangsan", "wmBob", at)  # zhangsan does not
    worker.join()
    first, third = tasks(db, tenant.id, rule)
    carol = customer_of(db, tenant.id, "wmCarol")
    anchor = datetime.fromtimestamp(at, UTC)
    assert (first.customer_id, first.employee_id, first.status) == (carol.id, lisi.id, "pending")
    assert first.due_at == anchor + timedelta(minutes=1)
    assert third.due_at == anchor + timedelta(days=3, hours=2)
    assert zhangsan.id not in {t.employee_id for t in tasks(db, tenant.id)}
    assert deliver(db, tenant.id).tasks == 0  # not due yet
    make_due(db, tenant.id)
    run = deliver(db, tenant.id)
    assert (run.tasks, run.cards) == (2, 1)  # two to-dos of one employee: one card
    assert deliver(db, tenant.id).tasks == 0
    worker.join()
    [card] = to(app_messages(sandbox[1]), "lisi")
    assert card["textcard"]["url"] == f"{PUBLIC}/t/{tenant.slug}/wecom/sop/tasks"
    assert "Carol" in card["textcard"]["description"] and len(app_messages(sandbox[1])) == 1
    assert {t.status for t in tasks(db, tenant.id)} == {"reminded"}


def test_a_single_due_task_gets_its_own_card_with_the_customer_filled_in(app, db, tenant, churn_account, sandbox,
                                                                         worker):
    lisi = employee(db, tenant.id, "lisi")
    bob = customer_of(db, tenant.id, "wmBob")
    tag_id = db.execute(select(Tag.id).where(Tag.tenant_id == tenant.id)).scalars().first()
    make_rule(app, db, tenant.id, trigger="tag_added", employees=[lisi.id], tag_id=str(tag_id),
              nodes=[node(title="跟进 {customer}", content="{customer}，金卡礼遇已为您开通")])
    fire(db, event(tenant.id, EventTypes.TAGS_CHANGED, {"customer_ids": [bob.id], "added_tag_ids": [tag_id]}))
    fire(db, event(tenant.id, EventTypes.TAGS_CHANGED, {"customer_ids": [bob.id], "added_tag_ids": [tag_id]}))
    fire(db, event(tenant.id, EventTypes.TAGS_CHANGED, {"customer_ids": [bob.id], "added_tag_ids": [tag_id + 999]},
                   "ev-other-tag"))
    [task] = tasks(db, tenant.id)  # a redelivered event plans nothing twice; another tag nothing at all
    assert task.employee_id == lisi.id
    deliver(db, tenant.id)
    worker.join()
    [card] = app_messages(sandbox[1])
    assert card["textcard"]["title"] == "跟进 Bob" and card["textcard"]["description"] == "Bob，金卡礼遇已为您开通"
    assert card["textcard"]["url"] == f"{PUBLIC}/t/{tenant.slug}/wecom/sop/tasks/{task.id}"
    assert card["textcard"]["btntxt"] == "去完成"


def test_a_stage_entered_and_a_group_join_trigger_their_rules(app, db, tenant, churn_account, sandbox, worker):
    from wecom_churn_fixtures import stage_id

    lisi = employee(db, tenant.id, "lisi")
    bob = customer_of(db, tenant.id, "wmBob")
    stage = stage_id(db, tenant.id, next(iter(_stage_names(db, tenant.id))))
    staged = make_rule(app, db, tenant.id, name="意向促单", trigger="stage_entered", employees=[lisi.id],
                       stage_id=str(stage))
    grouped = make_rule(app, db, tenant.id, name="入群欢迎", trigger="joined_group", employees=[lisi.id])
    fire(db, event(tenant.id, "members.stage_changed", {"customer_id": bob.id, "to_stage_id": stage + 1000}))
    assert tasks(db, tenant.id) == []
    fire(db, event(tenant.id, "members.stage_changed", {"customer_id": bob.id, "to_stage_id": stage}, "ev-2"))
    fire(db, event(tenant.id, "wecom.group_member_joined", {"members": [{"customer_id": bob.id, "type": 2}]},
                   "ev-3"))
    assert sorted(t.rule_id for t in tasks(db, tenant.id)) == sorted([staged, grouped])


def _stage_names(db, tenant_id):
    stages = pytest.importorskip("scrm_members.loyalty.stages")
    return [s.name for s in stages.tenant_stages(db, tenant_id)]


def test_birthdays_are_planned_once_a_day_at_the_tenants_midnight(app, db, tenant, churn_account, sandbox, worker):
    from scrm.sdk import local_midnight, local_today

    lisi = employee(db, tenant.id, "lisi")
    bob, alice = customer_of(db, tenant.id, "wmBob"), customer_of(db, tenant.id, "wmAlice")
    today = local_today()
    bob.attributes = {**(bob.attributes or {}), "birthday": f"1990-{today:%m-%d}"}
    alice.attributes = {**(alice.attributes or {}), "birthday": "1990-01-01" if today.strftime("%m-%d") != "01-01"
                        else "1990-01-02"}
    db.add_all([bob, alice])
    rule = make_rule(app, db, tenant.id, name="生日关怀", trigger="date_field", employees=[lisi.id],
                     nodes=[node(title="{customer}生日", hour=9)])
    # created now: a node due before the rule existed is not planned; move the rule's start back a day
    in_writer(db, lambda s: s.get(SopRule, rule).__setattr__("updated_at", utcnow() - timedelta(days=1)))
    assert in_writer(db, lambda s: plan_periodic(s, tenant.id)) == 1
    assert in_writer(db, lambda s: plan_periodic(s, tenant.id)) == 0
    [task] = tasks(db, tenant.id)
    assert task.customer_id == bob.id and task.due_at == local_midnight(today) + timedelta(hours=9)
    assert alice.id not in {t.customer_id for t in tasks(db, tenant.id)}


def test_a_fixed_schedule_plans_each_occurrence_once(app, db, tenant, churn_account, sandbox, worker):
    from scrm.sdk import local_now

    zhangsan = employee(db, tenant.id, "zhangsan")
    start = (local_now() - timedelta(days=2, minutes=5)).replace(tzinfo=None, second=0, microsecond=0)
    rule = make_rule(app, db, tenant.id, name="每日早安", trigger="schedule", employees=[zhangsan.id],
                     start=start.isoformat(timespec="minutes"), every_days="1", nodes=[node(minute=10)])
    planned = in_writer(db, lambda s: plan_periodic(s, tenant.id))
    assert planned == 2  # zhangsan's friends Alice and Carol, for today's occurrence only
    assert in_writer(db, lambda s: plan_periodic(s, tenant.id)) == 0
    occurrence = start + timedelta(days=2)
    assert {t.anchor_at for t in tasks(db, tenant.id, rule)} == {local_datetime(occurrence.date(), occurrence.time())}


def test_a_paused_rule_plans_and_reminds_nothing_and_its_pending_tasks_are_cancelled(
        app, db, tenant, churn_account, sandbox, worker, wsgi_http):
    lisi = employee(db, tenant.id, "lisi")
    rule = make_rule(app, db, tenant.id, employees=[lisi.id], nodes=[node(minute=1)])
    re_add(wsgi_http, churn_account, "lisi", "wmCarol", int(utcnow().timestamp()))
    worker.join()
    with app.test_request_context():
        in_writer(db, lambda s: service.set_status(s, s.get(SopRule, rule), "pause"))
    assert [t.status for t in tasks(db, tenant.id)] == ["cancelled"]
    re_add(wsgi_http, churn_account, "lisi", "wmAlice", int(utcnow().timestamp()))
    worker.join()
    make_due(db, tenant.id)
    assert len(tasks(db, tenant.id)) == 1 and deliver(db, tenant.id).tasks == 0
    assert app_messages(sandbox[1]) == []


def test_state_machine_edit_only_while_paused_and_terminate_is_final(app, db, tenant, churn_account):
    lisi = employee(db, tenant.id, "lisi")
    rule_id = make_rule(app, db, tenant.id, employees=[lisi.id])
    with app.test_request_context():
        def attempt(action):
            return in_writer(db, lambda s: service.set_status(s, s.get(SopRule, rule_id), action).status)

        def edit():
            data = service.RuleInput(name="改过的规则", trigger="friend_added", employee_ids=[str(lisi.id)],
                                     nodes=[node(title="新的节点")])
            return in_writer(db, lambda s: service.update_rule(s, s.get(SopRule, rule_id), data).name)

        with pytest.raises(service.RuleError):
            edit()  # ON: not editable
        with pytest.raises(service.RuleError):
            attempt("enable")
        assert attempt("pause") == "paused"
        assert edit() == "改过的规则"
        assert attempt("enable") == "on"
        assert attempt("terminate") == "terminated"
        for action in ("enable", "pause", "terminate"):
            with pytest.raises(service.RuleError):
                attempt(action)
        with pytest.raises(service.RuleError):
            in_writer(db, lambda s: service.bind_groups(s, s.get(SopRule, rule_id), [1]))
        in_writer(db, lambda s: service.delete_rule(s, s.get(SopRule, rule_id)))
    assert db.get(SopRule, rule_id) is None


@pytest.mark.parametrize(("name", "nodes", "ok"), [("一" * 20, 1, True), ("一" * 21, 1, False), ("一" * 20, 0, False),
                                                   ("", 1, False)])
def test_a_rule_needs_a_name_of_at_most_20_characters_and_a_node(app, db, tenant, churn_account, name, nodes, ok):
    lisi = employee(db, tenant.id, "lisi")
    attempt = lambda: make_rule(app, db, tenant.id, name=name, employees=[lisi.id],  # noqa: E731
                                nodes=[node()] * nodes)
    if ok:
        assert attempt()
    else:
        with pytest.raises(service.RuleError):
            attempt()


def test_a_node_title_of_129_bytes_or_content_past_512_bytes_is_refused(app, db, tenant, churn_account):
    lisi = employee(db, tenant.id, "lisi")
    assert make_rule(app, db, tenant.id, employees=[lisi.id], nodes=[node(title="a" * 128, content="b" * 512)])
    for bad in (node(title="a" * 129, content="b"), node(title="a", content="b" * 513),
                node(title="a", content="b" * 453 + "{customer}"), node(minute=60), node(hour=24), node(day=366)):
        with pytest.raises(service.RuleError):
            make_rule(app, db, tenant.id, employees=[lisi.id], nodes=[bad])


def test_a_customer_rule_needs_executing_employees_of_the_tenant(app, db, tenant, other_tenant, churn_account,
                                                                  make_tenant):
    from scrm.sdk import Employee

    stranger = Employee(tenant_id=other_tenant.id, userid="x", name="外人")
    db.add(stranger)
    db.flush()
    for employees in ([], [stranger.id]):
        with pytest.raises(service.RuleError) as error:
            make_rule(app, db, tenant.id, employees=employees)
        assert "employee_ids" in error.value.errors


def test_group_sop_reminds_the_owner_a_minute_after_joining_and_moving_stops_the_first(
        app, db, tenant, churn_account, sandbox, worker):
    from scrm_wecom.groupchats.models import GroupChat

    zhangsan = employee(db, tenant.id, "zhangsan")
    chat = GroupChat(tenant_id=tenant.id, account_id=churn_account.id, chat_id="wrSop1", name="静安店VIP群",
                     owner_userid="zhangsan", owner_employee_id=zhangsan.id)
    db.add(chat)
    first = make_rule(app, db, tenant.id, name="社群运营A", kind="group", trigger="group_bound",
                      nodes=[node(title="群{group}早安", content="{group}的朋友们早上好", minute=1)])
    second = make_rule(app, db, tenant.id, name="社群运营B", kind="group", trigger="group_bound",
                       nodes=[node(title="B {group}", content="B", day=1)])
    before = utcnow()
    in_writer(db, lambda s: service.bind_groups(s, s.get(SopRule, first), [chat.id]))
    [task] = tasks(db, tenant.id)
    assert task.employee_id == zhangsan.id and timedelta(seconds=59) < task.due_at - before < timedelta(seconds=62)
    in_writer(db, lambda s: service.bind_groups(s, s.get(SopRule, second), [chat.id]))
    old, new = tasks(db, tenant.id)
    assert (old.rule_id, old.status, new.rule_id, new.status) == (first, "cancelled", second, "pending")
    make_due(db, tenant.id)
    deliver(db, tenant.id)
    worker.join()
    [card] = app_messages(sandbox[1])
    assert card["touser"] == "zhangsan" and card["textcard"]["title"] == "B 静安店VIP群"


def test_due_tasks_of_another_tenant_are_not_delivered_by_this_tenants_run(
        app, db, tenant, other_tenant, churn_account, sandbox, worker, wsgi_http):
    lisi = employee(db, tenant.id, "lisi")
    make_rule(app, db, tenant.id, employees=[lisi.id])
    re_add(wsgi_http, churn_account, "lisi", "wmCarol", int(utcnow().timestamp()))
    worker.join()
    make_due(db, tenant.id)
    assert deliver(db, other_tenant.id).tasks == 0
    assert [t.status for t in tasks(db, tenant.id)] == ["pending"]
    assert deliver(db, tenant.id).tasks == 1
    worker.join()
    assert [d.status for d in deliveries(db, tenant.id)] == ["sent"]


@pytest.mark.parametrize(("length", "ok"), [(200, True), (201, False)])
def test_a_group_rule_description_has_at_most_200_characters(app, db, tenant, churn_account, length, ok):
    attempt = lambda: make_rule(app, db, tenant.id, name="社群规则", kind="group",  # noqa: E731
                                trigger="group_bound", description="述" * length)
    if ok:
        assert db.get(SopRule, attempt()).description == "述" * 200
    else:
        with pytest.raises(service.RuleError) as error:
            attempt()
        assert "description" in error.value.errors


def test_node_timing_bounds_are_inclusive(app, db, tenant, churn_account):
    lisi = employee(db, tenant.id, "lisi")
    assert make_rule(app, db, tenant.id, employees=[lisi.id], nodes=[node(day=365, hour=23, minute=59)])
    for bad in (node(day=-1), node(hour=-1), node(minute=-1)):
        with pytest.raises(service.RuleError):
            make_rule(app, db, tenant.id, employees=[lisi.id], nodes=[bad])
