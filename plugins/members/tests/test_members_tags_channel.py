# ruff: noqa: F811  (pytest fixtures imported from the area helper module are redefined as test arguments)
"""The Member Tags screen's channel tabs (spec B §1 screen 4 "企微标签", §2.12–2.13, §3.8–3.9, §4.7.4, acceptance 26):
one tab per ``tag_sources`` contribution (WeCom), listing that channel's tags with the tree, search, creator and
department filters, metrics and applicable scope, 10 rows a page; the category visibility is set here and honoured
by pickers and batch tagging; every other change is sent to the channel's own page, and nothing is edited here."""

from __future__ import annotations

import re

import pytest
from members_segments_fixtures import (  # noqa: F401
    add_category,
    add_customer,
    add_department,
    add_employee,
    add_tag,
    carriers,
    committed,
    members_tenant,
    staff,
)
from scrm_members.segments.models import TagCategoryScope, TagMeta
from scrm_members.segments.tagging import TaggingError, apply_tags, visible_tags
from sqlmodel import func, select

from scrm.core.models import Membership, Tag, TagGroup

TAB = "/t/acme/members/tags/?tab=wecom"


@pytest.fixture
def wecom_on(members_tenant, other_tenant, enable_plugins):
    """acme and globex with members and wecom enabled (no WeCom account is needed to list synced tags)."""
    enable_plugins(members_tenant, "wecom")
    enable_plugins(other_tenant, "wecom")
    return members_tenant


@pytest.fixture
def corp_tags(wecom_on, add_category, add_tag):
    """Synced WeCom groups as the WeCom plugin stores them: Level (Gold, Silver) and Source (Mall)."""
    level, source = add_category(wecom_on, "Level", source="wecom"), add_category(wecom_on, "Source", source="wecom")
    return {"Level": level, "Source": source, "Gold": add_tag(level, "Gold"), "Silver": add_tag(level, "Silver"),
            "Mall": add_tag(source, "Mall")}


def page_of(client, url: str) -> str:
    response = client.get(url)
    assert response.status_code == 200, response.status_code
    return response.get_data(as_text=True)


def listed(page: str) -> list[int]:
    """Tag ids of the list's rows, in order."""
    return [int(i) for i in re.findall(r'data-tag-id="(\d+)"', page)]


def test_the_wecom_tab_lists_its_groups_with_counts_and_sends_changes_to_the_wecom_page(client, staff, wecom_on,
                                                                                         corp_tags, add_category,
                                                                                         add_tag):
    add_tag(add_category(wecom_on, "VIP"), "Manual one")
    page = page_of(client, TAB)
    assert 'data-testid="tab-wecom"' in page and "WeCom tags" in page
    assert "All categories (3)" in page and "Level (2)" in page and "Source (1)" in page
    assert set(listed(page)) == {corp_tags[n].id for n in ("Gold", "Silver", "Mall")}
    assert "Manual one" not in page and "VIP (" not in page
    assert 'href="/t/acme/wecom/sync/tags"' in page and 'data-testid="manage-channel-tags"' in page
    assert 'data-testid="category-form"' not in page and "/edit" not in page and "/delete" not in page
    assert 'data-testid="tab-wecom"' in page_of(client, "/t/acme/members/tags/")  # the tab sits beside the others


def test_without_the_wecom_plugin_the_tab_is_absent_and_the_page_still_renders(client, staff, members_tenant,
                                                                              add_category, add_tag):
    add_tag(add_category(members_tenant, "Level", source="wecom"), "Gold")
    add_tag(add_category(members_tenant, "VIP"), "Loyal")
    page = page_of(client, TAB)
    assert 'data-testid="tab-wecom"' not in page and "Gold" not in page
    assert "Loyal" in page  # an unknown tab falls back to the manual tags


def test_a_wecom_tag_or_group_is_never_changed_here(client, staff, corp_tags, db):
    gold, level = corp_tags["Gold"], corp_tags["Level"]
    assert client.get(f"/t/acme/members/tags/{gold.id}/edit").status_code == 404
    assert client.post(f"/t/acme/members/tags/{gold.id}/edit",
                       data={"name": "Golden", "category_id": corp_tags["Source"].id}).status_code == 404
    assert client.post(f"/t/acme/members/tags/{gold.id}/delete").status_code == 404
    assert client.post(f"/t/acme/members/tags/categories/{level.id}/rename", data={"name": "Rank"}).status_code == 404
    assert client.post(f"/t/acme/members/tags/categories/{level.id}/delete").status_code == 404
    created = client.post("/t/acme/members/tags/categories", data={"tab": "wecom", "name": "Made here"})
    assert created.status_code == 422
    assert "WeCom tags: groups and tags are created on the channel&#39;s own page." in created.get_data(as_text=True)
    rows = committed(db, select(Tag.name, Tag.group_id).where(Tag.source == "wecom"))
    assert sorted(rows) == sorted([("Gold", level.id), ("Silver", level.id), ("Mall", corp_tags["Source"].id)])
    assert sorted(committed(db, select(TagGroup.name).where(TagGroup.source == "wecom"))) == ["Level", "Source"]


def test_ten_rows_a_page_and_the_name_search(client, staff, wecom_on, add_category, add_tag):
    group = add_category(wecom_on, "Interest", source="wecom")
    tags = [add_tag(group, f"Interest {i:02d}") for i in range(12)]
    first, second = page_of(client, TAB), page_of(client, TAB + "&page=2")
    assert len(listed(first)) == 10 and len(listed(second)) == 2
    assert set(listed(first)) | set(listed(second)) == {t.id for t in tags}
    assert "12 tags" in first
    assert listed(page_of(client, TAB + "&q=Interest 07")) == [tags[7].id]


def test_the_creator_filter(client, staff, corp_tags, db):
    db.add(TagMeta(tenant_id=corp_tags["Gold"].tenant_id, tag_id=corp_tags["Gold"].id, created_by=staff.id,
                   updated_by=staff.id, rule={}))
    db.commit()
    page = page_of(client, TAB)
    assert f'<option value="{staff.id}"' in page  # a creator of this tab's tags is offered
    assert listed(page_of(client, f"{TAB}&creator={staff.id}")) == [corp_tags["Gold"].id]
    assert listed(page_of(client, f"{TAB}&creator=999999")) == []


def test_the_department_filter_and_the_applicable_scope_column(client, staff, wecom_on, corp_tags, add_category,
                                                               add_tag, add_department, db):
    shanghai = add_department(wecom_on, "Shanghai")
    pudong = add_department(wecom_on, "Pudong", parent=shanghai)
    wuhan = add_department(wecom_on, "Wuhan")
    store = add_tag(add_category(wecom_on, "Store", source="wecom"), "Wuhan only")
    tenant_id = wecom_on.id
    db.add(TagCategoryScope(tenant_id=tenant_id, group_id=corp_tags["Level"].id, department_id=shanghai.id))
    db.add(TagCategoryScope(tenant_id=tenant_id, group_id=store.group_id, department_id=wuhan.id))
    db.commit()
    page = page_of(client, f"{TAB}&department={pudong.id}")
    assert set(listed(page)) == {corp_tags["Gold"].id, corp_tags["Silver"].id, corp_tags["Mall"].id}
    gold_row = page[page.index(f'data-tag-id="{corp_tags["Gold"].id}"'):]
    assert '<td class="small" data-testid="applicable-scope">Shanghai</td>' in gold_row[:800]
    mall_row = page[page.index(f'data-tag-id="{corp_tags["Mall"].id}"'):]
    assert '<td class="small" data-testid="applicable-scope">All departments</td>' in mall_row[:800]
    assert set(listed(page_of(client, f"{TAB}&department={wuhan.id}"))) == {store.id, corp_tags["Mall"].id}


def _operator(db, make_user, tenant, email: str, employee) -> tuple[object, Membership]:
    user = make_user(email, tenant, role="operator", scope="all", employee_id=employee.id)
    return user, db.exec(select(Membership).where(Membership.user_id == user.id)).one()


def test_a_wecom_category_visible_to_department_d_only_is_seen_and_applied_only_in_d(
        client, staff, wecom_on, corp_tags, add_customer, add_department, add_employee, make_user, login, db):
    tenant = wecom_on
    d, elsewhere = add_department(tenant, "D"), add_department(tenant, "Elsewhere")
    gold = corp_tags["Gold"]
    response = client.post(f"/t/acme/members/tags/categories/{corp_tags['Level'].id}/scope",
                           data={"department_id": [d.id]})
    assert response.status_code == 302
    inside_user, inside = _operator(db, make_user, tenant, "in@acme.test", add_employee(tenant, "Insider", d))
    outside_user, outside = _operator(db, make_user, tenant, "out@acme.test",
                                      add_employee(tenant, "Outsider", elsewhere))
    anna = add_customer(tenant, "Anna")
    assert gold.id in {t.id for t in visible_tags(db, tenant.id, inside)}
    assert gold.id not in {t.id for t in visible_tags(db, tenant.id, outside)}
    with pytest.raises(TaggingError):
        apply_tags(db, tenant.id, [anna.id], [gold.id], outside)
    db.rollback()
    assert carriers(db, gold.id) == set()
    login(outside_user)
    assert gold.id not in listed(page_of(client, TAB))
    refused = client.post("/t/acme/members/customers/bulk/tag", data={"customer_id": anna.id, "tag_id": gold.id})
    assert refused.status_code == 422 and carriers(db, gold.id) == set()
    login(inside_user)
    assert gold.id in listed(page_of(client, TAB))
    assert client.post("/t/acme/members/customers/bulk/tag",
                       data={"customer_id": anna.id, "tag_id": gold.id}).status_code == 302
    assert carriers(db, gold.id) == {anna.id}


def test_another_tenants_wecom_tags_are_out_of_reach(client, staff, corp_tags, other_tenant, add_category, add_tag,
                                                      db):
    theirs = add_tag(add_category(other_tenant, "Their level", source="wecom"), "Their gold")
    page = page_of(client, TAB)
    assert "Their gold" not in page and "Their level" not in page
    assert client.get(f"/t/acme/members/tags/categories/{theirs.group_id}/scope").status_code == 404
    assert client.post(f"/t/acme/members/tags/categories/{theirs.group_id}/scope",
                       data={"department_id": []}).status_code == 404
    assert client.get("/t/globex/members/tags/?tab=wecom").status_code == 404  # not a member of globex
    db.commit()
    assert db.exec(select(func.count()).select_from(TagCategoryScope)).one() == 0
