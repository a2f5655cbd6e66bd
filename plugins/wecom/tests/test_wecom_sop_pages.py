"""The SOP pages: operators create, pause, edit, enable, terminate and delete rules, add and remove group chats and
read the completion with its CSV / XLSX export; employees open their task list and task page, record the send and
mark it done; the to-do reaches the home page. Bad input answers 422 with the field's message and changes nothing;
another tenant's rules, groups and tasks are 404; writes need the CSRF token; a disabled plugin answers 404."""

from __future__ import annotations

import io
import re

import pytest
from openpyxl import load_workbook
from scrm_wecom.groupchats.models import GroupChat
from scrm_wecom.sop.models import SopBinding, SopNode, SopRule, SopTask
from scrm_wecom.sop.planning import plan
from sqlalchemy import select
from wecom_churn_fixtures import *  # noqa: F403
from wecom_churn_fixtures import employee
from wecom_foundation_fixtures import *  # noqa: F403
from wecom_sop_fixtures import PUBLIC, deliver, in_writer, make_due, make_rule, node, tasks
from wecom_sync_fixtures import *  # noqa: F403
from wecom_sync_fixtures import customer_of

from scrm.sdk import Employee, utcnow

BASE = "/t/acme/wecom/sop"


@pytest.fixture(autouse=True)
def public_url(monkeypatch):
    monkeypatch.setenv("SCRM_PUBLIC_URL", PUBLIC)


@pytest.fixture
def operator(churn_account, make_user, login, tenant):
    return login(make_user("ops@acme.test", tenant, role="operator"))


def rule_form(lisi_id: int, **changes) -> dict:
    data = {"kind": "customer", "name": "新客7天培育", "trigger": "friend_added", "employee_ids": [str(lisi_id)],
            "node_count": "2", "node-0-day": "0", "node-0-hour": "0", "node-0-minute": "5",
            "node-0-title": "欢迎 {customer}", "node-0-content": "{customer}您好，我是您的专属顾问",
            "node-1-day": "3", "node-1-hour": "10", "node-1-minute": "0", "node-1-title": "第3天回访",
            "node-1-content": "新品试饮邀请"}
    data.update(changes)
    return data


def rules(db, tenant_id: int) -> list[SopRule]:
    db.commit()
    db.expire_all()
    return list(db.execute(select(SopRule).where(SopRule.tenant_id == tenant_id)).scalars())


def a_delivered_task(app, db, tenant, userid="lisi") -> SopTask:
    staff = employee(db, tenant.id, userid)
    rule_id = make_rule(app, db, tenant.id, name="到店回访", employees=[staff.id],
                        nodes=[node(title="回访 {customer}", content="{customer}您好，=SUM(A1) 新品到店")])
    bob = customer_of(db, tenant.id, "wmBob")
    in_writer(db, lambda s: plan(s, s.get(SopRule, rule_id), [(bob.id, None, staff.id)], utcnow(), "t"))
    make_due(db, tenant.id)
    deliver(db, tenant.id)
    return next(t for t in tasks(db, tenant.id) if t.rule_id == rule_id)


def test_an_operator_creates_a_customer_rule_and_sees_it_listed(db, tenant, churn_account, operator):
    lisi = employee(db, tenant.id, "lisi")
    page = operator.get(f"{BASE}/new?kind=customer")
    assert page.status_code == 200 and "新客" not in page.get_data(as_text=True)
    response = operator.post(f"{BASE}/new", data=rule_form(lisi.id))
    assert response.status_code == 302
    [rule] = rules(db, tenant.id)
    assert (rule.name, rule.status, rule.employee_ids, rule.trigger) == ("新客7天培育", "on", [lisi.id], "friend_added")
    listing = operator.get(f"{BASE}/?kind=customer").get_data(as_text=True)
    assert "新客7天培育" in listing
    assert "新客7天培育" not in operator.get(f"{BASE}/?kind=group").get_data(as_text=True)
    assert "新客7天培育" not in operator.get(f"{BASE}/?kind=customer&q=生日").get_data(as_text=True)
    detail = operator.get(f"{BASE}/{rule.id}").get_data(as_text=True)
    assert "第3天回访" in detail and "李四" in detail


@pytest.mark.parametrize(("changes", "field"), [
    ({"name": "一" * 21}, "name"), ({"name": ""}, "name"), ({"employee_ids": []}, "employee_ids"),
    ({"node-0-title": "", "node-0-content": "", "node-1-title": "", "node-1-content": ""}, "nodes"),
    ({"trigger": "mystery"}, "trigger"), ({"node-0-title": "a" * 129}, "node-0-title"),
    ({"node-1-minute": "60"}, "node-1-timing"),
    ({"trigger": "stage_entered", "stage_id": "999999"}, "stage_id"),
    ({"trigger": "tag_added", "tag_id": "999999"}, "tag_id"),
])
def test_bad_input_is_refused_with_the_fields_message_and_nothing_saved(db, tenant, churn_account, operator,
                                                                         changes, field):
    lisi = employee(db, tenant.id, "lisi")
    response = operator.post(f"{BASE}/new", data=rule_form(lisi.id, **changes))
    assert response.status_code == 422
    assert f'data-testid="error-{field}"' in response.get_data(as_text=True)
    assert rules(db, tenant.id) == []


def test_pause_edit_enable_terminate_and_delete_through_the_pages(app, db, tenant, churn_account, operator):
    lisi = employee(db, tenant.id, "lisi")
    rule_id = make_rule(app, db, tenant.id, employees=[lisi.id])
    assert operator.get(f"{BASE}/{rule_id}/edit").status_code == 302  # ON: not editable
    assert operator.post(f"{BASE}/{rule_id}/delete").status_code == 303  # ON: not deletable
    assert operator.post(f"{BASE}/{rule_id}/status", data={"action": "pause"}).status_code == 302
    assert operator.get(f"{BASE}/{rule_id}/edit").status_code == 200
    response = operator.post(f"{BASE}/{rule_id}/edit", data=rule_form(lisi.id, name="老客唤醒"))
    assert response.status_code == 302 and rules(db, tenant.id)[0].name == "老客唤醒"
    assert operator.post(f"{BASE}/{rule_id}/status", data={"action": "enable"}).status_code == 302
    assert operator.post(f"{BASE}/{rule_id}/status", data={"action": "terminate"}).status_code == 302
    assert operator.post(f"{BASE}/{rule_id}/status", data={"action": "enable"}).status_code == 303
    assert rules(db, tenant.id)[0].status == "terminated"
    assert operator.post(f"{BASE}/{rule_id}/delete").status_code == 302 and rules(db, tenant.id) == []


def test_group_chats_join_and_leave_a_group_rule(app, db, tenant, churn_account, operator):
    chat = GroupChat(tenant_id=tenant.id, account_id=churn_account.id, chat_id="wrPage", name="徐汇店会员群")
    db.add(chat)
    db.commit()
    rule_id = make_rule(app, db, tenant.id, name="社群早安", kind="group", trigger="group_bound")
    page = operator.get(f"{BASE}/{rule_id}").get_data(as_text=True)
    assert "徐汇店会员群" in page
    assert operator.post(f"{BASE}/{rule_id}/groups", data={"group_ids": [str(chat.id)]}).status_code == 302
    db.expire_all()
    assert db.execute(select(SopBinding.rule_id).where(SopBinding.group_chat_id == chat.id)).scalar() == rule_id
    assert operator.post(f"{BASE}/{rule_id}/groups/{chat.id}/remove").status_code == 302
    assert operator.post(f"{BASE}/{rule_id}/groups/{chat.id}/remove").status_code == 404
    db.expire_all()
    assert db.execute(select(SopBinding)).first() is None


def test_completion_statistics_and_their_exports(app, db, tenant, churn_account, operator):
    task = a_delivered_task(app, db, tenant)
    page = operator.get(f"{BASE}/stats").get_data(as_text=True)
    assert "到店回访" in page and 'data-due>1<' in page and 'data-done>0<' in page
    in_writer(db, lambda s: s.get(SopTask, task.id).__setattr__("status", "done"))
    assert 'data-done>1<' in operator.get(f"{BASE}/stats?rule_id={task.rule_id}").get_data(as_text=True)
    csv = operator.get(f"{BASE}/stats.csv").get_data(as_text=True)
    assert "到店回访" in csv and "100.0" in csv
    workbook = load_workbook(io.BytesIO(operator.get(f"{BASE}/stats.xlsx").data))
    values = [list(r) for r in workbook.active.iter_rows(values_only=True)]
    assert values[1][0] == "到店回访" and values[1][3:6] == [1, 0, 1]


def test_the_employee_opens_the_task_records_the_send_and_marks_it_done(app, db, tenant, churn_account, make_user,
                                                                        login):
    task = a_delivered_task(app, db, tenant)
    client = login(make_user("lisi@acme.test", tenant, role="employee", employee_id=task.employee_id))
    listing = client.get(f"{BASE}/tasks").get_data(as_text=True)
    assert f'data-task="{task.id}"' in listing and "回访 Bob" in listing
    page = client.get(f"{BASE}/tasks/{task.id}").get_data(as_text=True)
    assert "Bob您好，=SUM(A1) 新品到店" in page and 'data-testid="task-done"' in page
    assert client.post(f"{BASE}/tasks/{task.id}/sent", data={"via": "fax"}).status_code == 400
    assert client.post(f"{BASE}/tasks/{task.id}/sent", data={"via": "wecom"}).status_code == 302
    [row] = [t for t in tasks(db, tenant.id) if t.id == task.id]
    assert (row.status, row.sent_by) == ("sent", "wecom") and row.sent_at is not None
    home = client.get("/t/acme/").get_data(as_text=True)
    assert f"/wecom/sop/tasks/{task.id}" in home  # the open to-do on the home page
    assert client.post(f"{BASE}/tasks/{task.id}/done").status_code == 302
    assert tasks(db, tenant.id)[0].status == "done"
    assert f"/wecom/sop/tasks/{task.id}" not in client.get("/t/acme/").get_data(as_text=True)
    assert client.get(f"{BASE}/").status_code == 403  # the rule pages are for operators


def test_another_employees_task_is_not_theirs_to_open_or_mark(app, db, tenant, churn_account, make_user, login):
    task = a_delivered_task(app, db, tenant)
    zhangsan = employee(db, tenant.id, "zhangsan")
    client = login(make_user("zs@acme.test", tenant, role="employee", employee_id=zhangsan.id))
    assert client.get(f"{BASE}/tasks/{task.id}").status_code == 403
    assert client.post(f"{BASE}/tasks/{task.id}/done").status_code == 403
    assert f'data-task="{task.id}"' not in client.get(f"{BASE}/tasks").get_data(as_text=True)
    assert tasks(db, tenant.id)[0].status == "reminded"


def test_another_tenants_rules_groups_and_tasks_are_404(app, db, tenant, other_tenant, churn_account, enable_plugins,
                                                        operator, make_user, login):
    enable_plugins(other_tenant, "wecom")
    theirs = make_rule(app, db, other_tenant.id, name="别家规则", kind="group", trigger="group_bound")
    other_employee = Employee(tenant_id=other_tenant.id, userid="other", name="别家员工")
    db.add(other_employee)
    db.commit()
    their_rule = make_rule(app, db, other_tenant.id, name="别家客户规则", employees=[other_employee.id])
    from scrm.sdk import Customer, utcnow

    customer = Customer(tenant_id=other_tenant.id, name="别家客户")
    db.add(customer)
    db.commit()
    in_writer(db, lambda s: plan(s, s.get(SopRule, their_rule), [(customer.id, None, other_employee.id)], utcnow(),
                                 "x"))
    their_task = tasks(db, other_tenant.id)[0]
    in_writer(db, lambda s: s.get(SopTask, their_task.id).__setattr__("status", "reminded"))
    chat = GroupChat(tenant_id=tenant.id, account_id=churn_account.id, chat_id="wrMine", name="本店群")
    db.add(chat)
    db.commit()
    for path in (f"{BASE}/{theirs}", f"{BASE}/{theirs}/edit", f"{BASE}/stats?rule_id={theirs}",
                 f"{BASE}/stats.csv?rule_id={theirs}", f"{BASE}/tasks/{their_task.id}"):
        assert operator.get(path).status_code == 404, path
    for path, data in ((f"{BASE}/{theirs}/status", {"action": "pause"}), (f"{BASE}/{theirs}/delete", {}),
                       (f"{BASE}/{theirs}/groups", {"group_ids": [str(chat.id)]}),
                       (f"{BASE}/{theirs}/groups/{chat.id}/remove", {}),
                       (f"{BASE}/tasks/{their_task.id}/done", {}), (f"{BASE}/tasks/{their_task.id}/sent", {})):
        assert operator.post(path, data=data).status_code == 404, path
    assert "别家" not in operator.get(f"{BASE}/?kind=group").get_data(as_text=True)
    assert "别家" not in operator.get(f"{BASE}/stats").get_data(as_text=True)
    mine = make_rule(app, db, tenant.id, name="本店社群", kind="group", trigger="group_bound")
    their_chat = GroupChat(tenant_id=other_tenant.id, account_id=churn_account.id, chat_id="wrTheirs", name="别家群")
    db.add(their_chat)
    db.commit()
    assert operator.post(f"{BASE}/{mine}/groups", data={"group_ids": [str(their_chat.id)]}).status_code == 303
    db.expire_all()
    assert db.execute(select(SopBinding)).first() is None
    assert [r.status for r in rules(db, other_tenant.id)] == ["on", "on"]


def test_writes_need_the_csrf_token(app, db, tenant, churn_account, operator):
    lisi = employee(db, tenant.id, "lisi")
    app.config["WTF_CSRF_ENABLED"] = True
    try:
        assert operator.post(f"{BASE}/new", data=rule_form(lisi.id)).status_code == 400
        assert rules(db, tenant.id) == []
        token = re.search(r'name="csrf-token" content="([^"]+)"', operator.get(f"{BASE}/new").text).group(1)
        assert operator.post(f"{BASE}/new", data={**rule_form(lisi.id), "csrf_token": token}).status_code == 302
        [rule] = rules(db, tenant.id)
        assert operator.post(f"{BASE}/{rule.id}/status", data={"action": "pause"}).status_code == 400
        assert operator.post(f"{BASE}/{rule.id}/status", data={"action": "pause", "csrf_token": token}
                             ).status_code == 302
        assert rules(db, tenant.id)[0].status == "paused"
    finally:
        app.config["WTF_CSRF_ENABLED"] = False


def test_the_pages_are_404_while_the_plugin_is_disabled(db, tenant, make_user, login):
    client = login(make_user("op2@acme.test", tenant, role="operator"))
    for path in (f"{BASE}/", f"{BASE}/stats", f"{BASE}/tasks"):
        assert client.get(path).status_code == 404


def test_nodes_are_added_and_removed_on_the_form_without_saving(db, tenant, churn_account, operator):
    lisi = employee(db, tenant.id, "lisi")
    added = operator.post(f"{BASE}/new", data={**rule_form(lisi.id), "add_node": "1"})
    assert added.status_code == 200 and 'name="node-2-title"' in added.get_data(as_text=True)
    removed = operator.post(f"{BASE}/new", data={**rule_form(lisi.id), "remove_node": "0"}).get_data(as_text=True)
    assert 'name="node-1-title"' not in removed and "第3天回访" in removed and "专属顾问" not in removed
    assert rules(db, tenant.id) == []


def test_a_node_sends_materials_of_the_library_shown_on_the_task_page(app, db, tenant, churn_account, operator,
                                                                       make_user, login):
    from scrm_wecom.materials.models import ContentGroup, Material

    lisi = employee(db, tenant.id, "lisi")
    group = ContentGroup(tenant_id=tenant.id, library="material", scope="enterprise", name="默认分组")
    db.add(group)
    db.flush()
    poster, gone = (Material(tenant_id=tenant.id, group_id=group.id, scope="enterprise", kind="link", title=title,
                             token=f"sop-poster-token-000{i}", deleted_at=deleted)
                    for i, (title, deleted) in enumerate((("冬季新品海报", None), ("旧海报", utcnow()))))
    db.add_all([poster, gone])
    db.commit()
    form = rule_form(lisi.id, **{"node-0-materials": [str(poster.id)]})
    for bad in (str(gone.id), "999999"):
        refused = operator.post(f"{BASE}/new", data={**form, "node-1-materials": [bad]})
        assert refused.status_code == 422
        assert "Choose materials of this brand&#39;s material library." in refused.get_data(as_text=True)
    assert rules(db, tenant.id) == []
    assert operator.post(f"{BASE}/new", data=form).status_code == 302
    [rule] = rules(db, tenant.id)
    node = db.execute(select(SopNode).where(SopNode.rule_id == rule.id, SopNode.position == 0)).scalar_one()
    assert node.attachments == [{"material_id": poster.id}]
    bob = customer_of(db, tenant.id, "wmBob")
    in_writer(db, lambda s: plan(s, s.get(SopRule, rule.id), [(bob.id, None, lisi.id)], utcnow(), "m"))
    make_due(db, tenant.id)
    deliver(db, tenant.id)
    first = next(t for t in tasks(db, tenant.id) if t.node_id == node.id)
    client = login(make_user("lisi2@acme.test", tenant, role="employee", employee_id=lisi.id))
    page = client.get(f"{BASE}/tasks/{first.id}").get_data(as_text=True)
    assert "冬季新品海报" in page and f"/wecom/mp/{poster.token}" in page


def test_a_scene_template_prefills_the_new_rule_form(db, tenant, churn_account, operator):
    from scrm_wecom.sop.templates import TEMPLATES

    listing = operator.get(f"{BASE}/?kind=customer").get_data(as_text=True)
    assert all(f'data-template="{t.key}"' in listing for t in TEMPLATES) and len(TEMPLATES) == 4
    assert 'data-template="care"' not in operator.get(f"{BASE}/?kind=group").get_data(as_text=True)
    form = operator.get(f"{BASE}/new?kind=customer&template=care").get_data(as_text=True)
    assert 'value="Customer care"' in form and '<option value="date_field" selected>' in form
    assert "Happy birthday, {customer}!" in form
    operator.get("/lang/zh_CN")
    chinese = operator.get(f"{BASE}/new?kind=customer&template=nurture").get_data(as_text=True)
    assert 'value="潜在客户培育"' in chinese
    assert operator.get(f"{BASE}/new?kind=customer&template=nothing").status_code == 200
    assert rules(db, tenant.id) == []
