"""The SOP quick reply in the employee chat sidebar (spec §2.6.1, §4.6 rule 2, check 23): a rule "no communication for
3 days" for Li Si; his customer silent for 3 days gets him a text card and, in the chat with that customer, the
push content in the sidebar; one tap sends it (text and tracked materials) and finishes the to-do; Zhang San, outside
the rule, sees nothing; the chat must be the to-do's customer; another employee's or tenant's to-do is not reachable."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from scrm_wecom.materials.models import MaterialSend
from scrm_wecom.sop.jobs import evaluate_once
from scrm_wecom.sop.models import SopRule, SopTask
from scrm_wecom.sync.models import Follow
from sqlmodel import Session, select
from wecom_materials_fixtures import *  # noqa: F403
from wecom_materials_fixtures import CORP_ID, fresh, make_material, sidebar_sign_in
from wecom_sop_fixtures import PUBLIC, make_rule, node

from scrm.core.db import writer
from scrm.sdk import Customer, Tenant, utcnow

SIDEBAR = "/p/acme/wecom/sidebar/sop/"


@pytest.fixture(autouse=True)
def public_url(monkeypatch):
    monkeypatch.setenv("SCRM_PUBLIC_URL", PUBLIC)


def friend(db, world, name: str, external_userid: str, userid: str, days_ago: float) -> Customer:
    employee = world.employees[userid]
    customer = Customer(tenant_id=world.tenant.id, name=name, source="wecom", attributes={},
                        owner_employee_id=employee.id)
    db.add(customer)
    db.flush()
    db.add(Follow(tenant_id=world.tenant.id, account_id=world.account.id, customer_id=customer.id,
                  employee_id=employee.id, userid=userid, external_userid=external_userid,
                  added_at=utcnow() - timedelta(days=days_ago)))
    db.commit()
    return customer


def quiet_world(app, db, world, materials=()):
    """Li Si executes "3 days without communication"; Bob (his) and Carol (Zhang San's) are silent for 4 days,
    Dora (his) became a friend yesterday. The hourly evaluation has run."""
    lisi = world.employees["lisi"]
    rule = make_rule(app, db, world.tenant.id, name="3天未沟通", trigger="no_communication", quiet_days="3",
                     employees=[lisi.id], nodes=[node(title="联系 {customer}", content="{customer}您好，本周到店有礼")])
    if materials:
        def attach(session):
            from scrm_wecom.sop.models import SopNode

            row = session.exec(select(SopNode).where(SopNode.rule_id == rule)).one()
            row.attachments = [{"material_id": m.id} for m in materials]
            session.add(row)
        with Session(writer(db.get_bind())) as session:
            attach(session)
            session.commit()
    bob = friend(db, world, "Bob", "wmBob", "lisi", 4)
    carol = friend(db, world, "Carol", "wmCarol", "zhangsan", 4)
    dora = friend(db, world, "Dora", "wmDora", "lisi", 1)
    db.commit()
    with Session(writer(db.get_bind())) as session:
        evaluate_once(session, world.tenant.id)
    fresh(db)
    return rule, bob, carol, dora


def open_tasks(db):
    fresh(db)
    return db.exec(select(SopTask).order_by(SopTask.id)).all()


def test_the_silent_customers_employee_gets_the_card_and_the_quick_reply_in_the_chat(app, db, world, worker):
    rule, bob, carol, dora = quiet_world(app, db, world)
    [task] = open_tasks(db)
    assert (task.customer_id, task.employee_id, task.status) == (bob.id, world.employees["lisi"].id, "reminded")
    worker.join()
    [card] = world.sandbox.corp(CORP_ID)["app_messages"]
    assert card["touser"] == "lisi" and card["textcard"]["description"] == "Bob您好，本周到店有礼"

    lisi = sidebar_sign_in(app.test_client(), world, "lisi")
    shown = lisi.get(SIDEBAR, query_string={"external_userid": "wmBob"}).get_data(as_text=True)
    assert "Bob您好，本周到店有礼" in shown and f'data-sop-task="{task.id}"' in shown
    assert "data-sop-task" not in lisi.get(SIDEBAR, query_string={"external_userid": "wmDora"}).get_data(as_text=True)
    assert lisi.get(SIDEBAR).get_data(as_text=True).strip() == ""  # no chat, no customer
    zhang = sidebar_sign_in(app.test_client(), world, "zhangsan")  # outside the rule: nothing for Carol
    assert "data-sop-task" not in zhang.get(SIDEBAR, query_string={"external_userid": "wmCarol"}).get_data(
        as_text=True)
    page = lisi.get("/p/acme/wecom/sidebar/", query_string={"external_userid": "wmBob"}).get_data(as_text=True)
    assert 'data-testid="sop-replies"' in page and SIDEBAR in page

    answer = lisi.post(f"{SIDEBAR}{task.id}/send", data={"external_userid": "wmBob"})
    assert answer.status_code == 200
    assert answer.json["messages"] == [{"msgtype": "text", "text": {"content": "Bob您好，本周到店有礼"}}]
    [task] = open_tasks(db)
    assert (task.status, task.sent_by) == ("done", "sidebar") and task.sent_at and task.done_at
    assert "data-sop-task" not in lisi.get(SIDEBAR, query_string={"external_userid": "wmBob"}).get_data(as_text=True)
    assert lisi.post(f"{SIDEBAR}{task.id}/send", data={"external_userid": "wmBob"}).status_code == 404  # done
    with Session(writer(db.get_bind())) as session:  # the send is communication: Bob is not silent any more
        assert evaluate_once(session, world.tenant.id).tasks == 0
    assert len(open_tasks(db)) == 1


def test_a_send_brings_the_nodes_materials_as_tracked_links(app, db, world, worker):
    poster = make_material(db, world.tenant, "link", title="到店礼")
    rule, bob, _carol, _dora = quiet_world(app, db, world, materials=[poster])
    [task] = open_tasks(db)
    lisi = sidebar_sign_in(app.test_client(), world, "lisi")
    assert "到店礼" in lisi.get(SIDEBAR, query_string={"external_userid": "wmBob"}).get_data(as_text=True)
    messages = lisi.post(f"{SIDEBAR}{task.id}/send", data={"external_userid": "wmBob"}).json["messages"]
    assert [m["msgtype"] for m in messages] == ["text", "news"] and messages[1]["news"]["title"] == "到店礼"
    fresh(db)
    [send] = db.exec(select(MaterialSend)).all()
    assert (send.customer_id, send.employee_id) == (bob.id, world.employees["lisi"].id)


def test_done_finishes_the_to_do_without_sending(app, db, world, worker):
    quiet_world(app, db, world)
    [task] = open_tasks(db)
    lisi = sidebar_sign_in(app.test_client(), world, "lisi")
    answer = lisi.post(f"{SIDEBAR}{task.id}/done", data={"external_userid": "wmBob"})
    assert answer.status_code == 200 and answer.json == {"done": task.id}
    [task] = open_tasks(db)
    assert (task.status, task.sent_at, task.sent_by) == ("done", None, "")


def test_the_chat_must_be_the_to_dos_customer_and_the_to_do_the_employees(app, db, world, worker):
    quiet_world(app, db, world)
    [task] = open_tasks(db)
    lisi = sidebar_sign_in(app.test_client(), world, "lisi")
    for chat in ("wmDora", "", "wmNobody"):
        answer = lisi.post(f"{SIDEBAR}{task.id}/send", data={"external_userid": chat})
        assert answer.status_code == 409 and "其他客户" in answer.json["error"]  # zh_CN: the default language
    zhang = sidebar_sign_in(app.test_client(), world, "zhangsan")
    assert zhang.post(f"{SIDEBAR}{task.id}/send", data={"external_userid": "wmBob"}).status_code == 404
    assert zhang.post(f"{SIDEBAR}{task.id}/done", data={"external_userid": "wmBob"}).status_code == 404
    assert "data-sop-task" not in zhang.get(SIDEBAR, query_string={"external_userid": "wmBob"}).get_data(
        as_text=True)
    assert [t.status for t in open_tasks(db)] == ["reminded"]


def test_a_paused_rules_delivered_to_do_stays_and_a_pending_one_is_not_shown(app, db, world, worker):
    from scrm_wecom.sop import rules as service

    rule, bob, _carol, _dora = quiet_world(app, db, world)
    with app.test_request_context(), Session(writer(db.get_bind())) as session:
        service.set_status(session, session.get(SopRule, rule), "pause")
        session.commit()
    lisi = sidebar_sign_in(app.test_client(), world, "lisi")
    assert "Bob您好" in lisi.get(SIDEBAR, query_string={"external_userid": "wmBob"}).get_data(as_text=True)
    with Session(writer(db.get_bind())) as session:  # a to-do not delivered yet is not a quick reply yet
        task = session.exec(select(SopTask)).one()
        task.status = "pending"
        session.add(task)
        session.commit()
    assert "Bob您好" not in lisi.get(SIDEBAR, query_string={"external_userid": "wmBob"}).get_data(as_text=True)


def test_sends_need_the_csrf_token_and_a_signed_in_employee(app, db, world, worker):
    quiet_world(app, db, world)
    [task] = open_tasks(db)
    assert app.test_client().get(SIDEBAR, query_string={"external_userid": "wmBob"}).status_code == 403
    assert app.test_client().post(f"{SIDEBAR}{task.id}/send", data={"external_userid": "wmBob"}).status_code == 403
    lisi = sidebar_sign_in(app.test_client(), world, "lisi")
    app.config["WTF_CSRF_ENABLED"] = True
    try:
        assert lisi.post(f"{SIDEBAR}{task.id}/send", data={"external_userid": "wmBob"}).status_code == 400
        page = lisi.get("/p/acme/wecom/sidebar/").get_data(as_text=True)
        token = re.search(r'data-csrf="([^"]+)"', page).group(1)
        assert lisi.post(f"{SIDEBAR}{task.id}/send", data={"external_userid": "wmBob"},
                         headers={"X-CSRFToken": token}).status_code == 200
    finally:
        app.config["WTF_CSRF_ENABLED"] = False


def test_another_tenants_sidebar_and_to_dos_are_out_of_reach(app, db, world, worker, enable_plugins):
    other = Tenant(slug="other", name="Other brand")
    db.add(other)
    db.commit()
    enable_plugins(other, "wecom")
    quiet_world(app, db, world)
    [task] = open_tasks(db)
    lisi = sidebar_sign_in(app.test_client(), world, "lisi")
    assert lisi.get("/p/other/wecom/sidebar/sop/", query_string={"external_userid": "wmBob"}).status_code == 403
    assert lisi.post(f"/p/other/wecom/sidebar/sop/{task.id}/send",
                     data={"external_userid": "wmBob"}).status_code == 403
    # a to-do id of this tenant moved under another tenant is not found through this tenant's sidebar
    with Session(writer(db.get_bind())) as session:
        row = session.get(SopTask, task.id)
        row.tenant_id = other.id
        session.add(row)
        session.commit()
    assert lisi.post(f"{SIDEBAR}{task.id}/send", data={"external_userid": "wmBob"}).status_code == 404
    assert "data-sop-task" not in lisi.get(SIDEBAR, query_string={"external_userid": "wmBob"}).get_data(as_text=True)


def test_the_quick_reply_is_404_while_the_plugin_is_disabled(app, db, world, worker):
    from scrm.core.plugins.enablement import disable_plugin

    quiet_world(app, db, world)
    [task] = open_tasks(db)
    lisi = sidebar_sign_in(app.test_client(), world, "lisi")
    disable_plugin(db, app.extensions["scrm"].registry, db.merge(world.tenant), "wecom")
    db.commit()
    assert lisi.get(SIDEBAR, query_string={"external_userid": "wmBob"}).status_code == 404
    assert lisi.post(f"{SIDEBAR}{task.id}/send", data={"external_userid": "wmBob"}).status_code == 404
    assert [t.status for t in open_tasks(db)] == ["reminded"]
