"""Incremental sync from WeCom callbacks (through the host gateway, the callback job and the domain events): friend
added / edited / deleted by the employee / deleted by the customer, members and departments changing."""

from __future__ import annotations

import pytest
from scrm_wecom.sandbox import fire_callback
from sqlalchemy import select
from wecom_foundation_fixtures import *  # noqa: F403
from wecom_sync_fixtures import *  # noqa: F403
from wecom_sync_fixtures import (
    CORP_ID,
    TARGET,
    customer_of,
    employee,
    fire,
    follows,
    run_full_sync,
    seed,
    wecom_tags_of,
)

from scrm.sdk import CustomerIdentity, Department


@pytest.fixture
def synced(db, platform, sync_account):
    run_full_sync(db, platform, sync_account)
    return sync_account


def test_a_new_friend_gets_a_customer_a_relation_and_then_its_wecom_details(db, synced, sandbox, wsgi_http, worker):
    added = sandbox[1].add_friend(CORP_ID, "lisi", {"external_userid": "wmDave", "name": "Dave", "unionid": "uDave",
                                                    "gender": 1}, state="lc:9")
    response = fire_callback(f"http://localhost/callbacks/wecom/{synced.id}", TARGET, added["xml"], http=wsgi_http)
    assert response.status_code == 200
    worker.join()
    relation = follows(db, synced.tenant_id, "wmDave")[("wmDave", "lisi")]
    assert relation.status == "active" and relation.state == "lc:9" and relation.add_way == 1
    assert relation.employee_id == employee(db, synced.tenant_id, "lisi").id
    dave = customer_of(db, synced.tenant_id, "wmDave")
    assert (dave.name, dave.gender, dave.source) == ("Dave", 1, "wecom")
    assert ("unionid", "uDave") in set(db.execute(select(CustomerIdentity.kind, CustomerIdentity.value).where(
        CustomerIdentity.customer_id == dave.id)).all())


def test_an_edited_friend_is_read_again(db, synced, sandbox, wsgi_http, worker):
    data = seed()
    alice = data["external_contacts"][0]
    alice["follow_user"][0]["remark"] = "Alice (gold member)"
    alice["follow_user"][0]["tags"] = [{"group_name": "Level", "tag_name": "Silver", "tag_id": "etSilver", "type": 1}]
    sandbox[1].seed(data)
    fire(wsgi_http, synced, "edit_external_contact", UserID="zhangsan", ExternalUserID="wmAlice")
    worker.join()
    relation = follows(db, synced.tenant_id, "wmAlice")[("wmAlice", "zhangsan")]
    assert relation.remark == "Alice (gold member)" and relation.state == "lc:1"
    assert wecom_tags_of(db, customer_of(db, synced.tenant_id, "wmAlice").id) == {("Silver", "zhangsan"),
                                                                                 ("Mall", "lisi")}


def test_deleted_by_the_employee_then_added_again(db, synced, sandbox, wsgi_http, worker):
    fire(wsgi_http, synced, "del_external_contact", UserID="zhangsan", ExternalUserID="wmCarol",
         create_time=1710000000)
    worker.join()
    relation = follows(db, synced.tenant_id, "wmCarol")[("wmCarol", "zhangsan")]
    assert relation.status == "deleted" and relation.deleted_at.timestamp() == 1710000000
    fire(wsgi_http, synced, "add_external_contact", UserID="zhangsan", ExternalUserID="wmCarol",
         create_time=1710000100)
    worker.join()
    relation = follows(db, synced.tenant_id, "wmCarol")[("wmCarol", "zhangsan")]
    assert relation.status == "active" and relation.deleted_at is None


def test_a_deletion_caused_by_a_transfer_is_not_a_deletion(db, synced, wsgi_http, worker):
    fire(wsgi_http, synced, "del_external_contact", UserID="lisi", ExternalUserID="wmBob",
         Source="DELETE_BY_TRANSFER")
    worker.join()
    assert follows(db, synced.tenant_id, "wmBob")[("wmBob", "lisi")].status == "transferred"


def test_deleted_by_the_customer_is_churn(db, synced, wsgi_http, worker):
    fire(wsgi_http, synced, "del_follow_user", UserID="lisi", ExternalUserID="wmAlice", create_time=1710000200)
    worker.join()
    relations = follows(db, synced.tenant_id, "wmAlice")
    assert relations[("wmAlice", "lisi")].status == "churned"
    assert relations[("wmAlice", "lisi")].churned_at.timestamp() == 1710000200
    assert relations[("wmAlice", "zhangsan")].status == "active"


def test_an_employee_who_left_and_one_who_changed(db, synced, sandbox, wsgi_http, worker):
    data = seed()
    data["users"][0]["name"] = "张三丰"
    data["users"][0]["position"] = "Director"
    sandbox[1].seed(data)
    fire(wsgi_http, synced, "delete_user", event="change_contact", UserID="lisi")
    fire(wsgi_http, synced, "update_user", event="change_contact", UserID="zhangsan")
    worker.join()
    assert employee(db, synced.tenant_id, "lisi").status == "left"
    zhangsan = employee(db, synced.tenant_id, "zhangsan")
    assert (zhangsan.name, zhangsan.position, zhangsan.status) == ("张三丰", "Director", "active")


def test_department_changes_are_read_again(db, synced, sandbox, wsgi_http, worker):
    data = seed()
    data["departments"].append({"id": 4, "name": "Pudong store", "parentid": 2})
    data["departments"] = [d for d in data["departments"] if d["id"] != 3]
    sandbox[1].seed(data)
    fire(wsgi_http, synced, "create_party", event="change_contact", Id=4)
    worker.join()
    db.commit()
    deps = {d.external_id: d for d in db.execute(select(Department)).scalars()}
    assert set(deps) == {"1", "2", "4"} and deps["4"].parent_id == deps["2"].id
