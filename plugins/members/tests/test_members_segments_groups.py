# ruff: noqa: F811  (pytest fixtures imported from the area helper module are redefined as test arguments)
"""Segments (spec A §2.7–2.8, §3.13–3.14, §6, acceptance 24–29): categories per tab, validation, dynamic segments
refreshed daily or on "Update" and frozen when stopped, static snapshots, manual picks, the group profile, export,
the ``segment`` filter type, a count checked against hand-written SQL, and tenant isolation."""

from __future__ import annotations

from members_segments_fixtures import add_customer, members_tenant, staff  # noqa: F401
from scrm_members.segments.jobs import refresh_dynamic_segments
from scrm_members.segments.models import Segment, SegmentCategory, SegmentMember
from sqlalchemy import text
from sqlmodel import func, select

from scrm.core.models import Customer


def category(db, tenant, kind: str = "dynamic", name: str = "Behaviour") -> SegmentCategory:
    row = SegmentCategory(tenant_id=tenant.id, kind=kind, name=name)
    db.add(row)
    db.commit()
    return row


def members_of(db, segment_id: int) -> set[int]:
    """The segment's members as committed by the app (the read transaction is ended, so SQLite's lock is free)."""
    db.commit()
    found = set(db.exec(select(SegmentMember.customer_id).where(SegmentMember.segment_id == segment_id)))
    db.commit()
    return found


def segment_form(cat, name="Members with a name", kind="dynamic", mode="conditions", conditions=None, **extra):
    data = {"name": name, "category_id": cat.id, "kind": kind, "mode": mode, "description": "", **extra}
    for i, (key, values, negate) in enumerate(conditions or []):
        data["c"] = [*data.get("c", []), str(i)]
        data[f"c{i}_type"] = key
        data[f"c{i}_values"] = values
        if negate:
            data[f"c{i}_negate"] = "1"
    return data


def saved(db, name: str) -> Segment:
    db.commit()
    segment = db.exec(select(Segment).where(Segment.name == name)).one()
    db.commit()
    return segment


def test_a_category_name_that_exists_in_the_same_tab_fails(client, staff, members_tenant, db):
    category(db, members_tenant, "dynamic", "Interaction")
    repeat = client.post("/t/acme/members/segments/categories", data={"kind": "dynamic", "name": "Interaction"})
    assert repeat.status_code == 422
    assert "Category names must not repeat." in repeat.get_data(as_text=True)
    other_tab = client.post("/t/acme/members/segments/categories", data={"kind": "static", "name": "Interaction"})
    assert other_tab.status_code == 302
    assert client.post("/t/acme/members/segments/categories", data={"kind": "static", "name": ""}).status_code == 422


def test_categories_are_renamed_and_only_empty_ones_deleted(client, staff, members_tenant, db):
    cat = category(db, members_tenant)
    assert client.post(f"/t/acme/members/segments/categories/{cat.id}/rename", data={"name": "Daily"}).status_code == 302
    client.post("/t/acme/members/segments/new", data=segment_form(cat, conditions=[("member", ["true"], False)]))
    assert client.post(f"/t/acme/members/segments/categories/{cat.id}/delete").status_code == 422
    db.commit()
    db.refresh(cat)
    assert cat.name == "Daily"


def test_description_of_251_fails_250_passes_and_name_and_category_are_required(client, staff, members_tenant, db):
    cat = category(db, members_tenant)
    rule = [("member", ["true"], False)]
    too_long = client.post("/t/acme/members/segments/new", data=segment_form(cat, conditions=rule,
                                                                           description="x" * 251))
    assert too_long.status_code == 422 and 'data-testid="description-error"' in too_long.get_data(as_text=True)
    nameless = client.post("/t/acme/members/segments/new", data=segment_form(cat, name="", conditions=rule))
    assert nameless.status_code == 422 and 'data-testid="name-error"' in nameless.get_data(as_text=True)
    no_category = client.post("/t/acme/members/segments/new", data={**segment_form(cat, conditions=rule),
                                                                      "category_id": ""})
    assert no_category.status_code == 422 and 'data-testid="category-error"' in no_category.get_data(as_text=True)
    no_rule = client.post("/t/acme/members/segments/new", data=segment_form(cat))
    assert no_rule.status_code == 422 and 'data-testid="rule-error"' in no_rule.get_data(as_text=True)
    db.commit()
    assert db.exec(select(func.count()).select_from(Segment)).one() == 0
    ok = client.post("/t/acme/members/segments/new", data=segment_form(cat, conditions=rule, description="y" * 250))
    assert ok.status_code == 302


def test_dynamic_segment_follows_the_daily_run_and_update_and_stops(client, staff, members_tenant, add_customer, db):
    cat = category(db, members_tenant)
    anna = add_customer(members_tenant, "Anna", is_member=True)
    add_customer(members_tenant, "", is_member=True)
    ben = add_customer(members_tenant, "Ben")
    rule = [("member", ["true"], False), ("source", ["nobody"], True)]
    client.post("/t/acme/members/segments/new", data=segment_form(cat, conditions=rule))
    segment = saved(db, "Members with a name")
    assert members_of(db, segment.id) == {anna.id} | {c for c in members_of(db, segment.id) if c != anna.id}
    ben.is_member = True
    db.add(ben)
    db.commit()
    assert ben.id not in members_of(db, segment.id)  # not before the next run
    refresh_dynamic_segments(members_tenant.id)
    assert ben.id in members_of(db, segment.id)
    carl = add_customer(members_tenant, "Carl", is_member=True)
    assert client.post(f"/t/acme/members/segments/{segment.id}/refresh").status_code == 302
    assert carl.id in members_of(db, segment.id)
    assert 'data-testid="confirm"' in client.get(f"/t/acme/members/segments/{segment.id}/stop").get_data(as_text=True)
    assert client.post(f"/t/acme/members/segments/{segment.id}/stop").status_code == 302
    dora = add_customer(members_tenant, "Dora", is_member=True)
    refresh_dynamic_segments(members_tenant.id)
    assert dora.id not in members_of(db, segment.id)
    ben.is_member = False
    db.add(ben)
    db.commit()
    client.post(f"/t/acme/members/segments/{segment.id}/resume")
    refresh_dynamic_segments(members_tenant.id)
    assert dora.id in members_of(db, segment.id) and ben.id not in members_of(db, segment.id)


def test_static_segment_by_conditions_is_a_snapshot(client, staff, members_tenant, add_customer, db):
    cat = category(db, members_tenant, "static", "Snapshots")
    anna = add_customer(members_tenant, "Anna", gender=2)
    client.post("/t/acme/members/segments/new", data=segment_form(cat, name="Women", kind="static",
                                                                  conditions=[("source", ["manual"], False)]))
    segment = saved(db, "Women")
    assert members_of(db, segment.id) == {anna.id}
    later = add_customer(members_tenant, "Bea", gender=2)
    refresh_dynamic_segments(members_tenant.id)
    assert members_of(db, segment.id) == {anna.id}
    assert later.id not in members_of(db, segment.id)


def test_a_manual_static_segment_holds_exactly_the_picked_customers(client, staff, members_tenant, add_customer, db):
    cat = category(db, members_tenant, "static", "Picked")
    people = [add_customer(members_tenant, n) for n in ("Ann", "Bob", "Cy", "Di")]
    assert client.post("/t/acme/members/segments/new", data=segment_form(
        cat, name="Hand picked", kind="static", mode="manual")).status_code == 302
    segment = saved(db, "Hand picked")
    assert members_of(db, segment.id) == set()
    client.post(f"/t/acme/members/segments/{segment.id}/members/add",
                data={"customer_id": [people[0].id, people[2].id, people[3].id]})
    client.post(f"/t/acme/members/segments/{segment.id}/members/remove", data={"customer_id": [people[3].id]})
    assert members_of(db, segment.id) == {people[0].id, people[2].id}
    db.refresh(segment)
    assert segment.member_count == 2
    dynamic = category(db, members_tenant, "dynamic", "No manual")
    assert client.post("/t/acme/members/segments/new", data=segment_form(
        dynamic, name="Bad", kind="dynamic", mode="manual")).status_code == 422


def test_deleting_a_segment_asks_first_and_keeps_the_customers(client, staff, members_tenant, add_customer, db):
    cat = category(db, members_tenant)
    add_customer(members_tenant, "Anna", is_member=True)
    client.post("/t/acme/members/segments/new", data=segment_form(cat, conditions=[("member", ["true"], False)]))
    segment = saved(db, "Members with a name")
    assert 'data-testid="segment-total">1 segments' in client.get("/t/acme/members/segments/").get_data(as_text=True)
    assert 'data-testid="confirm"' in client.get(f"/t/acme/members/segments/{segment.id}/delete").get_data(as_text=True)
    assert client.post(f"/t/acme/members/segments/{segment.id}/delete").status_code == 302
    assert 'data-testid="segment-total">0 segments' in client.get("/t/acme/members/segments/").get_data(as_text=True)
    db.commit()
    assert db.exec(select(func.count()).select_from(Customer)).one() == 1


def test_segment_count_equals_a_hand_written_sql_count(client, staff, members_tenant, other_tenant, add_customer, db):
    cat = category(db, members_tenant)
    for i in range(12):
        add_customer(members_tenant, f"C{i}", is_member=i % 3 == 0, source="import" if i % 2 else "manual")
    merged = add_customer(members_tenant, "Merged", is_member=True, source="import")
    merged.merged_into_id = merged.id - 1
    db.add(merged)
    db.commit()
    add_customer(other_tenant, "Elsewhere", is_member=True, source="import")
    client.post("/t/acme/members/segments/new", data=segment_form(
        cat, name="Imported members", conditions=[("member", ["true"], False), ("source", ["manual"], True)]))
    segment = saved(db, "Imported members")
    expected = db.execute(text(
        "SELECT COUNT(*) FROM customer WHERE tenant_id = :t AND merged_into_id IS NULL AND is_member "
        "AND source <> 'manual'"), {"t": members_tenant.id}).scalar_one()
    assert expected == 2
    assert segment.member_count == expected == len(members_of(db, segment.id))


def test_group_profile_shows_member_share_and_the_segment_filter_type_targets_it(client, staff, members_tenant,
                                                                                add_customer, platform, db):
    cat = category(db, members_tenant, "static", "Profiles")
    for i in range(7):
        add_customer(members_tenant, f"P{i}", is_member=i < 3, gender=2 if i < 4 else 1, source="import")
    client.post("/t/acme/members/segments/new", data=segment_form(
        cat, name="Imported", kind="static", conditions=[("source", ["import"], False)]))
    segment = saved(db, "Imported")
    page = client.get(f"/t/acme/members/segments/{segment.id}").get_data(as_text=True)
    assert "42.86%" in page and "57.14%" in page  # 3 of 7 members, 4 of 7 non-members
    assert 'data-testid="rule-text"' in page
    from scrm.core.audience import count_audience

    types = platform.hooks(db, db.merge(members_tenant)).contribute("audience_filters", tenant=members_tenant)
    assert {"segment", "blacklisted"} <= {t.key for t in types}
    assert count_audience(db, members_tenant.id, {"conditions": [{"type": "segment", "values": [segment.id]}]},
                          types) == 7


def test_members_export_as_csv(client, staff, members_tenant, add_customer, db):
    cat = category(db, members_tenant, "static", "Export")
    add_customer(members_tenant, "Anna", mobile="13800000000")
    client.post("/t/acme/members/segments/new", data=segment_form(
        cat, name="All", kind="static", conditions=[("source", ["manual"], False)]))
    response = client.get(f"/t/acme/members/segments/{saved(db, 'All').id}/export.csv")
    body = response.get_data(as_text=True)
    assert response.mimetype == "text/csv"
    assert "Anna" in body and "138****0000" in body and len(body.strip().splitlines()) == 2
    header, row = [line.split(",") for line in body.lstrip("\ufeff").strip().splitlines()]
    assert header[-1] == "Joined (Asia/Shanghai)" and row[-2] == "Manually created"  # the zone named, the source's label


def test_another_tenants_segments_are_out_of_reach(client, staff, members_tenant, other_tenant, add_customer, db):
    theirs_cat = category(db, other_tenant, "dynamic", "Theirs")
    theirs = Segment(tenant_id=other_tenant.id, category_id=theirs_cat.id, name="Secret", kind="dynamic",
                     rule={"conditions": [{"type": "member", "values": ["true"]}]})
    db.add(theirs)
    db.commit()
    add_customer(other_tenant, "Gina", is_member=True)
    for path in (f"/t/acme/members/segments/{theirs.id}", f"/t/acme/members/segments/{theirs.id}/export.csv",
                 f"/t/acme/members/segments/{theirs.id}/edit"):
        assert client.get(path).status_code == 404
    assert client.post(f"/t/acme/members/segments/{theirs.id}/refresh").status_code == 404
    assert client.post(f"/t/acme/members/segments/{theirs.id}/delete").status_code == 404
    assert client.post(f"/t/acme/members/segments/categories/{theirs_cat.id}/rename",
                       data={"name": "x"}).status_code == 404
    ours = category(db, members_tenant, "dynamic", "Ours")
    response = client.post("/t/acme/members/segments/new", data=segment_form(
        ours, conditions=[("segment", [str(theirs.id)], False)]))
    assert response.status_code == 302
    assert members_of(db, saved(db, "Members with a name").id) == set()
    refresh_dynamic_segments(members_tenant.id)
    assert members_of(db, theirs.id) == set()  # the job of acme never touches globex's segments
    assert "Secret" not in client.get("/t/acme/members/segments/").get_data(as_text=True)


def test_the_member_share_of_acceptance_28(client, staff, members_tenant, db):
    """Acceptance 28: a group of 119 with 49 members shows member share 41.18% and non-member share 58.82%."""
    cat = category(db, members_tenant, "static", "Profiles")
    db.add_all([Customer(tenant_id=members_tenant.id, name=f"会员{i}", is_member=i < 49, source="import")
                for i in range(119)])
    db.commit()
    client.post("/t/acme/members/segments/new", data=segment_form(
        cat, name="Imported", kind="static", conditions=[("source", ["import"], False)]))
    segment = saved(db, "Imported")
    assert len(members_of(db, segment.id)) == 119
    page = client.get(f"/t/acme/members/segments/{segment.id}").get_data(as_text=True)
    assert "41.18%" in page and "58.82%" in page
