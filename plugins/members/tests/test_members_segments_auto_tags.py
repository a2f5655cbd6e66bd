# ruff: noqa: F811  (pytest fixtures imported from the area helper module are redefined as test arguments)
"""Automatic tags (spec B §3.9, §4.7, J9, acceptance 27): "Estimate" counts the rule's customers, the evaluator job
tags exactly them and untags those who stop matching, the recurring schedules exist, and another tenant's customers
are never touched."""

from __future__ import annotations

from members_segments_fixtures import (  # noqa: F401
    add_category,
    add_customer,
    add_tag,
    carriers,
    committed,
    members_tenant,
    staff,
)
from scrm_members.segments.jobs import evaluate_auto_tag, evaluate_auto_tags, schedule_keys
from scrm_members.segments.models import TagMeta
from sqlmodel import select

from scrm.core.models import Customer, ScheduledJob, Tag

WECHAT_RULE = {"c": ["0"], "c0_type": "source", "c0_text": "wechat"}


def test_estimate_shows_the_matching_count_and_rejects_an_empty_rule(client, staff, members_tenant, add_customer):
    for name in ("Amy", "Bea", "Cai"):
        add_customer(members_tenant, name, source="wechat")
    add_customer(members_tenant, "Dan", source="import")
    response = client.post("/t/acme/members/conditions/estimate", data=WECHAT_RULE)
    assert response.status_code == 200
    assert "Estimated: 3 customers" in response.get_data(as_text=True)
    assert client.post("/t/acme/members/conditions/estimate", data={"c": ["0"]}).status_code == 422
    row = client.get("/t/acme/members/conditions/row?i=1&c1_type=source").get_data(as_text=True)
    assert 'name="c1_values"' in row and "wechat" in row


def test_the_evaluator_tags_exactly_the_matching_customers(client, staff, members_tenant, other_tenant,
                                                           add_category, add_customer, worker, db):
    women = {add_customer(members_tenant, n, gender=2, source="wechat").id for n in ("Amy", "Bea")}
    add_customer(members_tenant, "Dan", gender=1, source="import")
    outsider = add_customer(other_tenant, "Gina", source="wechat")
    group = add_category(members_tenant, "Rules", source="auto")
    bad = client.post("/t/acme/members/tags/auto/new", data={"category_id": group.id, "name": "WeChat"})
    assert bad.status_code == 422 and 'data-testid="rule-error"' in bad.get_data(as_text=True)
    response = client.post("/t/acme/members/tags/auto/new", data={"category_id": group.id, "name": "WeChat", **WECHAT_RULE})
    assert response.status_code == 302
    worker.join()
    tag = committed(db, select(Tag).where(Tag.name == "WeChat"))[0]
    assert carriers(db, tag.id) == women
    page = client.get("/t/acme/members/tags/?tab=auto").get_data(as_text=True)
    assert '<td data-testid="tagged-people">2</td>' in page
    late = add_customer(members_tenant, "Eve", source="wechat")
    leaver = next(iter(women))
    customer = db.get(Customer, leaver)
    customer.source = "import"
    db.add(customer)
    db.commit()
    evaluate_auto_tag.send(members_tenant.id, tag_id=tag.id)
    worker.join()
    assert carriers(db, tag.id) == (women - {leaver}) | {late.id}
    assert outsider.id not in carriers(db, tag.id)


def test_the_recurring_run_evaluates_every_auto_tag_of_the_tenant_only(members_tenant, other_tenant, add_category,
                                                                       add_tag, add_customer, db):
    anna = add_customer(members_tenant, "Anna", source="wechat")
    gina = add_customer(other_tenant, "Gina", source="wechat")
    ours = add_tag(add_category(members_tenant, "Auto A", source="auto"), "Ours")
    theirs = add_tag(add_category(other_tenant, "Auto G", source="auto"), "Theirs")
    rule = {"conditions": [{"type": "source", "values": ["wechat"]}]}
    db.add(TagMeta(tenant_id=members_tenant.id, tag_id=ours.id, rule=rule))
    db.add(TagMeta(tenant_id=other_tenant.id, tag_id=theirs.id, rule=rule))
    db.commit()
    evaluate_auto_tags(members_tenant.id)
    assert carriers(db, ours.id) == {anna.id}
    assert carriers(db, theirs.id) == set()
    evaluate_auto_tag(members_tenant.id, tag_id=theirs.id)  # another tenant's tag id: nothing happens
    assert carriers(db, theirs.id) == set()
    assert gina.id not in carriers(db, ours.id)


def test_enabling_creates_the_durable_recurring_schedules(members_tenant, db):
    keys = set(schedule_keys(members_tenant.id))
    jobs = committed(db, select(ScheduledJob).where(ScheduledJob.key.in_(keys)))
    assert {j.key for j in jobs} == keys
    assert all(j.interval_seconds and j.tenant_id == members_tenant.id for j in jobs)


def test_the_gender_female_auto_tag_of_acceptance_27(client, staff, members_tenant, other_tenant, add_category,
                                                     add_customer, worker, db):
    """Acceptance 27: rule "gender = female": "计算" shows the matching count; after the evaluator ran exactly those
    customers carry the tag and "标记人数" equals that count."""
    women = {add_customer(members_tenant, n, gender=2).id for n in ("Amy", "Bea", "Cai")}
    add_customer(members_tenant, "Dan", gender=1)
    add_customer(members_tenant, "Eli", gender=0)
    add_customer(other_tenant, "Gina", gender=2)
    rule = {"c": ["0"], "c0_type": "gender", "c0_values": ["2"]}
    estimate = client.post("/t/acme/members/conditions/estimate", data=rule).get_data(as_text=True)
    assert "Estimated: 3 customers" in estimate
    group = add_category(members_tenant, "Rules", source="auto")
    response = client.post("/t/acme/members/tags/auto/new", data={"category_id": group.id, "name": "女性", **rule})
    assert response.status_code == 302
    worker.join()
    tag = committed(db, select(Tag).where(Tag.name == "女性"))[0]
    assert carriers(db, tag.id) == women
    page = client.get("/t/acme/members/tags/?tab=auto").get_data(as_text=True)
    assert '<td data-testid="tagged-people">3</td>' in page
