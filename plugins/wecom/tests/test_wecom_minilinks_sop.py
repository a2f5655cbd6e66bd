"""Mini program links in SOP push content (spec 2.6.2): the rule form accepts an inserted link; the delivered to-do
card (WeCom message/send) and the employee's task page carry it unchanged; a malformed one is refused with the
node's message and nothing saved."""

from __future__ import annotations

import pytest
from scrm_wecom.sop.models import SopRule
from scrm_wecom.sop.planning import plan
from sqlalchemy import select
from wecom_churn_fixtures import *  # noqa: F403
from wecom_churn_fixtures import app_messages, employee, to
from wecom_foundation_fixtures import *  # noqa: F403
from wecom_sop_fixtures import PUBLIC, deliver, in_writer, make_due, tasks
from wecom_sync_fixtures import *  # noqa: F403
from wecom_sync_fixtures import customer_of

from scrm.sdk import utcnow

BASE = "/t/acme/wecom/sop"
LINK = "#小程序://零售小商铺/首页/Ab12Cd34"


@pytest.fixture(autouse=True)
def public_url(monkeypatch):
    monkeypatch.setenv("SCRM_PUBLIC_URL", PUBLIC)


@pytest.fixture
def operator(churn_account, make_user, login, tenant):
    return login(make_user("ops@acme.test", tenant, role="operator"))


def rule_form(lisi_id: int, content: str) -> dict:
    return {"kind": "customer", "name": "新客培育", "trigger": "friend_added", "employee_ids": [str(lisi_id)],
            "node_count": "1", "node-0-day": "0", "node-0-hour": "0", "node-0-minute": "5",
            "node-0-title": "欢迎 {customer}", "node-0-content": content}


def rules(db, tenant_id: int) -> list[SopRule]:
    db.commit()
    db.expire_all()
    return list(db.execute(select(SopRule).where(SopRule.tenant_id == tenant_id)).scalars())


def test_the_link_reaches_the_card_and_the_task_page(app, db, tenant, churn_account, operator, sandbox, worker,
                                                     make_user, login):
    lisi = employee(db, tenant.id, "lisi")
    content = f"{{customer}}您好，新人券在这里 {LINK}"
    assert operator.post(f"{BASE}/new", data=rule_form(lisi.id, content)).status_code == 302
    [rule] = rules(db, tenant.id)
    bob = customer_of(db, tenant.id, "wmBob")
    in_writer(db, lambda s: plan(s, s.get(SopRule, rule.id), [(bob.id, None, lisi.id)], utcnow(), "t"))
    make_due(db, tenant.id)
    deliver(db, tenant.id)
    worker.join()
    [card] = to(app_messages(sandbox[1]), "lisi")
    assert card["textcard"]["description"] == f"Bob您好，新人券在这里 {LINK}"
    [task] = tasks(db, tenant.id)
    client = login(make_user("lisi@acme.test", tenant, role="employee", employee_id=lisi.id))
    assert f"Bob您好，新人券在这里 {LINK}" in client.get(f"{BASE}/tasks/{task.id}").get_data(as_text=True)


def test_a_malformed_link_is_refused_with_the_nodes_message(db, tenant, churn_account, operator):
    lisi = employee(db, tenant.id, "lisi")
    response = operator.post(f"{BASE}/new", data=rule_form(lisi.id, "新人券 #小程序://零售小商铺/首页/A"))
    body = response.get_data(as_text=True)
    assert response.status_code == 422 and 'data-testid="error-node-0-content"' in body
    assert "#小程序://零售小商铺/首页/A" in body
    assert rules(db, tenant.id) == []
