# ruff: noqa: F811  (pytest fixtures imported from the area helper module are redefined as test arguments)
"""The customer list (spec §3.1, R26): keyword search by field, filters from every contributed filter type compiled
to one query, the count line computed in SQL, keyset pagination newest first, masked mobiles, data scopes, bulk
tagging (acceptance 22) and tenant isolation."""

from __future__ import annotations

from members_customers_fixtures import acme, admin, committed, custom_field, customer, employee, signin  # noqa: F401
from sqlmodel import select

from scrm.core.models import CustomerTag, Department, Tag, TagGroup

LIST = "/t/acme/members/customers/"


def names(page: str, candidates: list[str]) -> set[str]:
    return {n for n in candidates if f">{n}</a>" in page}


def test_the_count_line_splits_members_and_non_members(client, admin, acme, customer):
    for i in range(3):
        customer(acme, f"M{i}", is_member=True)
    for i in range(4):
        customer(acme, f"N{i}")
    page = client.get(LIST).get_data(as_text=True)
    assert "7 customers (members 3, non-members 4)" in page
    filtered = client.get(LIST, query_string={"f_member": "true"}).get_data(as_text=True)
    assert "3 customers (members 3, non-members 0)" in filtered


def test_merged_customers_are_not_listed(client, admin, acme, customer):
    anna = customer(acme, "Anna")
    customer(acme, "Old Anna", merged_into_id=anna.id)
    page = client.get(LIST).get_data(as_text=True)
    assert "1 customer " in page and "Old Anna" not in page


def test_keyword_search_by_name_mobile_and_nickname(client, admin, acme, customer):
    customer(acme, "Anna", mobile="13800000001", extra=("13911112222",), attributes={"nickname": "Sunny"})
    customer(acme, "Ben", mobile="13800000002")
    every = ["Anna", "Ben"]
    assert names(client.get(LIST, query_string={"q": "ann"}).get_data(as_text=True), every) == {"Anna"}
    by_extra = client.get(LIST, query_string={"field": "mobile", "q": "1111"}).get_data(as_text=True)
    assert names(by_extra, every) == {"Anna"}
    by_nick = client.get(LIST, query_string={"field": "nickname", "q": "sun"}).get_data(as_text=True)
    assert names(by_nick, every) == {"Anna"}


def test_filters_are_built_from_the_filter_types_and_anded(client, admin, acme, customer, db):
    group = TagGroup(tenant_id=acme.id, name="Interest")
    db.add(group)
    db.commit()
    vip = Tag(tenant_id=acme.id, group_id=group.id, name="VIP")
    db.add(vip)
    db.commit()
    anna = customer(acme, "Anna", source="import", is_member=True)
    ben = customer(acme, "Ben", source="import")
    customer(acme, "Cleo", source="manual", is_member=True)
    for c in (anna, ben):
        db.add(CustomerTag(tenant_id=acme.id, customer_id=c.id, tag_id=vip.id))
    db.add(Department(tenant_id=acme.id, name="HQ"))
    db.commit()
    page = client.get(LIST).get_data(as_text=True)
    for control in ('name="f_tag"', 'name="f_source"', 'name="f_member"', 'name="f_created_from"',
                    'name="f_department"', 'name="f_owner"'):
        assert control in page
    every = ["Anna", "Ben", "Cleo"]
    tagged = client.get(LIST, query_string={"f_tag": vip.id}).get_data(as_text=True)
    assert names(tagged, every) == {"Anna", "Ben"}
    both = client.get(LIST, query_string={"f_tag": vip.id, "f_member": "true"}).get_data(as_text=True)
    assert names(both, every) == {"Anna"} and "1 customer (members 1, non-members 0)" in both
    sources = client.get(LIST, query_string=[("f_source", "import"), ("f_source", "manual")]).get_data(as_text=True)
    assert names(sources, every) == set(every)


def test_the_department_filter_covers_sub_departments(client, admin, acme, customer, employee, db):
    north = Department(tenant_id=acme.id, name="North")
    db.add(north)
    db.commit()
    store = Department(tenant_id=acme.id, name="Store 1", parent_id=north.id)
    south = Department(tenant_id=acme.id, name="South")
    db.add_all([store, south])
    db.commit()
    ivy = employee(acme, "Ivy", department_id=store.id)
    joe = employee(acme, "Joe", department_id=south.id)
    customer(acme, "Anna", owner_employee_id=ivy.id)
    customer(acme, "Ben", owner_employee_id=joe.id)
    page = client.get(LIST, query_string={"f_department": north.id}).get_data(as_text=True)
    assert names(page, ["Anna", "Ben"]) == {"Anna"}


def test_the_custom_field_filter_matches_select_options(client, admin, acme, customer, custom_field):
    size = custom_field(acme, "尺码", "single_select", options=["S", "M"])
    hobby = custom_field(acme, "爱好", "multi_select", options=["跑步", "读书"])
    customer(acme, "Anna", attributes={size.key: "M", hobby.key: ["读书", "跑步"]})
    customer(acme, "Ben", attributes={size.key: "S", hobby.key: ["跑步"]})
    every = ["Anna", "Ben"]
    by_size = client.get(LIST, query_string={"f_custom_field": f"{size.key}=M"}).get_data(as_text=True)
    assert names(by_size, every) == {"Anna"}
    by_hobby = client.get(LIST, query_string={"f_custom_field": f"{hobby.key}=读书"}).get_data(as_text=True)
    assert names(by_hobby, every) == {"Anna"}


def test_a_malformed_filter_value_is_reported(client, admin, acme, customer):
    customer(acme, "Anna")
    response = client.get(LIST, query_string={"f_tag": "not-a-number"})
    assert response.status_code == 400 and 'role="alert"' in response.get_data(as_text=True)


def test_keyset_pagination_newest_first(client, admin, acme, customer):
    for i in range(55):
        customer(acme, f"C{i:02d}")
    first = client.get(LIST).get_data(as_text=True)
    assert "C54" in first and "C04" not in first and 'data-testid="next-page"' in first
    after = first.split('data-testid="next-page" href="')[1].split('"')[0].replace("&amp;", "&")
    second = client.get(after).get_data(as_text=True)
    assert "C04" in second and "C00" in second and "C54" not in second


def test_mobiles_are_masked_when_the_tenant_masks_them(client, admin, acme, customer, db):
    customer(acme, "Anna", mobile="13812345678")
    assert "138****5678" in client.get(LIST).get_data(as_text=True)
    acme.mask_mobiles = False
    db.merge(acme)
    db.commit()
    assert "13812345678" in client.get(LIST).get_data(as_text=True)


def test_a_user_scoped_to_their_own_customers_sees_only_those(client, acme, customer, employee, make_user, signin):
    ivy = employee(acme, "Ivy")
    customer(acme, "Mine", owner_employee_id=ivy.id)
    customer(acme, "Theirs")
    signin(make_user("ivy@acme.test", acme, role="operator", scope="mine", employee_id=ivy.id))
    page = client.get(LIST).get_data(as_text=True)
    assert names(page, ["Mine", "Theirs"]) == {"Mine"} and "1 customer " in page


def test_another_tenants_customers_never_show(client, admin, acme, other_tenant, customer):
    customer(acme, "Anna")
    customer(other_tenant, "Globex Ben")
    page = client.get(LIST).get_data(as_text=True)
    assert "Globex Ben" not in page and "1 customer " in page


def test_bulk_tag_adds_every_tag_to_every_selected_customer(client, admin, acme, customer, db):
    group = TagGroup(tenant_id=acme.id, name="Manual")
    db.add(group)
    db.commit()
    t1, t2 = Tag(tenant_id=acme.id, group_id=group.id, name="T1"), Tag(tenant_id=acme.id, group_id=group.id, name="T2")
    db.add_all([t1, t2])
    db.commit()
    people = [customer(acme, n) for n in ("A", "B", "C")]
    db.add(CustomerTag(tenant_id=acme.id, customer_id=people[0].id, tag_id=t1.id))
    db.commit()
    ids = [c.id for c in people]
    form = client.post("/t/acme/members/customers/bulk/tag",
                       data={"customer_id": ids, "step": "choose"}).get_data(as_text=True)
    assert "3 customers selected" in form
    response = client.post("/t/acme/members/customers/bulk/tag", data={"customer_id": ids, "tag_id": [t1.id, t2.id]})
    assert response.status_code == 302
    links = committed(db, select(CustomerTag.customer_id, CustomerTag.tag_id).where(CustomerTag.tenant_id == acme.id))
    assert sorted(links) == sorted((c, t) for c in ids for t in (t1.id, t2.id))


def test_bulk_tag_on_the_whole_filter_and_without_tags(client, admin, acme, customer, db):
    group = TagGroup(tenant_id=acme.id, name="Manual")
    db.add(group)
    db.commit()
    tag = Tag(tenant_id=acme.id, group_id=group.id, name="T1")
    db.add(tag)
    db.commit()
    members = [customer(acme, f"M{i}", is_member=True) for i in range(3)]
    customer(acme, "Outsider")
    refused = client.post("/t/acme/members/customers/bulk/tag",
                          data={"scope": "filter", "filter_qs": "f_member=true"})
    assert refused.status_code == 422
    assert committed(db, select(CustomerTag)) == []
    client.post("/t/acme/members/customers/bulk/tag",
                data={"scope": "filter", "filter_qs": "f_member=true", "tag_id": tag.id})
    tagged = committed(db, select(CustomerTag.customer_id).where(CustomerTag.tag_id == tag.id))
    assert sorted(tagged) == sorted(m.id for m in members)


def test_bulk_tag_never_touches_another_tenants_customer(client, admin, acme, other_tenant, customer, db):
    group = TagGroup(tenant_id=acme.id, name="Manual")
    db.add(group)
    db.commit()
    tag = Tag(tenant_id=acme.id, group_id=group.id, name="T1")
    db.add(tag)
    db.commit()
    theirs = customer(other_tenant, "Globex Ben")
    response = client.post("/t/acme/members/customers/bulk/tag", data={"customer_id": theirs.id, "tag_id": tag.id})
    assert response.status_code == 422
    assert committed(db, select(CustomerTag)) == []


def test_the_blacklist_form_posts_to_the_segments_endpoint(client, admin, acme, customer, app):
    customer(acme, "Anna")
    page = client.get(LIST).get_data(as_text=True)
    if "members.segments.blacklist_add" in app.view_functions:
        assert 'data-testid="bulk-blacklist"' in page and "/t/acme/members/blacklist/add" in page
    else:
        assert 'data-testid="bulk-blacklist"' not in page
