"""Personal tags (WeCom tag type 2): stored per follow relation by the full and the incremental sync, left alone by
entries that say nothing about them, and shown on the customer profile only to the relation's employee and to
admins; never across tenants."""

from __future__ import annotations

import pytest
from scrm_wecom.rules.models import PersonalTag
from scrm_wecom.rules.personal_tags import apply_entries, customer_tags
from sqlalchemy import select
from wecom_foundation_fixtures import *  # noqa: F403
from wecom_sync_fixtures import *  # noqa: F403
from wecom_sync_fixtures import customer_of, employee, fire, follows, run_full_sync, seed

PERSONAL = {"group_name": "", "tag_name": "Likes red", "type": 2}


def personal(db, tenant_id: int) -> set[tuple[str, str, str, str]]:
    """``{(external_userid, userid, group, name)}`` of the tenant's personal tags."""
    db.commit()
    rows = db.execute(select(PersonalTag, follows_table()).join(
        follows_table(), follows_table().id == PersonalTag.follow_id).where(PersonalTag.tenant_id == tenant_id))
    return {(f.external_userid, f.userid, t.group_name, t.name) for t, f in rows}


def follows_table():
    from scrm_wecom.sync.models import Follow

    return Follow


@pytest.fixture
def synced(db, platform, sync_account):
    run_full_sync(db, platform, sync_account)
    return sync_account


def test_a_full_sync_stores_personal_tags_apart_from_corp_tags(db, synced):
    assert personal(db, synced.tenant_id) == {("wmAlice", "zhangsan", "Mine", "Mine")}


def test_an_edit_callback_refreshes_them_and_a_second_sync_changes_nothing(db, platform, synced, sandbox, wsgi_http,
                                                                           worker):
    data = seed()
    alice = data["external_contacts"][0]
    alice["follow_user"][0]["tags"] = [{"group_name": "Level", "tag_name": "Gold", "tag_id": "etGold", "type": 1},
                                       PERSONAL, {"group_name": "Hobby", "tag_name": "Golf", "type": 2}]
    sandbox[1].seed(data)
    fire(wsgi_http, synced, "edit_external_contact", UserID="zhangsan", ExternalUserID="wmAlice")
    worker.join()
    expected = {("wmAlice", "zhangsan", "", "Likes red"), ("wmAlice", "zhangsan", "Hobby", "Golf")}
    assert personal(db, synced.tenant_id) == expected
    run = run_full_sync(db, platform, synced)
    assert run.stats["contacts"]["personal_tags_added"] == 0 and run.stats["contacts"]["personal_tags_removed"] == 0
    assert personal(db, synced.tenant_id) == expected


def test_entries_with_corp_tag_ids_only_leave_personal_tags_alone(db, synced):
    db.commit()
    applied = apply_entries(db, synced, [({"external_userid": "wmAlice"},
                                          [{"userid": "zhangsan", "tag_id": ["etGold"]}])])
    assert applied == (0, 0)
    removed = apply_entries(db, synced, [({"external_userid": "wmAlice"}, [{"userid": "zhangsan", "tags": []}])])
    assert removed == (0, 1)


def test_the_profile_panel_shows_personal_tags_to_their_employee_and_admins_only(
        client, db, tenant, synced, enable_plugins, make_user, login):
    enable_plugins(tenant, "members", "wecom")
    alice = customer_of(db, tenant.id, "wmAlice")
    url = f"/t/acme/members/customers/{alice.id}"
    login(make_user("admin@acme.test", tenant, role="tenant_admin"))
    html = client.get(url).get_data(as_text=True)
    assert "WeCom personal tags" in html and "Mine / Mine" in html
    zhang, li = employee(db, tenant.id, "zhangsan"), employee(db, tenant.id, "lisi")
    login(make_user("zhangsan@acme.test", tenant, role="operator", scope="mine", employee_id=zhang.id))
    db.commit()
    html = client.get(url).get_data(as_text=True)
    assert "Mine / Mine" in html
    login(make_user("lisi@acme.test", tenant, role="operator", scope="all", employee_id=li.id))
    html = client.get(url).get_data(as_text=True)
    assert "WeCom personal tags" not in html and "Mine / Mine" not in html
    login(make_user("op@acme.test", tenant, role="operator"))
    html = client.get(url).get_data(as_text=True)
    assert "WeCom personal tags" not in html


def test_personal_tags_stay_within_their_tenant(db, synced, other_tenant):
    alice = customer_of(db, synced.tenant_id, "wmAlice")
    assert [e.tags for e in customer_tags(db, synced.tenant_id, alice.id)] == [[("Mine", "Mine")]]
    assert customer_tags(db, other_tenant.id, alice.id) == []
    assert follows(db, other_tenant.id) == {}
