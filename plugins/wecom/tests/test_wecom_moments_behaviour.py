"""Customer behaviour rules on the Moments pages (spec §2.1.2, §4.1 rule 11, acceptance 8): WeCom's web OAuth names
the customer who opens an employee's page (the state bound to the session, the code used once); when their opens
reach a rule's count the score and tags are given once and the timeline shows it; several rules fire together."""

from __future__ import annotations

import re

import httpx
from scrm_wecom.moments import behaviour
from scrm_wecom.moments.models import MomentsOpen, MomentsPage, MomentsRule, MomentsRuleHit
from sqlalchemy import func, select
from wecom_foundation_fixtures import *  # noqa: F403
from wecom_moments_fixtures import *  # noqa: F403
from wecom_moments_fixtures import BASE, tag_id
from wecom_sync_fixtures import *  # noqa: F403
from wecom_sync_fixtures import customer_of, employee

from scrm.sdk import CustomerEvent, CustomerTag

SETTINGS = f"{BASE}/settings"


def _token(db, admin, tenant_id: int, userid: str) -> str:
    admin.get(f"{BASE}/employees")
    zhang = employee(db, tenant_id, userid)
    db.commit()
    return db.execute(select(MomentsPage.token).where(MomentsPage.employee_id == zhang.id)).scalar_one()


def _rule(admin, db, tenant_id: int, threshold, score="", tags=()):
    return admin.post(f"{SETTINGS}/rules", data={"threshold": str(threshold), "score": str(score),
                                                 "tag_ids": [str(tag_id(db, tenant_id, t)) for t in tags]})


def _visit(app, token: str, visitor: str | None):
    """A customer opens the page in WeChat: WeCom's authorize page names them (sandbox ``visitor``)."""
    client = app.test_client()
    first = client.get(f"/p/acme/wecom/moments/{token}")
    assert first.status_code == 302 and "/connect/oauth2/authorize?" in first.headers["Location"]
    assert "scope=snsapi_base" in first.headers["Location"]
    url = first.headers["Location"].split("#")[0] + (f"&visitor={visitor}" if visitor else "&userid=zhangsan")
    back = httpx.get(url, follow_redirects=False, timeout=10).headers["location"].replace("http://localhost", "")
    landed = client.get(back)
    assert landed.status_code == 302 and landed.headers["Location"].endswith(f"/p/acme/wecom/moments/{token}")
    page = client.get(f"/p/acme/wecom/moments/{token}")
    assert page.status_code == 200
    return client


def _opens(db, customer_id: int) -> int:
    db.commit()
    return db.execute(select(func.count()).select_from(MomentsOpen)
                      .where(MomentsOpen.customer_id == customer_id)).scalar_one()


def _tags(db, customer_id: int) -> set[int]:
    db.commit()
    return set(db.execute(select(CustomerTag.tag_id).where(CustomerTag.customer_id == customer_id)).scalars())


def _events(db, customer_id: int) -> list[CustomerEvent]:
    db.commit()
    db.expire_all()
    return list(db.execute(select(CustomerEvent).where(CustomerEvent.customer_id == customer_id,
                                                       CustomerEvent.kind == "moments_rule")).scalars())


def test_third_open_gives_ten_points_and_tag_a_and_two_rules_both_fire(db, app, admin, synced):
    tid = synced.tenant_id
    assert _rule(admin, db, tid, 3, 10, ["Gold"]).status_code == 302
    assert _rule(admin, db, tid, 5, 20, ["Mall"]).status_code == 302
    token = _token(db, admin, tid, "zhangsan")
    bob = customer_of(db, tid, "wmBob")
    gold, mall = tag_id(db, tid, "Gold"), tag_id(db, tid, "Mall")
    client = _visit(app, token, "wmBob")  # open 1
    client.get(f"/p/acme/wecom/moments/{token}")  # open 2
    assert _opens(db, bob.id) == 2
    assert behaviour.score_of(db, tid, bob.id) == 0 and gold not in _tags(db, bob.id) and _events(db, bob.id) == []
    client.get(f"/p/acme/wecom/moments/{token}")  # open 3: the first rule
    assert behaviour.score_of(db, tid, bob.id) == 10 and gold in _tags(db, bob.id) and mall not in _tags(db, bob.id)
    [event] = _events(db, bob.id)
    assert event.data["opens"] == 3 and event.data["score"] == 10 and event.data["tags"] == ["Gold"]
    client.get(f"/p/acme/wecom/moments/{token}")
    assert behaviour.score_of(db, tid, bob.id) == 10  # a rule fires once per customer
    client.get(f"/p/acme/wecom/moments/{token}")  # open 5: the second rule too
    assert behaviour.score_of(db, tid, bob.id) == 30 and mall in _tags(db, bob.id)
    assert len(_events(db, bob.id)) == 2
    for _ in range(3):
        client.get(f"/p/acme/wecom/moments/{token}")
    assert behaviour.score_of(db, tid, bob.id) == 30 and len(_events(db, bob.id)) == 2
    listed = admin.get(SETTINGS)
    assert listed.text.count('data-stat="hits">1<') == 2
    # the profile's timeline line
    from scrm_wecom import timeline

    first = min(_events(db, bob.id), key=lambda e: e.id)
    with app.test_request_context():
        line = str(timeline.line(first, {"zhangsan": "张三"}))
    assert "3" in line and "张三" in line and "+10" in line and "Gold" in line


def test_rules_with_the_same_count_fire_on_the_same_open(db, app, admin, synced):
    tid = synced.tenant_id
    _rule(admin, db, tid, 1, 5)
    _rule(admin, db, tid, 1, "", ["Silver"])
    token = _token(db, admin, tid, "zhangsan")
    alice = customer_of(db, tid, "wmAlice")
    _visit(app, token, "wmAlice")
    assert behaviour.score_of(db, tid, alice.id) == 5 and tag_id(db, tid, "Silver") in _tags(db, alice.id)


def test_opens_on_different_employees_pages_add_up(db, app, admin, synced):
    tid = synced.tenant_id
    _rule(admin, db, tid, 2, 7)
    zhang, li = _token(db, admin, tid, "zhangsan"), _token(db, admin, tid, "lisi")
    bob = customer_of(db, tid, "wmBob")
    client = _visit(app, zhang, "wmBob")
    client.get(f"/p/acme/wecom/moments/{li}")
    assert behaviour.score_of(db, tid, bob.id) == 7


def test_a_visitor_wecom_cannot_name_counts_a_view_and_fires_nothing(db, app, admin, synced):
    tid = synced.tenant_id
    _rule(admin, db, tid, 1, 10)
    token = _token(db, admin, tid, "zhangsan")
    client = _visit(app, token, "wmStranger")  # not a customer of the corp: WeCom gives only an openid
    client.get(f"/p/acme/wecom/moments/{token}")  # asked once per session: no second trip to WeCom
    db.commit()
    assert db.execute(select(func.count()).select_from(MomentsRuleHit)).scalar_one() == 0
    db.expire_all()
    assert db.execute(select(MomentsPage.views).where(MomentsPage.token == token)).scalar_one() == 2


def test_a_forged_state_or_a_reused_code_names_no_one(db, app, admin, synced):
    tid = synced.tenant_id
    _rule(admin, db, tid, 1, 10)
    token = _token(db, admin, tid, "zhangsan")
    client = app.test_client()
    first = client.get(f"/p/acme/wecom/moments/{token}")
    url = first.headers["Location"].split("#")[0] + "&visitor=wmBob"
    back = httpx.get(url, follow_redirects=False, timeout=10).headers["location"].replace("http://localhost", "")
    assert client.get(re.sub(r"state=[^&]+", "state=forged", back)).status_code == 302
    assert client.get(f"/p/acme/wecom/moments/{token}").status_code == 200
    bob = customer_of(db, tid, "wmBob")
    assert _opens(db, bob.id) == 0
    second = app.test_client()  # the code (never exchanged) with this browser's own state names Bob once
    second.get(f"/p/acme/wecom/moments/{token}")
    with second.session_transaction() as held:
        state = held["wecom_moments_state"]
    second.get(re.sub(r"state=[^&]+", f"state={state}", back))
    assert second.get(f"/p/acme/wecom/moments/{token}").status_code == 200
    assert _opens(db, bob.id) == 1
    third = app.test_client()  # the same code again: WeCom answers 40029, nobody is named
    third.get(f"/p/acme/wecom/moments/{token}")
    with third.session_transaction() as held:
        state = held["wecom_moments_state"]
    third.get(re.sub(r"state=[^&]+", f"state={state}", back))
    assert third.get(f"/p/acme/wecom/moments/{token}").status_code == 200
    assert _opens(db, bob.id) == 1


def test_without_rules_the_page_asks_wecom_nothing(db, app, admin, synced):
    token = _token(db, admin, synced.tenant_id, "zhangsan")
    assert app.test_client().get(f"/p/acme/wecom/moments/{token}").status_code == 200


def test_rule_form_refuses_bad_input_and_changes_nothing(db, admin, synced):
    tid = synced.tenant_id
    for data, field in (({"threshold": "0", "score": "10"}, "threshold"),
                        ({"threshold": "", "score": "10"}, "threshold"),
                        ({"threshold": "3", "score": "abc"}, "score"),
                        ({"threshold": "3", "score": "10001"}, "score"),
                        ({"threshold": "3", "score": ""}, "score"),
                        ({"threshold": "3", "score": "1", "tag_ids": ["999999"]}, "tag_ids")):
        response = admin.post(f"{SETTINGS}/rules", data=data)
        assert response.status_code == 422 and f'data-error="{field}"' in response.text, data
    db.commit()
    assert db.execute(select(func.count()).select_from(MomentsRule)).scalar_one() == 0
    assert _rule(admin, db, tid, 1, 10000).status_code == 302
    assert _rule(admin, db, tid, 9999, -10000).status_code == 302
    assert _rule(admin, db, tid, 10000, 1).status_code == 422


def test_delete_removes_the_rule(db, admin, synced):
    _rule(admin, db, synced.tenant_id, 3, 10)
    db.commit()
    rule_id = db.execute(select(MomentsRule.id)).scalar_one()
    assert admin.post(f"{SETTINGS}/rules/{rule_id}/delete").status_code == 302
    db.commit()
    assert db.execute(select(func.count()).select_from(MomentsRule)).scalar_one() == 0


def test_writes_need_the_csrf_token(db, app, tenant, synced, wecom_admin):
    client = wecom_admin(tenant)
    app.config["WTF_CSRF_ENABLED"] = True
    try:
        assert client.post(f"{SETTINGS}/rules", data={"threshold": "3", "score": "10"}).status_code == 400
        token = re.search(r'name="csrf-token" content="([^"]+)"', client.get(SETTINGS).text).group(1)
        data = {"threshold": "3", "score": "10", "csrf_token": token}
        assert client.post(f"{SETTINGS}/rules", data=data).status_code == 302
        db.commit()
        rule_id = db.execute(select(MomentsRule.id)).scalar_one()
        assert client.post(f"{SETTINGS}/rules/{rule_id}/delete").status_code == 400
        assert client.post(f"{SETTINGS}/rules/{rule_id}/delete", data={"csrf_token": token}).status_code == 302
    finally:
        app.config["WTF_CSRF_ENABLED"] = False


def test_another_brand_cannot_see_delete_or_use_these_rules(db, app, admin, synced, other_tenant, enable_plugins,
                                                            wecom_admin):
    tid = synced.tenant_id
    _rule(admin, db, tid, 1, 10, ["Gold"])
    db.commit()
    rule_id = db.execute(select(MomentsRule.id)).scalar_one()
    token = _token(db, admin, tid, "zhangsan")
    enable_plugins(other_tenant, "wecom")
    other = wecom_admin(other_tenant)
    listed = other.get("/t/globex/wecom/moments/settings")
    assert listed.status_code == 200 and f'data-rule-id="{rule_id}"' not in listed.text
    assert other.post(f"/t/globex/wecom/moments/settings/rules/{rule_id}/delete").status_code == 404
    # nor give this brand's tags in its own rule
    response = other.post("/t/globex/wecom/moments/settings/rules",
                          data={"threshold": "1", "tag_ids": [str(tag_id(db, tid, "Gold"))]})
    assert response.status_code == 422 and 'data-error="tag_ids"' in response.text
    # a page token of this brand is unknown under the other brand
    assert app.test_client().get(f"/p/globex/wecom/moments/{token}").status_code == 404
    db.commit()
    assert db.get(MomentsRule, rule_id) is not None


def test_a_session_named_under_one_brand_is_nobody_under_another(db, app, admin, synced):
    from scrm_wecom.moments import visitor

    with app.test_request_context():
        visitor.remember(synced.tenant_id, 42)
        assert visitor.known(synced.tenant_id) == 42 and visitor.known(synced.tenant_id + 1) is None
