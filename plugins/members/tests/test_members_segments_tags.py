# ruff: noqa: F811  (pytest fixtures imported from the area helper module are redefined as test arguments)
"""Tags (spec B §2.12–2.13, §3.8–3.9, acceptance 22, 25, 26): categories, creating several tags at once, the
15-character limit, moving, visibility by department or employee in the tag picker service, bulk tagging and the
tag metrics, and tenant isolation of every page."""

from __future__ import annotations

import pytest
from members_segments_fixtures import (  # noqa: F401
    add_category,
    add_customer,
    add_department,
    add_employee,
    add_tag,
    carriers,
    members_tenant,
    staff,
    tag_ids_of,
)
from scrm_members.segments.models import TagCategoryScope, TagEvent
from scrm_members.segments.tagging import TaggingError, apply_tags, remove_tags, visible_tags
from sqlmodel import func, select

from scrm.core.models import Membership, Tag, TagGroup


def tags_in(db, group_id: int) -> list[str]:
    db.commit()
    return sorted(db.exec(select(Tag.name).where(Tag.group_id == group_id)))


# -- categories and tags ---------------------------------------------------------------------------------------------


def test_tags_page_lists_the_tree_and_the_tab(client, staff, members_tenant, add_category, add_tag):
    first = add_category(members_tenant, "Holidays")
    sub = add_category(members_tenant, "Children's day", parent=first)
    add_tag(sub, "Gift buyer")
    add_category(members_tenant, "Rules", source="auto")
    page = client.get("/t/acme/members/tags/").get_data(as_text=True)
    assert "Holidays (1)" in page and "Children&#39;s day (1)" in page and "Gift buyer" in page
    assert "Rules" not in page
    assert "Rules (0)" in client.get("/t/acme/members/tags/?tab=auto").get_data(as_text=True)


def test_category_names_are_required_and_unique(client, staff, members_tenant, add_category, db):
    add_category(members_tenant, "VIP")
    response = client.post("/t/acme/members/tags/categories", data={"tab": "manual", "name": "VIP"})
    assert response.status_code == 422
    assert 'data-testid="category-name-error"' in response.get_data(as_text=True)
    assert client.post("/t/acme/members/tags/categories", data={"tab": "manual", "name": " "}).status_code == 422
    db.commit()
    assert db.exec(select(func.count()).select_from(TagGroup)).one() == 1


def test_categories_have_two_levels(client, staff, members_tenant, add_category):
    first = add_category(members_tenant, "Level 1")
    second = add_category(members_tenant, "Level 2", parent=first)
    ok = client.post("/t/acme/members/tags/categories", data={"tab": "manual", "name": "Also 2", "parent_id": first.id})
    assert ok.status_code == 302
    deep = client.post("/t/acme/members/tags/categories",
                       data={"tab": "manual", "name": "Level 3", "parent_id": second.id})
    assert deep.status_code == 422


def test_a_16_character_tag_name_fails_and_15_succeeds(client, staff, members_tenant, add_category, db):
    group = add_category(members_tenant, "Manual 1")
    too_long = client.post("/t/acme/members/tags/new", data={"category_id": group.id, "name": "x" * 16})
    assert too_long.status_code == 422
    assert 'data-testid="name-error"' in too_long.get_data(as_text=True)
    assert tags_in(db, group.id) == []
    assert client.post("/t/acme/members/tags/new", data={"category_id": group.id, "name": "y" * 15}).status_code == 302


def test_a_missing_category_fails(client, staff, members_tenant, db):
    response = client.post("/t/acme/members/tags/new", data={"name": "Loyal"})
    assert response.status_code == 422
    assert 'data-testid="category-error"' in response.get_data(as_text=True)
    db.commit()
    assert db.exec(select(func.count()).select_from(Tag)).one() == 0


def test_plus_creates_several_tags_of_one_category_in_a_single_save(client, staff, members_tenant, add_category, db):
    group = add_category(members_tenant, "Manual 2")
    assert client.get("/t/acme/members/tags/name-row").status_code == 200
    response = client.post("/t/acme/members/tags/new",
                           data={"category_id": group.id, "name": ["Loyal", "New", "", "Sleeping"]})
    assert response.status_code == 302
    assert tags_in(db, group.id) == ["Loyal", "New", "Sleeping"]


def test_names_are_unique_in_their_category_and_a_failing_save_creates_none(client, staff, members_tenant,
                                                                           add_category, add_tag, db):
    group = add_category(members_tenant, "Manual 3")
    add_tag(group, "Loyal")
    response = client.post("/t/acme/members/tags/new", data={"category_id": group.id, "name": ["Fresh", "Loyal"]})
    assert response.status_code == 422
    assert tags_in(db, group.id) == ["Loyal"]


def test_a_tag_moves_to_another_category(client, staff, members_tenant, add_category, add_tag, db):
    source, target = add_category(members_tenant, "From"), add_category(members_tenant, "To")
    tag = add_tag(source, "Movable")
    response = client.post(f"/t/acme/members/tags/{tag.id}/edit", data={"name": "Moved", "category_id": target.id})
    assert response.status_code == 302
    assert tags_in(db, target.id) == ["Moved"] and tags_in(db, source.id) == []
    auto = add_category(members_tenant, "Auto", source="auto")
    assert client.post(f"/t/acme/members/tags/{tag.id}/edit",
                       data={"name": "Moved", "category_id": auto.id}).status_code == 422


def test_a_category_with_tags_cannot_be_deleted_an_empty_one_can(client, staff, members_tenant, add_category,
                                                                 add_tag, db):
    full, empty = add_category(members_tenant, "Full"), add_category(members_tenant, "Empty")
    add_tag(full, "Keep")
    assert client.post(f"/t/acme/members/tags/categories/{full.id}/delete").status_code == 422
    assert client.post(f"/t/acme/members/tags/categories/{empty.id}/delete").status_code == 302
    db.commit()
    assert set(db.exec(select(TagGroup.name))) == {"Full"}


def test_deleting_a_tag_asks_first_then_removes_its_links(client, staff, members_tenant, add_category, add_tag,
                                                          add_customer, db):
    tag = add_tag(add_category(members_tenant, "Gone"), "Old")
    anna = add_customer(members_tenant, "Anna")
    apply_tags(db, members_tenant.id, [anna.id], [tag.id], None)
    db.commit()
    assert 'data-testid="confirm"' in client.get(f"/t/acme/members/tags/{tag.id}/delete").get_data(as_text=True)
    assert client.post(f"/t/acme/members/tags/{tag.id}/delete").status_code == 302
    assert tag_ids_of(db, anna.id) == set()


# -- tagging ---------------------------------------------------------------------------------------------------------


def test_bulk_tag_adds_both_tags_to_all_three_and_keeps_existing_ones(members_tenant, add_category, add_tag,
                                                                      add_customer, db):
    group = add_category(members_tenant, "Manual")
    old, first, second = add_tag(group, "Old"), add_tag(group, "First"), add_tag(group, "Second")
    people = [add_customer(members_tenant, n) for n in ("A", "B", "C")]
    apply_tags(db, members_tenant.id, [people[0].id], [old.id], None)
    added = apply_tags(db, members_tenant.id, [p.id for p in people], [first.id, second.id], None)
    db.commit()
    assert added == 6
    assert tag_ids_of(db, people[0].id) == {old.id, first.id, second.id}
    assert all(tag_ids_of(db, p.id) >= {first.id, second.id} for p in people)
    assert apply_tags(db, members_tenant.id, [p.id for p in people], [first.id], None) == 0


def test_tag_list_shows_tagged_people_and_tagged_times(client, staff, members_tenant, add_category, add_tag,
                                                       add_customer, db):
    tag = add_tag(add_category(members_tenant, "Counted"), "Twice")
    anna, ben = add_customer(members_tenant, "Anna"), add_customer(members_tenant, "Ben")
    apply_tags(db, members_tenant.id, [anna.id, ben.id], [tag.id], None)
    remove_tags(db, members_tenant.id, [ben.id], [tag.id], None)
    apply_tags(db, members_tenant.id, [ben.id], [tag.id], None)
    remove_tags(db, members_tenant.id, [anna.id], [tag.id], None)
    db.commit()
    page = client.get("/t/acme/members/tags/").get_data(as_text=True)
    row = page[page.index(f'data-tag-id="{tag.id}"'):]
    assert '<td data-testid="tagged-people">1</td>' in row[:600]
    assert '<td data-testid="tagged-times">3</td>' in row[:600]


def test_automatic_tags_cannot_be_applied_by_hand(members_tenant, add_category, add_tag, add_customer, db):
    tag = add_tag(add_category(members_tenant, "Rules", source="auto"), "Female")
    anna = add_customer(members_tenant, "Anna")
    with pytest.raises(TaggingError):
        apply_tags(db, members_tenant.id, [anna.id], [tag.id], None)


def _employee_membership(db, make_user, tenant, email: str, employee) -> Membership:
    user = make_user(email, tenant, role="employee", scope="all", employee_id=employee.id)
    return db.exec(select(Membership).where(Membership.user_id == user.id)).one()


def test_visibility_by_department_limits_who_sees_and_applies(members_tenant, add_category, add_tag, add_customer,
                                                              add_department, add_employee, make_user, db):
    shanghai = add_department(members_tenant, "Shanghai")
    pudong = add_department(members_tenant, "Pudong", parent=shanghai)
    wuhan = add_department(members_tenant, "Wuhan")
    group = add_category(members_tenant, "Shanghai only")
    tag = add_tag(group, "Local")
    open_tag = add_tag(add_category(members_tenant, "Everyone"), "Open")
    db.add(TagCategoryScope(tenant_id=members_tenant.id, group_id=group.id, department_id=shanghai.id))
    db.commit()
    inside = _employee_membership(db, make_user, members_tenant, "in@acme.test",
                                  add_employee(members_tenant, "Insider", pudong))
    outside = _employee_membership(db, make_user, members_tenant, "out@acme.test",
                                   add_employee(members_tenant, "Outsider", wuhan))
    anna = add_customer(members_tenant, "Anna")
    assert {t.id for t in visible_tags(db, members_tenant.id, inside)} == {tag.id, open_tag.id}
    assert {t.id for t in visible_tags(db, members_tenant.id, outside)} == {open_tag.id}
    with pytest.raises(TaggingError):
        apply_tags(db, members_tenant.id, [anna.id], [tag.id], outside)
    assert carriers(db, tag.id) == set()
    assert apply_tags(db, members_tenant.id, [anna.id], [tag.id], inside) == 1


def test_visibility_by_employee_and_the_scope_form(client, staff, members_tenant, add_category, add_tag,
                                                   add_employee, make_user, db):
    chosen, other = add_employee(members_tenant, "Chosen"), add_employee(members_tenant, "Other")
    group = add_category(members_tenant, "Personal")
    tag = add_tag(group, "Mine")
    response = client.post(f"/t/acme/members/tags/categories/{group.id}/scope", data={"employee_id": [chosen.id]})
    assert response.status_code == 302
    assert tag.id in {t.id for t in visible_tags(db, members_tenant.id, _employee_membership(
        db, make_user, members_tenant, "c@acme.test", chosen))}
    assert tag.id not in {t.id for t in visible_tags(db, members_tenant.id, _employee_membership(
        db, make_user, members_tenant, "o@acme.test", other))}
    assert client.post(f"/t/acme/members/tags/categories/{group.id}/scope",
                       data={"employee_id": ["999999"]}).status_code == 422


# -- isolation -------------------------------------------------------------------------------------------------------


def test_another_tenants_tags_and_customers_are_out_of_reach(client, staff, members_tenant, other_tenant,
                                                             add_category, add_tag, add_customer, db):
    theirs = add_tag(add_category(other_tenant, "Globex"), "Theirs")
    their_customer = add_customer(other_tenant, "Gina")
    ours = add_tag(add_category(members_tenant, "Acme"), "Ours")
    anna = add_customer(members_tenant, "Anna")
    with pytest.raises(TaggingError):
        apply_tags(db, members_tenant.id, [anna.id], [theirs.id], None)
    with pytest.raises(TaggingError):
        apply_tags(db, members_tenant.id, [their_customer.id], [ours.id], None)
    assert client.get(f"/t/acme/members/tags/{theirs.id}/edit").status_code == 404
    assert client.post(f"/t/acme/members/tags/{theirs.id}/delete").status_code == 404
    assert client.post(f"/t/acme/members/tags/categories/{theirs.group_id}/rename",
                       data={"name": "Hacked"}).status_code == 404
    assert "Theirs" not in client.get("/t/acme/members/tags/").get_data(as_text=True)
    assert client.get("/t/globex/members/tags/").status_code == 404  # not a member of globex
    db.commit()
    assert db.exec(select(func.count()).select_from(TagEvent).where(TagEvent.tenant_id == other_tenant.id)).one() == 0
