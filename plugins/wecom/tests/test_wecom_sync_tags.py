"""Corporate tags both ways (acceptance 28): local create / rename / delete call WeCom first; tags changed in WeCom
arrive through callbacks; "Sync WeCom tags" reconciles; tags put on a WeCom friend locally are marked in WeCom."""

from __future__ import annotations

import pytest
from scrm_wecom.client import WeComClient
from sqlalchemy import select
from wecom_foundation_fixtures import *  # noqa: F403
from wecom_sync_fixtures import *  # noqa: F403
from wecom_sync_fixtures import CORP_ID, count, customer_of, employee, fire, run_full_sync, wecom_tags_of

from scrm.sdk import CustomerTag, Tag, TagGroup, publish


@pytest.fixture
def synced(db, platform, tenant, sync_account, sandbox, wecom_admin):
    run_full_sync(db, platform, sync_account)
    sandbox[1].clear_calls()
    return sync_account, sandbox[1], wecom_admin(tenant)


def local_group(db, external_id):
    db.commit()
    return db.execute(select(TagGroup).where(TagGroup.external_id == external_id)).scalar_one()


def local_tags(db) -> dict[str, Tag]:
    db.commit()
    db.expire_all()
    return {t.name: t for t in db.execute(select(Tag).where(Tag.source == "wecom")).scalars()}


def wecom_tag_names(control) -> dict[str, list[str]]:
    return {g["group_name"]: sorted(t["name"] for t in g["tag"]) for g in control.corp(CORP_ID)["tag_groups"].values()}


def test_creating_a_tag_here_calls_add_corp_tag_first(db, synced):
    account, control, client = synced
    level = local_group(db, "etLevel")
    response = client.post("/t/acme/wecom/sync/tags/new", data={"group_id": str(level.id), "names": "Platinum"})
    assert response.status_code == 302, response.get_data(as_text=True)
    [call] = control.calls("/cgi-bin/externalcontact/add_corp_tag")
    assert call["body"]["group_id"] == "etLevel" and call["body"]["tag"] == [{"name": "Platinum"}]
    platinum = local_tags(db)["Platinum"]
    assert platinum.group_id == level.id and platinum.external_id.startswith("et")
    assert "Platinum" in wecom_tag_names(control)["Level"]


def test_several_tags_in_a_new_group_in_one_save(db, synced):
    _account, control, client = synced
    response = client.post("/t/acme/wecom/sync/tags/new", data={"group_id": "", "group_name": "Interest",
                                                                "names": "Skincare\nMakeup\n"})
    assert response.status_code == 302
    group = db.execute(select(TagGroup).where(TagGroup.name == "Interest")).scalar_one()
    assert group.source == "wecom" and group.external_id
    assert wecom_tag_names(control)["Interest"] == ["Makeup", "Skincare"]
    assert {t.name for t in local_tags(db).values() if t.group_id == group.id} == {"Makeup", "Skincare"}


@pytest.mark.parametrize("form, field_message", [
    ({"names": "x" * 16}, "at most 15 characters"),
    ({"names": "  "}, "at least one tag name"),
    ({"names": "Gold"}, "already has a tag named Gold"),
    ({"group_id": "", "group_name": "", "names": "New"}, "Choose a group"),
    ({"group_id": "999999", "names": "New"}, "Choose a group"),
])
def test_bad_tag_input_is_refused_with_422_and_changes_nothing(db, synced, form, field_message):
    _account, control, client = synced
    data = {"group_id": str(local_group(db, "etLevel").id), **form}
    before = count(db, Tag)
    response = client.post("/t/acme/wecom/sync/tags/new", data=data)
    assert response.status_code == 422
    assert field_message in response.get_data(as_text=True)
    assert count(db, Tag) == before and control.calls("/cgi-bin/externalcontact/add_corp_tag") == []


def test_a_15_character_name_is_accepted(db, synced):
    _account, _control, client = synced
    response = client.post("/t/acme/wecom/sync/tags/new", data={"group_id": str(local_group(db, "etLevel").id),
                                                                "names": "y" * 15})
    assert response.status_code == 302 and "y" * 15 in local_tags(db)


def test_a_wecom_refusal_stores_nothing_and_is_shown(db, synced):
    _account, control, client = synced
    control.fail_next("/cgi-bin/externalcontact/add_corp_tag", 40071)
    response = client.post("/t/acme/wecom/sync/tags/new", data={"group_id": str(local_group(db, "etLevel").id),
                                                                "names": "Bronze"})
    assert response.status_code == 422 and "40071" in response.get_data(as_text=True)
    assert "Bronze" not in local_tags(db)


def test_rename_and_delete_here_call_wecom(db, synced):
    _account, control, client = synced
    gold = local_tags(db)["Gold"]
    assert client.post(f"/t/acme/wecom/sync/tags/tag/{gold.id}/rename", data={"name": "Golden"}).status_code == 302
    [edit] = control.calls("/cgi-bin/externalcontact/edit_corp_tag")
    assert edit["body"] == {"id": "etGold", "name": "Golden"}
    assert "Golden" in wecom_tag_names(control)["Level"] and "Golden" in local_tags(db)
    too_long = client.post(f"/t/acme/wecom/sync/tags/tag/{gold.id}/rename", data={"name": "z" * 16})
    assert too_long.status_code == 422 and local_tags(db)["Golden"].id == gold.id
    silver = local_tags(db)["Silver"]
    assert client.post(f"/t/acme/wecom/sync/tags/tag/{silver.id}/delete").status_code == 302
    assert control.calls("/cgi-bin/externalcontact/del_corp_tag")[0]["body"]["tag_id"] == ["etSilver"]
    assert "Silver" not in local_tags(db) and "Silver" not in wecom_tag_names(control)["Level"]


def test_a_tag_added_in_wecom_appears_here_through_the_callback(db, platform, synced, wsgi_http, worker):
    account, _control, _client = synced
    with WeComClient.for_account(account, platform) as admin_in_wecom:
        group = admin_in_wecom.add_corp_tag([{"name": "Loyal"}], group_id="etLevel")
    fire(wsgi_http, account, "create", event="change_external_tag", Id=group["tag"][0]["id"], TagType="tag")
    worker.join()
    loyal = local_tags(db)["Loyal"]
    assert loyal.external_id == group["tag"][0]["id"] and loyal.group_id == local_group(db, "etLevel").id


def test_sync_wecom_tags_reconciles_every_difference(db, platform, synced, worker):
    account, control, client = synced
    with WeComClient.for_account(account, platform) as admin_in_wecom:
        admin_in_wecom.edit_corp_tag("etGold", name="Gold+")
        admin_in_wecom.delete_corp_tags(tag_ids=["etMall"])  # the Source group goes with its last tag
    pending = Tag(tenant_id=account.tenant_id, group_id=local_group(db, "etLevel").id, name="Pending",
                  source="wecom")
    db.commit()
    db.add(pending)
    db.commit()
    assert client.post(f"/t/acme/wecom/sync/{account.id}/run", data={"kind": "tags"}).status_code == 302
    worker.join()
    tags = local_tags(db)
    assert set(tags) == {"Gold+", "Silver", "Pending"}
    assert tags["Pending"].external_id and "Pending" in wecom_tag_names(control)["Level"]
    assert db.execute(select(TagGroup).where(TagGroup.external_id == "etSource")).first() is None
    alice = customer_of(db, account.tenant_id, "wmAlice")
    assert wecom_tags_of(db, alice.id) == {("Gold+", "zhangsan")}  # the Mall links went with the tag


def test_a_tag_put_on_a_wecom_friend_here_is_marked_in_wecom(db, synced, worker):
    account, control, _client = synced
    worker.join()  # the events of the full sync are delivered first: the write below starts on a quiet database
    tenant_id = account.tenant_id
    carol = customer_of(db, tenant_id, "wmCarol")
    silver = local_tags(db)["Silver"]
    db.commit()  # a fresh transaction for the write (SQLite cannot upgrade an older read snapshot)
    db.add(CustomerTag(tenant_id=tenant_id, customer_id=carol.id, tag_id=silver.id, source="manual"))
    publish(db, tenant_id, "customer.tags_changed", {"customer_ids": [carol.id], "added_tag_ids": [silver.id],
                                                     "removed_tag_ids": [], "source": "manual"})
    db.commit()
    worker.join()
    [call] = control.calls("/cgi-bin/externalcontact/mark_tag")
    assert call["body"] == {"userid": "zhangsan", "external_userid": "wmCarol", "add_tag": ["etSilver"],
                            "remove_tag": []}
    assert ("Silver", "zhangsan") in wecom_tags_of(db, carol.id)
    assert employee(db, tenant_id, "zhangsan").id in set(db.execute(select(CustomerTag.employee_id).where(
        CustomerTag.customer_id == carol.id)).scalars())
