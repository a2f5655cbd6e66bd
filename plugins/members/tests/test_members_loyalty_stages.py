# ruff: noqa: F811  (pytest fixtures imported from the area helper module are redefined as test arguments)
"""Lifecycle stages (spec B §2.14, §3.10, §4.8, §5, J11; acceptance 29): the seeded ladder, stage settings with
their bad input, automation by rule with the highest ordinal winning, history, timeline and domain event, the board's
"N in this stage", "new" and "flow", "Refresh data" through the job bus, and tenant isolation."""

from __future__ import annotations

from members_loyalty_fixtures import (  # noqa: F401
    admin,
    customer,
    loyalty_tenant,
    order,
)
from scrm_members.loyalty import stages
from scrm_members.loyalty.models import Stage, StageMembership
from sqlmodel import select

from scrm.core.models import CustomerEvent, Outbox

FIRST_ORDER = {"conditions": [{"type": "purchase_count", "values": [{"min": 1, "max": 1}]}]}


def ladder(db, tenant) -> list[Stage]:
    db.commit()
    return stages.tenant_stages(db, tenant.id)


def automate(db, stage: Stage, rule: dict) -> None:
    stage.automation_enabled, stage.entry_rule = True, rule
    db.add(stage)
    db.commit()


def evaluate(db, tenant) -> list:
    changes = stages.pending_changes(db, tenant.id, stages.tenant_filter_types(db, tenant))
    stages.apply_changes(db, tenant.id, changes)
    db.commit()
    return changes


def current(db, customer_id: int) -> int | None:
    db.commit()
    return db.exec(select(StageMembership.stage_id).where(StageMembership.customer_id == customer_id,
                                                          StageMembership.left_at.is_(None))).first()


def test_enabling_seeds_the_sample_ladder_once(db, loyalty_tenant, enable_plugins):
    names = [s.name for s in ladder(db, loyalty_tenant)]
    assert names == ["初步接触", "意向客户", "首单客户", "忠诚客户", "超级客户"]
    assert not any(s.automation_enabled for s in ladder(db, loyalty_tenant))
    enable_plugins(loyalty_tenant, "members")
    assert len(ladder(db, loyalty_tenant)) == 5


def test_the_sample_ladder_follows_the_tenants_language(db, make_tenant, enable_plugins):
    """Seeded data is written in the tenant's language of seeded data: Chinese by default (the manual's names), English
    for a tenant set to English."""
    from scrm.sdk import Tenant

    english = make_tenant("english", "English Brand")
    row = db.get(Tenant, english.id)
    row.language = "en"
    db.add(row)
    db.commit()
    enable_plugins(row, "members")
    seeded = ladder(db, row)
    assert [s.name for s in seeded] == ["Initial contact", "Intending", "First order", "Loyal", "Super customer"]
    assert seeded[0].description == "Customers in first contact with the brand."
    chinese = make_tenant("chinese", "中文品牌")
    enable_plugins(chinese, "members")
    seeded = ladder(db, chinese)
    assert [s.description for s in seeded][:2] == ["与品牌初步建立联系的客户", "有购买意向的客户"]
    assert seeded[0].plan_description.startswith("1. 注册有礼")


def test_a_customer_with_one_order_enters_first_order(db, loyalty_tenant, customer, order, app):
    """Acceptance 29: the count and "New" of First order grow, "Flow" of the previous stage grows."""
    contact, _intending, first, *_ = ladder(db, loyalty_tenant)
    ann = customer(loyalty_tenant, "Ann")
    stages.set_stage(db, loyalty_tenant.id, ann.id, contact.id)
    db.commit()
    automate(db, first, FIRST_ORDER)
    order(ann, 30)
    with app.app_context():
        moved = evaluate(db, loyalty_tenant)
    assert [(c.customer_id, c.from_stage_id, c.to_stage_id) for c in moved] == [(ann.id, contact.id, first.id)]
    board = stages.board(db, loyalty_tenant.id)
    assert (board[first.id].members, board[first.id].new) == (1, 1)
    assert (board[contact.id].members, board[contact.id].flow) == (0, 1)
    history = db.exec(select(StageMembership).where(StageMembership.customer_id == ann.id)
                      .order_by(StageMembership.id)).all()
    assert [(h.stage_id, h.left_at is None) for h in history] == [(contact.id, False), (first.id, True)]
    event = db.exec(select(CustomerEvent).where(CustomerEvent.customer_id == ann.id,
                                                CustomerEvent.kind == "stage_changed")).all()[-1]
    assert event.summary == "Stage: 初步接触 → 首单客户"
    published = db.exec(select(Outbox).where(Outbox.type == "members.stage_changed")
                        .order_by(Outbox.id)).all()[-1]  # the newest (PostgreSQL returns rows in any order)
    assert published.payload["to_stage_id"] == first.id and published.payload["customer_id"] == ann.id
    with app.app_context():
        assert evaluate(db, loyalty_tenant) == []  # nothing changes twice


def test_the_highest_ordinal_wins_and_stages_are_sticky(db, loyalty_tenant, customer, order, app):
    _c, _i, first, loyal, _s = ladder(db, loyalty_tenant)
    automate(db, first, {"conditions": [{"type": "purchase_count", "values": [{"min": 1}]}]})
    automate(db, loyal, {"conditions": [{"type": "purchase_count", "values": [{"min": 2}]}]})
    ann, bob = customer(loyalty_tenant, "Ann"), customer(loyalty_tenant, "Bob")
    order(ann, 10)
    order(ann, 10)
    order(bob, 10)
    with app.app_context():
        evaluate(db, loyalty_tenant)
    assert (current(db, ann.id), current(db, bob.id)) == (loyal.id, first.id)
    automate(db, first, {"conditions": [{"type": "purchase_count", "values": [{"min": 5}]}]})
    with app.app_context():
        evaluate(db, loyalty_tenant)
    assert current(db, bob.id) == first.id  # matches no rule any more: stays


def test_evaluation_never_touches_another_tenant(db, loyalty_tenant, other_tenant, customer, order, app):
    first = ladder(db, loyalty_tenant)[2]
    automate(db, first, FIRST_ORDER)
    theirs = customer(other_tenant, "Bob")
    order(theirs, 10)
    with app.app_context():
        assert evaluate(db, loyalty_tenant) == []
    assert current(db, theirs.id) is None


def test_refresh_data_runs_the_evaluation_job(client, admin, loyalty_tenant, customer, order, worker, db):
    first = ladder(db, loyalty_tenant)[2]
    automate(db, first, FIRST_ORDER)
    ann = customer(loyalty_tenant, "Ann")
    order(ann, 10)
    assert client.post("/t/acme/members/stages/refresh").status_code == 302
    worker.join()
    assert current(db, ann.id) == first.id
    board = client.get("/t/acme/members/stages/").get_data(as_text=True)
    assert "1 in this stage" in board and "New: 1" in board
    detail = client.get(f"/t/acme/members/stages/{first.id}").get_data(as_text=True)
    assert 'data-testid="stage-member"' in detail and "Ann" in detail


def test_stage_settings_save_rules_and_refuse_bad_input(client, admin, loyalty_tenant, db):
    first = ladder(db, loyalty_tenant)[2]
    url = f"/t/acme/members/stages/{first.id}/edit"
    assert client.get(url).status_code == 200
    form = {"name": "首单客户", "ordinal": "3", "automation_enabled": "1", "c": "0",
            "c0_type": "purchase_count", "c0_min": "1", "c0_max": "1", "follow_up_enabled": "1",
            "follow_up_employee": "1", "r_condition": ["stay_time"], "r_days": ["3"], "r_time": ["10:00:00"],
            "change_employee": "1", "change_employee_mode": "realtime", "change_employee_delay": "0"}
    assert client.post(url, data=form).status_code == 302
    db.commit()
    db.refresh(first)
    assert first.automation_enabled and first.entry_rule["conditions"][0]["values"] == [{"min": 1, "max": 1}]
    for bad, testid in (({"name": ""}, "name-error"), ({"name": "忠诚客户"}, "name-error"),
                        ({"ordinal": "9"}, "ordinal-error"), ({"ordinal": "4"}, "ordinal-error"),
                        ({"c0_type": ""}, "rule-error"), ({"r_time": ["25:00"]}, "follow-up-error"),
                        ({"change_employee_delay": "-5"}, "change-error")):
        response = client.post(url, data={**form, **bad})
        assert response.status_code == 422, bad
        assert f'data-testid="{testid}"' in response.get_data(as_text=True), bad
    db.commit()
    db.refresh(first)
    assert first.name == "首单客户" and first.ordinal == 3


def test_at_most_eight_stages(client, admin, loyalty_tenant, db):
    """Up to eight stages are created through the form, each at a free position; a ninth is refused by the limit
    itself. Positions run from 1 to 8, so a ninth has no free position: the test asserts the limit's own message,
    not just a 422 that the position check would give anyway."""
    taken = {s.ordinal for s in ladder(db, loyalty_tenant)}
    for position in sorted(set(range(1, 9)) - taken):
        response = client.post("/t/acme/members/stages/new", data={"name": f"Stage {position}",
                                                                   "ordinal": str(position)})
        assert response.status_code == 302, response.get_data(as_text=True)[:2000]
    assert [s.ordinal for s in ladder(db, loyalty_tenant)] == [1, 2, 3, 4, 5, 6, 7, 8]
    for position in ("9", "8"):
        response = client.post("/t/acme/members/stages/new", data={"name": "Ninth", "ordinal": position})
        assert response.status_code == 422
        html = response.get_data(as_text=True)
        assert 'data-testid="name-error">A tenant has at most 8 stages.' in html, position
    assert len(ladder(db, loyalty_tenant)) == 8


def test_stage_pages_of_another_tenant_are_not_found(client, admin, other_tenant, db):
    theirs = ladder(db, other_tenant)[0]
    assert client.get(f"/t/acme/members/stages/{theirs.id}").status_code == 404
    assert client.get(f"/t/acme/members/stages/{theirs.id}/edit").status_code == 404
    assert client.post(f"/t/acme/members/stages/{theirs.id}/delete").status_code == 404
    theirs.name = "Globex only stage"
    db.add(theirs)
    db.commit()
    assert "Globex only stage" not in client.get("/t/acme/members/stages/").get_data(as_text=True)
