"""Acceptance walk of customer SOP (spec wecom-operations §3.6, §4.6 rules 2 and 5; acceptance 24): the detail page
offers Edit only while the rule is paused, Pause only while on, Enable only while paused, Delete only when not on, and
nothing but Delete once terminated; a rule reaches only the customers of its executing employees."""

from __future__ import annotations

import pytest
from scrm_wecom.sop.events import on_domain_event
from sqlalchemy import select
from wecom_churn_fixtures import *  # noqa: F403
from wecom_churn_fixtures import employee
from wecom_foundation_fixtures import *  # noqa: F403
from wecom_sop_fixtures import PUBLIC, in_writer, make_rule, tasks
from wecom_sync_fixtures import *  # noqa: F403
from wecom_sync_fixtures import customer_of

from scrm.sdk import DomainEvent, EventTypes, Tag, utcnow

BASE = "/t/acme/wecom/sop"
ACTIONS = ("sop-edit", "sop-pause", "sop-enable", "sop-terminate", "sop-delete")


@pytest.fixture(autouse=True)
def public_url(monkeypatch):
    monkeypatch.setenv("SCRM_PUBLIC_URL", PUBLIC)


@pytest.fixture
def operator(churn_account, make_user, login, tenant):
    return login(make_user("ops@acme.test", tenant, role="operator"))


def offered(operator, rule_id: int) -> set[str]:
    page = operator.get(f"{BASE}/{rule_id}").get_data(as_text=True)
    return {action for action in ACTIONS if f'data-testid="{action}"' in page}


def test_acceptance_24_edit_is_offered_only_while_paused_and_terminate_is_final(app, db, tenant, churn_account,
                                                                                 operator):
    lisi = employee(db, tenant.id, "lisi")
    rule_id = make_rule(app, db, tenant.id, employees=[lisi.id])
    assert offered(operator, rule_id) == {"sop-pause", "sop-terminate"}
    operator.post(f"{BASE}/{rule_id}/status", data={"action": "pause"})
    assert offered(operator, rule_id) == {"sop-edit", "sop-enable", "sop-terminate", "sop-delete"}
    operator.post(f"{BASE}/{rule_id}/status", data={"action": "terminate"})
    assert offered(operator, rule_id) == {"sop-delete"}


def test_4_6_rule_2_only_customers_of_the_executing_employees_get_a_to_do(app, db, tenant, churn_account):
    """lisi executes a "tag added" rule: Bob (lisi's friend) and Alice (zhangsan's and lisi's) get a to-do for
    lisi; Carol, a friend of zhangsan only, gets none."""
    lisi = employee(db, tenant.id, "lisi")
    tag_id = db.execute(select(Tag.id).where(Tag.tenant_id == tenant.id)).scalars().first()
    make_rule(app, db, tenant.id, trigger="tag_added", employees=[lisi.id], tag_id=str(tag_id))
    people = {ext: customer_of(db, tenant.id, ext).id for ext in ("wmAlice", "wmBob", "wmCarol")}
    event = DomainEvent("ev-scope", EventTypes.TAGS_CHANGED, tenant.id,
                        {"customer_ids": sorted(people.values()), "added_tag_ids": [tag_id]}, utcnow())
    in_writer(db, lambda session: on_domain_event(event, session))
    planned = {t.customer_id: t.employee_id for t in tasks(db, tenant.id)}
    assert planned == {people["wmAlice"]: lisi.id, people["wmBob"]: lisi.id}
