"""Corporate tags both ways, the cases beyond creation (spec B §3.9, §4.7.1 and 4.7.6, acceptance 28): renames,
deletions and re-orderings made in WeCom arrive through the ``change_external_tag`` callback without a manual sync;
group renames and deletions made here call WeCom first; group names are checked; a group named like a local category
is suffixed; unmarking drops the employee's row; the members' bulk tagging of a WeCom friend is marked in WeCom; a
16-30 character name given in WeCom is kept, while names made here stay within 15 characters."""

from __future__ import annotations

import pytest
from scrm_wecom.client import WeComClient
from scrm_wecom.sync import wecom_tags
from scrm_wecom.sync.models import Follow
from sqlalchemy import select
from wecom_foundation_fixtures import *  # noqa: F403
from wecom_sync_fixtures import *  # noqa: F403
from wecom_sync_fixtures import CORP_ID, count, customer_of, fire, run_full_sync, wecom_tags_of

from scrm.sdk import CustomerTag, Tag, TagGroup

TAGS = "/t/acme/wecom/sync/tags"
EDIT, DELETE, MARK = ("/cgi-bin/externalcontact/edit_corp_tag", "/cgi-bin/externalcontact/del_corp_tag",
                      "/cgi-bin/externalcontact/mark_tag")


@pytest.fixture
def synced(db, platform, tenant, sync_account, sandbox, wecom_admin):
    run_full_sync(db, platform, sync_account)
    sandbox[1].clear_calls()
    return sync_account, sandbox[1], wecom_admin(tenant)


def local_group(db, external_id: str) -> TagGroup | None:
    db.commit()
    db.expire_all()
    return db.execute(select(TagGroup).where(TagGroup.external_id == external_id)).scalar_one_or_none()


def local_tags(db) -> dict[str, Tag]:
    db.commit()
    db.expire_all()
    return {t.name: t for t in db.execute(select(Tag).where(Tag.source == "wecom")).scalars()}


def in_wecom(control) -> dict[str, list[str]]:
    return {g["group_name"]: sorted(t["name"] for t in g["tag"]) for g in control.corp(CORP_ID)["tag_groups"].values()}


def admin_in_wecom(platform, account) -> WeComClient:
    """Someone changing the corp tags in WeCom's own admin console."""
    return WeComClient.for_account(account, platform)


# -- WeCom → here, by callback ----------------------------------------------------------------------------------------


def test_a_tag_renamed_in_wecom_is_renamed_here_by_the_callback(db, platform, synced, wsgi_http, worker):
    account, _control, _client = synced
    gold_id = local_tags(db)["Gold"].id
    with admin_in_wecom(platform, account) as wecom:
        wecom.edit_corp_tag("etGold", name="Gold+")
    fire(wsgi_http, account, "update", event="change_external_tag", Id="etGold", TagType="tag")
    worker.join()
    tags = local_tags(db)
    assert "Gold" not in tags and tags["Gold+"].id == gold_id


def test_a_tag_deleted_in_wecom_goes_here_with_its_customer_links_by_the_callback(db, platform, synced, wsgi_http,
                                                                                 worker):
    account, _control, _client = synced
    alice = customer_of(db, account.tenant_id, "wmAlice")
    assert ("Gold", "zhangsan") in wecom_tags_of(db, alice.id)
    with admin_in_wecom(platform, account) as wecom:
        wecom.delete_corp_tags(tag_ids=["etGold"])
    fire(wsgi_http, account, "delete", event="change_external_tag", Id="etGold", TagType="tag")
    worker.join()
    assert set(local_tags(db)) == {"Silver", "Mall"}
    assert wecom_tags_of(db, alice.id) == {("Mall", "lisi")}


def test_a_reordering_in_wecom_is_applied_here_by_the_shuffle_callback(db, platform, synced, wsgi_http, worker):
    account, _control, _client = synced
    with admin_in_wecom(platform, account) as wecom:
        wecom.edit_corp_tag("etSilver", order=9)
        wecom.edit_corp_tag("etLevel", order=7)
    fire(wsgi_http, account, "shuffle", event="change_external_tag", Id="etLevel")
    worker.join()
    assert local_tags(db)["Silver"].order == 9 and local_group(db, "etLevel").order == 7
    assert [t.name for t in wecom_tags.wecom_tags(db, account.tenant_id)][:1] == ["Silver"]


def test_a_wecom_group_named_like_a_manual_category_is_stored_with_the_wecom_suffix(db, platform, synced, wsgi_http,
                                                                                   worker):
    account, _control, _client = synced
    db.add(TagGroup(tenant_id=account.tenant_id, name="VIP", source="manual"))
    db.commit()
    with admin_in_wecom(platform, account) as wecom:
        made = wecom.add_corp_tag([{"name": "Big spender"}], group_name="VIP")
    fire(wsgi_http, account, "create", event="change_external_tag", Id=made["group_id"], TagType="tag_group")
    worker.join()
    group = local_group(db, made["group_id"])
    assert group.name == "VIP (WeCom)" and group.source == "wecom"
    assert local_tags(db)["Big spender"].group_id == group.id
    assert count(db, TagGroup, TagGroup.name == "VIP", TagGroup.source == "manual") == 1


def test_a_16_to_30_character_name_given_in_wecom_is_kept_and_names_made_here_stay_within_15(db, platform, synced,
                                                                                            wsgi_http, worker):
    account, control, client = synced
    long_name = "Member since the first store"  # 28 characters
    with admin_in_wecom(platform, account) as wecom:
        made = wecom.add_corp_tag([{"name": long_name}], group_id="etLevel")
    fire(wsgi_http, account, "create", event="change_external_tag", Id=made["tag"][0]["id"], TagType="tag")
    worker.join()
    tag = local_tags(db)[long_name]
    assert long_name in client.get(TAGS).get_data(as_text=True)
    control.clear_calls()
    unchanged = client.post(f"{TAGS}/tag/{tag.id}/rename", data={"name": long_name})
    assert unchanged.status_code == 302 and control.calls(EDIT) == []
    too_long = client.post(f"{TAGS}/tag/{tag.id}/rename", data={"name": "Member since 2020"})  # 17
    assert too_long.status_code == 422 and "at most 15 characters" in too_long.get_data(as_text=True)
    assert control.calls(EDIT) == [] and long_name in local_tags(db)
    assert client.post(f"{TAGS}/tag/{tag.id}/rename", data={"name": "Early member"}).status_code == 302
    assert local_tags(db)["Early member"].id == tag.id and "Early member" in in_wecom(control)["Level"]


# -- here → WeCom, group level ----------------------------------------------------------------------------------------


def test_renaming_a_group_here_calls_edit_corp_tag_first(db, synced):
    _account, control, client = synced
    level = local_group(db, "etLevel")
    assert client.post(f"{TAGS}/group/{level.id}/rename", data={"name": "Rank"}).status_code == 302
    [call] = control.calls(EDIT)
    assert call["body"] == {"id": "etLevel", "name": "Rank"}
    assert local_group(db, "etLevel").name == "Rank" and "Rank" in in_wecom(control)


def test_deleting_a_group_here_calls_del_corp_tag_and_removes_its_tags_and_customer_links(db, synced):
    account, control, client = synced
    alice = customer_of(db, account.tenant_id, "wmAlice")
    level = local_group(db, "etLevel")
    assert client.post(f"{TAGS}/group/{level.id}/delete").status_code == 302
    [call] = control.calls(DELETE)
    assert call["body"]["group_id"] == ["etLevel"]
    assert local_group(db, "etLevel") is None and set(local_tags(db)) == {"Mall"}
    assert wecom_tags_of(db, alice.id) == {("Mall", "lisi")}
    assert "Level" not in in_wecom(control)


def test_a_31_character_group_name_is_refused_with_a_message_and_changes_nothing(db, synced):
    _account, control, client = synced
    level = local_group(db, "etLevel")
    groups = count(db, TagGroup)
    created = client.post(f"{TAGS}/new", data={"group_id": "", "group_name": "g" * 31, "names": "One"})
    assert created.status_code == 422 and "at most 30 characters" in created.get_data(as_text=True)
    renamed = client.post(f"{TAGS}/group/{level.id}/rename", data={"name": "g" * 31})
    assert renamed.status_code == 422 and "at most 30 characters" in renamed.get_data(as_text=True)
    assert count(db, TagGroup) == groups and local_group(db, "etLevel").name == "Level"
    assert control.calls("/cgi-bin/externalcontact/add_corp_tag") == [] and control.calls(EDIT) == []


def test_another_tenants_admin_cannot_rename_or_delete_these_groups(db, synced, other_tenant, enable_plugins,
                                                                    wecom_admin):
    _account, control, _client = synced
    enable_plugins(other_tenant, "wecom")
    stranger = wecom_admin(other_tenant)
    level = local_group(db, "etLevel")
    assert stranger.post(f"/t/globex/wecom/sync/tags/group/{level.id}/rename",
                         data={"name": "Hacked"}).status_code == 404
    assert stranger.post(f"/t/globex/wecom/sync/tags/group/{level.id}/delete").status_code == 404
    assert local_group(db, "etLevel").name == "Level" and control.calls(EDIT) == control.calls(DELETE) == []


# -- on customers -----------------------------------------------------------------------------------------------------


def test_unmarking_a_tag_on_a_friend_sends_remove_tag_and_drops_only_that_employees_row(db, platform, synced):
    account, control, _client = synced
    tenant_id = account.tenant_id
    alice = customer_of(db, tenant_id, "wmAlice")
    db.add(CustomerTag(tenant_id=tenant_id, customer_id=alice.id, tag_id=local_tags(db)["Gold"].id,
                       employee_id=None, employee_key=0, source="manual"))  # the same tag, put on by hand
    db.commit()
    follow = db.execute(select(Follow).where(Follow.external_userid == "wmAlice",
                                             Follow.userid == "zhangsan")).scalar_one()
    with admin_in_wecom(platform, account) as wecom_client:
        wecom_tags.mark_tags(db, wecom_client, follow, remove=[local_tags(db)["Gold"]])
    db.commit()
    [call] = control.calls(MARK)
    assert call["body"] == {"userid": "zhangsan", "external_userid": "wmAlice", "add_tag": [],
                            "remove_tag": ["etGold"]}
    assert wecom_tags_of(db, alice.id) == {("Mall", "lisi")}
    assert count(db, CustomerTag, CustomerTag.customer_id == alice.id, CustomerTag.employee_key == 0) == 1
    zhangsan = next(f for f in control.corp(CORP_ID)["follows"]["wmAlice"]
                    if f["userid"] == "zhangsan")
    assert [t["tag_id"] for t in zhangsan.get("tags", [])] == ["etPersonal"]


@pytest.fixture
def synced_with_members(db, platform, tenant, enable_plugins, sync_account, sandbox, wecom_admin):
    """As ``synced``, with the members plugin enabled before the sync."""
    enable_plugins(tenant, "members")
    run_full_sync(db, platform, sync_account)
    sandbox[1].clear_calls()
    return sync_account, sandbox[1], wecom_admin(tenant)


def test_tagging_a_wecom_friend_with_the_members_bulk_tag_marks_it_in_wecom(db, tenant, synced_with_members, worker):
    account, control, client = synced_with_members
    worker.join()  # the events of the full sync are delivered first: the write below starts on a quiet database
    carol = customer_of(db, tenant.id, "wmCarol")
    silver = local_tags(db)["Silver"]
    response = client.post("/t/acme/members/customers/bulk/tag", data={"customer_id": carol.id,
                                                                       "tag_id": silver.id})
    assert response.status_code == 302, response.get_data(as_text=True)[:300]
    worker.join()
    [call] = control.calls(MARK)
    assert call["body"] == {"userid": "zhangsan", "external_userid": "wmCarol", "add_tag": ["etSilver"],
                            "remove_tag": []}
    assert ("Silver", "zhangsan") in wecom_tags_of(db, carol.id)


def test_the_tag_screen_shows_who_created_and_renamed_a_tag_on_the_wecom_page(db, synced, enable_plugins, tenant,
                                                                               make_user, login, worker):
    """The WeCom page tells the members' tag list its creator and updater (``tag.catalog_changed``)."""
    from scrm_members.segments.models import TagMeta

    from scrm.sdk import User

    worker.join()  # the sync's events
    db.commit()
    enable_plugins(tenant, "members")
    _account, _control, client = synced
    level = local_group(db, "etLevel")
    assert client.post(TAGS + "/new", data={"group_id": str(level.id), "names": "Platinum"}).status_code == 302
    platinum = local_tags(db)["Platinum"]
    worker.join()
    db.commit()
    login(make_user("second@acme.test", tenant, role="tenant_admin"))
    assert client.post(f"{TAGS}/tag/{platinum.id}/rename", data={"name": "Platinum+"}).status_code == 302
    worker.join()
    db.expire_all()
    users = {u.email: u for u in db.execute(select(User)).scalars()}
    first, second = users["admin@acme.test"], users["second@acme.test"]
    meta = db.execute(select(TagMeta).where(TagMeta.tag_id == platinum.id)).scalar_one()
    assert (meta.created_by, meta.updated_by) == (first.id, second.id)
    page = client.get("/t/acme/members/tags/?tab=wecom&q=Platinum").get_data(as_text=True)
    row = page.split(f'data-tag-id="{platinum.id}"', 1)[1].split("</tr>", 1)[0]
    cells = [cell.split(">", 1)[1] for cell in row.split("<td")[1:]]
    assert cells[0].startswith("Platinum+")
    assert cells[5].startswith(first.name or first.email) and cells[7].startswith(second.name or second.email)
