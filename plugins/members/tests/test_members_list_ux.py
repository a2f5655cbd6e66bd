# ruff: noqa: F811  (pytest fixtures imported from the area helper module are redefined as test arguments)
"""List and form UX of the customers and segments areas: main filters plus "more filters" with checkbox dropdowns,
the bulk blacklist's confirmation, names in a segment linking to the profile, and a segment saved with a new
category created in the same POST."""

from __future__ import annotations

import re

from members_segments_fixtures import (  # noqa: F401
    add_category,
    add_customer,
    add_employee,
    add_tag,
    members_tenant,
    staff,
)
from scrm_members.segments.models import BlacklistEntry, Segment, SegmentCategory, SegmentMember
from sqlmodel import func, select

LIST = "/t/acme/members/customers/"
NEW_SEGMENT = "/t/acme/members/segments/new"


def count(db, model, **where) -> int:
    db.commit()
    query = select(func.count()).select_from(model)
    for key, value in where.items():
        query = query.where(getattr(model, key) == value)
    found = db.exec(query).one()
    db.commit()
    return found


def main_and_more(page: str) -> tuple[str, str]:
    form = page.split('data-testid="customer-filter"', 1)[1].split("</form>", 1)[0]
    main, more = form.split('data-testid="more-filters"', 1)
    return main, more


def test_the_list_shows_main_filters_first_and_the_rest_behind_more_filters(client, staff, members_tenant,
                                                                              add_category, add_tag, add_employee):
    add_tag(add_category(members_tenant, "Skin"), "Dry")
    add_employee(members_tenant, "Wang")
    page = client.get(LIST).get_data(as_text=True)
    main, more = main_and_more(page)
    assert "<select multiple" not in page and " multiple " not in main + more
    assert 'name="f_tag"' in main and 'name="f_owner"' in main and 'name="f_member"' in main
    assert 'name="f_source"' in more and 'name="f_created_from"' in more
    assert 'name="f_source"' not in main and 'name="f_tag"' not in more
    # the choice filters are checkbox dropdowns submitting the same parameter name
    source = more.split('data-testid="filter-source"', 1)[1].split("</details>", 1)[0]
    assert source.count('type="checkbox" name="f_source"') >= 2
    assert re.search(r'<details class="more-filters"[^>]*\sopen', page) is None


def test_more_filters_opens_when_one_of_its_filters_is_set_and_filters_as_before(client, staff, members_tenant,
                                                                                add_customer):
    add_customer(members_tenant, "Anna", source="import")
    add_customer(members_tenant, "Ben", source="manual")
    add_customer(members_tenant, "Cleo", source="wecom")
    response = client.get(LIST, query_string=[("f_source", "import"), ("f_source", "manual")])
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert re.search(r'<details class="more-filters"[^>]*\sopen', page)
    assert ">Anna</a>" in page and ">Ben</a>" in page and ">Cleo</a>" not in page
    main, more = main_and_more(page)
    assert 'name="f_source" value="import" checked' in more and 'name="f_source" value="wecom" checked' not in more
    summary = more.split('data-testid="filter-source"', 1)[1].split("</summary>", 1)[0]
    assert summary.endswith(">Imported, Manually created</span>")


def test_bulk_blacklist_asks_for_confirmation_naming_the_count(client, staff, members_tenant, add_customer, db):
    anna, ben = add_customer(members_tenant, "Anna"), add_customer(members_tenant, "Ben")
    asked = client.post("/t/acme/members/blacklist/add",
                        data={"customer_id": [anna.id, ben.id], "step": "choose", "next": LIST})
    page = asked.get_data(as_text=True)
    assert asked.status_code == 200
    assert "Add these 2 customers to the blacklist?" in page and "Blacklist 2 customers" in page
    assert 'data-testid="reason-error"' not in page
    assert count(db, BlacklistEntry) == 0
    done = client.post("/t/acme/members/blacklist/add",
                       data={"customer_id": [anna.id, ben.id], "reason": "Coupon abuse", "next": LIST})
    assert done.status_code == 302 and count(db, BlacklistEntry) == 2


def test_bulk_blacklist_of_all_matching_customers_takes_the_filter(client, staff, members_tenant, other_tenant,
                                                                   add_customer, db):
    matching = [add_customer(members_tenant, f"Tea {i}") for i in range(3)]
    outside = add_customer(members_tenant, "Coffee")
    foreign = add_customer(other_tenant, "Tea elsewhere")
    selection = {"scope": "filter", "filter_qs": "q=Tea&field=name", "next": LIST}
    asked = client.post("/t/acme/members/blacklist/add", data={**selection, "step": "choose"})
    page = asked.get_data(as_text=True)
    assert asked.status_code == 200
    assert "Add these 3 customers to the blacklist?" in page and "Blacklist 3 customers" in page
    assert 'name="scope" value="filter"' in page and 'name="customer_id"' not in page
    assert count(db, BlacklistEntry) == 0
    done = client.post("/t/acme/members/blacklist/add", data={**selection, "reason": "Coupon abuse"})
    assert done.status_code == 302
    listed = {row.customer_id for row in db.exec(select(BlacklistEntry)).all()}
    assert listed == {c.id for c in matching}
    assert outside.id not in listed and foreign.id not in listed


def test_bulk_blacklist_by_filter_refuses_more_than_its_cap(client, staff, members_tenant, add_customer, db,
                                                            monkeypatch):
    from scrm_members.segments import views_blacklist

    assert views_blacklist.BULK_MAX == 10_000
    monkeypatch.setattr(views_blacklist, "BULK_MAX", 2)
    for i in range(3):
        add_customer(members_tenant, f"Tea {i}")
    selection = {"scope": "filter", "filter_qs": "q=Tea", "next": LIST}
    for step in ({"step": "choose"}, {"reason": "Coupon abuse"}):
        refused = client.post("/t/acme/members/blacklist/add", data={**selection, **step})
        assert refused.status_code == 422
        assert "At most 2 customers can be blacklisted at once: narrow the filter." in refused.get_data(as_text=True)
    assert count(db, BlacklistEntry) == 0
    monkeypatch.setattr(views_blacklist, "BULK_MAX", 3)
    done = client.post("/t/acme/members/blacklist/add", data={**selection, "reason": "Coupon abuse"})
    assert done.status_code == 302 and count(db, BlacklistEntry) == 3


def test_the_list_offers_bulk_blacklist_as_a_confirmation_step(client, staff, members_tenant, add_customer):
    add_customer(members_tenant, "Anna")
    page = client.get(LIST).get_data(as_text=True)
    bulk = page.split('<form id="bulk"', 1)[1].split("</form>", 1)[0]
    assert 'name="step" value="choose"' in bulk and 'data-testid="bulk-blacklist"' in bulk
    assert 'name="reason"' not in bulk  # the reason is asked on the confirmation page


def test_names_in_a_segment_link_to_the_profile(client, staff, members_tenant, add_customer, db):
    anna = add_customer(members_tenant, "Anna")
    category = SegmentCategory(tenant_id=members_tenant.id, kind="static", name="Picked")
    db.add(category)
    db.commit()
    segment = Segment(tenant_id=members_tenant.id, category_id=category.id, kind="static", mode="manual",
                      name="VIP", rule={"conditions": []}, member_count=1)
    db.add(segment)
    db.commit()
    db.add(SegmentMember(tenant_id=members_tenant.id, segment_id=segment.id, customer_id=anna.id))
    db.commit()
    page = client.get(f"/t/acme/members/segments/{segment.id}").get_data(as_text=True)
    row = page.split(f'data-customer-id="{anna.id}"', 1)[1].split("</tr>", 1)[0]
    assert f'<a href="/t/acme/members/customers/{anna.id}" data-testid="profile-link">Anna</a>' in row


def new_segment_form(**extra):
    return {"name": "Members", "kind": "dynamic", "mode": "conditions", "description": "", "c": ["0"],
            "c0_type": "member", "c0_values": ["true"], "category_id": "new", **extra}


def test_a_segment_is_saved_with_a_new_category_in_one_post(client, staff, members_tenant, other_tenant, db):
    response = client.post(NEW_SEGMENT, data=new_segment_form(new_category="Campaigns"))
    assert response.status_code == 302
    category = db.exec(select(SegmentCategory).where(SegmentCategory.name == "Campaigns")).one()
    segment = db.exec(select(Segment).where(Segment.name == "Members")).one()
    assert category.tenant_id == members_tenant.id and category.kind == "dynamic"
    assert segment.category_id == category.id and segment.tenant_id == members_tenant.id
    assert count(db, SegmentCategory, tenant_id=other_tenant.id) == 0


def test_a_bad_new_category_or_a_bad_segment_creates_neither(client, staff, members_tenant, db):
    existing = SegmentCategory(tenant_id=members_tenant.id, kind="dynamic", name="Campaigns")
    db.add(existing)
    db.commit()
    for name in ("", "x" * 31, "Campaigns"):
        refused = client.post(NEW_SEGMENT, data=new_segment_form(new_category=name, name=""))
        page = refused.get_data(as_text=True)
        assert refused.status_code == 422, name
        assert 'data-testid="new-category-error"' in page and 'data-testid="name-error"' in page, name
    # a good category name but a segment without a rule: the category is not kept either (one transaction)
    no_rule = client.post(NEW_SEGMENT, data={**new_segment_form(new_category="Spring"), "c": [], "c0_type": ""})
    assert no_rule.status_code == 422 and 'data-testid="rule-error"' in no_rule.get_data(as_text=True)
    assert 'value="Spring"' in no_rule.get_data(as_text=True)
    assert count(db, SegmentCategory) == 1 and count(db, Segment) == 0
    ok = client.post(NEW_SEGMENT, data=new_segment_form(new_category="x" * 30))
    assert ok.status_code == 302 and count(db, SegmentCategory) == 2


def test_the_form_offers_a_new_category_and_chooses_it_when_there_is_none(client, staff, members_tenant):
    page = client.get(NEW_SEGMENT).get_data(as_text=True)
    assert '<option value="new" selected>' in page and 'name="new_category"' in page
