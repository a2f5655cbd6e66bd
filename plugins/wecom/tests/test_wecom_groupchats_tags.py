"""Group tags (§2.6 ``group_tags``, §3.4 filter "group tag" and the "group tags" column): local tag groups and tags
for group chats (names ≤ 15 characters, unique in their group), tagging one or several chats from the lists and
the detail page, the column and the filter on the unassigned list and the chat index, and tenant isolation. They
are not customer tags."""

from __future__ import annotations

import pytest
from scrm_wecom.groupchats.models import GroupChatTag, GroupTag, GroupTagGroup
from sqlalchemy import select
from wecom_foundation_fixtures import *  # noqa: F403
from wecom_groupchats_fixtures import *  # noqa: F403
from wecom_groupchats_fixtures import chat_of, chat_row, chat_rows
from wecom_sync_fixtures import *  # noqa: F403
from wecom_sync_fixtures import count, customer_of

from scrm.sdk import CustomerTag, Tag, TagGroup

BASE = "/t/acme/wecom/groupchats"
TAGS = f"{BASE}/tags"


def _tag(db, tenant_id: int, name: str) -> GroupTag:
    db.commit()
    db.expire_all()
    return db.execute(select(GroupTag).where(GroupTag.tenant_id == tenant_id, GroupTag.name == name)).scalar_one()


def _group(db, tenant_id: int, name: str) -> GroupTagGroup:
    db.commit()
    db.expire_all()
    return db.execute(select(GroupTagGroup).where(GroupTagGroup.tenant_id == tenant_id,
                                                  GroupTagGroup.name == name)).scalar_one()


def _chat_tags(db, tenant_id: int, chat_id: str) -> set[str]:
    chat = chat_of(db, tenant_id, chat_id)
    return set(db.execute(select(GroupTag.name).join(GroupChatTag, GroupChatTag.tag_id == GroupTag.id)
                          .where(GroupChatTag.group_chat_id == chat.id)).scalars())


@pytest.fixture
def region(db, admin, synced):
    """A tag group "Region" with the tags Shanghai and Beijing."""
    response = admin.post(f"{TAGS}/groups", data={"name": "Region", "tags": "Shanghai\nBeijing\n"})
    assert response.status_code == 302
    return _group(db, synced.tenant_id, "Region")


def _tag_chats(admin, db, tenant_id, tags: list[str], *chat_ids: str, mode="add", back="unassigned"):
    return admin.post(f"{BASE}/tag", data={
        "chat_ids": [str(chat_of(db, tenant_id, c).id) for c in chat_ids],
        "tag_ids": [str(_tag(db, tenant_id, t).id) for t in tags], "mode": mode, "back": back})


def test_a_tag_group_is_created_with_several_tags_in_one_save(db, admin, synced, region):
    page = admin.get(f"{TAGS}/").text
    assert 'data-tag-group="Region"' in page and 'data-tag="Shanghai"' in page and 'data-tag="Beijing"' in page
    assert count(db, GroupTag, GroupTag.tag_group_id == region.id) == 2
    added = admin.post(f"{TAGS}/groups/{region.id}/tags", data={"tags": "Shenzhen\nHangzhou"})
    assert added.status_code == 302
    assert count(db, GroupTag, GroupTag.tag_group_id == region.id) == 4


def test_names_have_at_most_15_characters(db, admin, synced, region):
    fifteen, sixteen = "店" * 15, "店" * 16
    refused = admin.post(f"{TAGS}/groups/{region.id}/tags", data={"tags": f"Suzhou\n{sixteen}"})
    assert refused.status_code == 422 and "at most 15 characters" in refused.text
    assert count(db, GroupTag, GroupTag.tag_group_id == region.id) == 2  # all or none: Suzhou not added either
    assert admin.post(f"{TAGS}/groups/{region.id}/tags", data={"tags": fifteen}).status_code == 302
    assert _tag(db, synced.tenant_id, fifteen).tag_group_id == region.id
    long_group = admin.post(f"{TAGS}/groups", data={"name": sixteen})
    assert long_group.status_code == 422 and "at most 15 characters" in long_group.text
    empty = admin.post(f"{TAGS}/groups", data={"name": "  "})
    assert empty.status_code == 422 and "Enter a name." in empty.text
    assert count(db, GroupTagGroup, GroupTagGroup.tenant_id == synced.tenant_id) == 1


def test_tag_names_are_unique_in_their_group_only(db, admin, synced, region):
    again = admin.post(f"{TAGS}/groups/{region.id}/tags", data={"tags": "Shanghai"})
    assert again.status_code == 422 and "already has a tag named Shanghai" in again.text
    twice = admin.post(f"{TAGS}/groups/{region.id}/tags", data={"tags": "Suzhou\nSuzhou"})
    assert twice.status_code == 422 and "appears twice" in twice.text
    assert admin.post(f"{TAGS}/groups", data={"name": "Store", "tags": "Shanghai"}).status_code == 302
    assert count(db, GroupTag, GroupTag.name == "Shanghai") == 2  # the same name in another group is fine
    same_group = admin.post(f"{TAGS}/groups", data={"name": "Region"})
    assert same_group.status_code == 422 and "A tag group named Region exists already." in same_group.text
    beijing = _tag(db, synced.tenant_id, "Beijing")
    clash = admin.post(f"{TAGS}/{beijing.id}", data={"name": "Shanghai"})
    assert clash.status_code == 422 and "already has a tag named Shanghai" in clash.text
    assert _tag(db, synced.tenant_id, "Beijing").id == beijing.id


def test_renaming_and_deleting_tags_and_groups(db, admin, synced, region):
    _tag_chats(admin, db, synced.tenant_id, ["Shanghai", "Beijing"], "wrLeftA")
    beijing = _tag(db, synced.tenant_id, "Beijing")
    assert admin.post(f"{TAGS}/{beijing.id}", data={"name": "Peking"}).status_code == 302
    assert _chat_tags(db, synced.tenant_id, "wrLeftA") == {"Shanghai", "Peking"}
    assert admin.post(f"{TAGS}/groups/{region.id}", data={"name": "Area"}).status_code == 302
    assert _group(db, synced.tenant_id, "Area").id == region.id
    assert admin.post(f"{TAGS}/{beijing.id}/delete").status_code == 302
    assert _chat_tags(db, synced.tenant_id, "wrLeftA") == {"Shanghai"}
    assert admin.post(f"{TAGS}/groups/{region.id}/delete").status_code == 302
    assert _chat_tags(db, synced.tenant_id, "wrLeftA") == set()
    assert count(db, GroupTag, GroupTag.tenant_id == synced.tenant_id) == 0
    assert count(db, GroupChatTag, GroupChatTag.tenant_id == synced.tenant_id) == 0


def test_several_chats_are_tagged_at_once_and_shown_in_the_column(db, admin, synced, region):
    response = _tag_chats(admin, db, synced.tenant_id, ["Shanghai"], "wrLeftA", "wrLeftB")
    assert response.status_code == 302
    assert _tag_chats(admin, db, synced.tenant_id, ["Shanghai"], "wrLeftA").status_code == 302  # no duplicate
    assert count(db, GroupChatTag, GroupChatTag.tenant_id == synced.tenant_id) == 2
    page = admin.get(f"{BASE}/unassigned").text
    assert "Group tags" in page
    for chat_id in ("wrLeftA", "wrLeftB"):
        assert 'data-tag="Shanghai"' in chat_row(page, chat_id)
    index = admin.get(f"{BASE}/").text
    assert 'data-tag="Shanghai"' in chat_row(index, "wrLeftA") and 'data-tag="Shanghai"' not in chat_row(index, "wrActive")
    # the management page counts the chats per tag
    assert 'data-stat="chats">2<' in admin.get(f"{TAGS}/").text.split('data-tag="Shanghai"')[1]
    removed = _tag_chats(admin, db, synced.tenant_id, ["Shanghai"], "wrLeftB", mode="remove", back="index")
    assert removed.status_code == 302 and removed.headers["Location"].endswith(f"{BASE}/")
    assert _chat_tags(db, synced.tenant_id, "wrLeftB") == set()
    assert _chat_tags(db, synced.tenant_id, "wrLeftA") == {"Shanghai"}


def test_tagging_needs_a_chat_and_a_tag(db, admin, synced, region):
    shanghai = _tag(db, synced.tenant_id, "Shanghai")
    no_chat = admin.post(f"{BASE}/tag", data={"tag_ids": [str(shanghai.id)], "back": "unassigned"})
    assert no_chat.status_code == 422 and "Select at least one group chat." in no_chat.text
    chat = chat_of(db, synced.tenant_id, "wrLeftA")
    no_tag = admin.post(f"{BASE}/tag", data={"chat_ids": [str(chat.id)], "back": "index"})
    assert no_tag.status_code == 422 and "Choose at least one tag." in no_tag.text
    assert count(db, GroupChatTag, GroupChatTag.tenant_id == synced.tenant_id) == 0


def test_the_group_tag_filter_on_both_lists(db, admin, synced, region):
    _tag_chats(admin, db, synced.tenant_id, ["Shanghai"], "wrLeftA", "wrActive")
    _tag_chats(admin, db, synced.tenant_id, ["Beijing"], "wrLeftB")
    shanghai = _tag(db, synced.tenant_id, "Shanghai").id
    beijing = _tag(db, synced.tenant_id, "Beijing").id
    unassigned = admin.get(f"{BASE}/unassigned?tag={shanghai}").text
    assert chat_rows(unassigned) == ["wrLeftA"] and "Found 1 unassigned group chat" in unassigned
    assert f'<option value="{shanghai}" selected>' in unassigned
    assert chat_rows(admin.get(f"{BASE}/unassigned?tag={beijing}&name=VIP").text) == []
    assert sorted(chat_rows(admin.get(f"{BASE}/?tag={shanghai}").text)) == ["wrActive", "wrLeftA"]
    assert sorted(chat_rows(admin.get(f"{BASE}/?tag={shanghai}&tag={beijing}").text)) == ["wrActive", "wrLeftA",
                                                                                     "wrLeftB"]  # any of them
    # the sort link keeps the tag filter
    assert f"tag={shanghai}" in unassigned.split('data-testid="sort-created"')[0].rsplit("<a href=", 1)[1]


def test_the_detail_page_shows_and_sets_the_chat_s_tags(db, admin, synced, region):
    chat = chat_of(db, synced.tenant_id, "wrLeftA")
    shanghai, beijing = _tag(db, synced.tenant_id, "Shanghai"), _tag(db, synced.tenant_id, "Beijing")
    assert admin.post(f"{BASE}/{chat.id}/tags", data={"tag_ids": [str(shanghai.id), str(beijing.id)]}
                      ).status_code == 302
    html = admin.get(f"{BASE}/{chat.id}").text
    facts = html.split('data-field="tags">')[1].split("</dd>")[0]
    assert 'data-tag="Shanghai"' in facts and 'data-tag="Beijing"' in facts
    assert admin.post(f"{BASE}/{chat.id}/tags", data={"tag_ids": [str(beijing.id)]}).status_code == 302
    assert _chat_tags(db, synced.tenant_id, "wrLeftA") == {"Beijing"}
    assert admin.post(f"{BASE}/{chat.id}/tags", data={}).status_code == 302
    assert _chat_tags(db, synced.tenant_id, "wrLeftA") == set()


def test_group_tags_are_not_customer_tags(db, admin, synced, region):
    """Tagging a chat tags none of its members and creates no customer tag."""
    bob = customer_of(db, synced.tenant_id, "wmBob")  # a member of wrLeftA
    before = (count(db, Tag, Tag.tenant_id == synced.tenant_id), count(db, TagGroup, TagGroup.tenant_id ==
              synced.tenant_id), count(db, CustomerTag, CustomerTag.customer_id == bob.id))
    assert _tag_chats(admin, db, synced.tenant_id, ["Shanghai"], "wrLeftA").status_code == 302
    assert _chat_tags(db, synced.tenant_id, "wrLeftA") == {"Shanghai"}
    assert (count(db, Tag, Tag.tenant_id == synced.tenant_id), count(db, TagGroup, TagGroup.tenant_id ==
            synced.tenant_id), count(db, CustomerTag, CustomerTag.customer_id == bob.id)) == before


def test_another_tenant_sees_and_changes_no_group_tag(db, admin, synced, region, other_tenant, enable_plugins,
                                                      make_user, login):
    _tag_chats(admin, db, synced.tenant_id, ["Shanghai"], "wrLeftA")
    shanghai = _tag(db, synced.tenant_id, "Shanghai")
    chat = chat_of(db, synced.tenant_id, "wrLeftA")
    enable_plugins(other_tenant, "wecom")
    intruder = login(make_user("admin@globex.test", other_tenant, role="tenant_admin"))
    other = "/t/globex/wecom/groupchats"
    page = intruder.get(f"{other}/tags/").text
    assert "Region" not in page and "Shanghai" not in page
    assert intruder.post(f"{other}/tags/{shanghai.id}", data={"name": "Hacked"}).status_code == 404
    assert intruder.post(f"{other}/tags/{shanghai.id}/delete").status_code == 404
    assert intruder.post(f"{other}/tags/groups/{region.id}", data={"name": "Hacked"}).status_code == 404
    assert intruder.post(f"{other}/tags/groups/{region.id}/tags", data={"tags": "X"}).status_code == 404
    assert intruder.post(f"{other}/tags/groups/{region.id}/delete").status_code == 404
    # tagging this tenant's chat with this tenant's tag from the other tenant changes nothing
    refused = intruder.post(f"{other}/tag", data={"chat_ids": [str(chat.id)], "tag_ids": [str(shanghai.id)],
                                                 "mode": "remove"})
    assert refused.status_code == 422
    assert intruder.post(f"{other}/{chat.id}/tags", data={}).status_code == 404
    assert _chat_tags(db, synced.tenant_id, "wrLeftA") == {"Shanghai"}
    assert _tag(db, synced.tenant_id, "Shanghai").tag_group_id == region.id
    assert intruder.post(f"{other}/tags/groups", data={"name": "Region", "tags": "Shanghai"}).status_code == 302
    assert count(db, GroupTagGroup, GroupTagGroup.tenant_id == other_tenant.id) == 1  # names are per tenant
    own = intruder.get(f"{other}/tags/").text
    assert 'data-stat="chats">0<' in own.split('data-tag="Shanghai"')[1]


def test_tag_pages_answer_404_when_the_plugin_is_disabled(db, admin, tenant, synced, region):
    from scrm.core.plugins.enablement import disable_plugin

    registry = admin.application.extensions["scrm"].registry
    disable_plugin(db, registry, db.merge(tenant), "wecom")
    db.commit()
    assert admin.get(f"{TAGS}/").status_code == 404
    assert admin.post(f"{TAGS}/groups", data={"name": "X"}).status_code == 404
    assert count(db, GroupTagGroup, GroupTagGroup.name == "X") == 0
