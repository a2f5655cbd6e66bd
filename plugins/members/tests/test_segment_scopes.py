"""Segments apply the user's data scope: an operator limited to their own customers (or their department's) cannot
see, count or export anybody else's through a segment's detail, members, export, picker, membership changes, the
segment cards or the estimate; a tenant admin (scope all) still sees every member."""

from __future__ import annotations

import csv
import io

import pytest
from members_segments_fixtures import members_tenant  # noqa: F401
from scrm_members.segments.models import Segment, SegmentCategory, SegmentKind, SegmentMember, SegmentMode
from sqlmodel import select

from scrm.core.models import Customer, Department, Employee

NAMES = ("Lead-customer", "Clerk-customer", "South-customer")
SOURCE_RULE = {"c": ["0"], "c0_type": "source", "c0_text": "scopetest"}


@pytest.fixture
def org(db, members_tenant):  # noqa: F811
    """North (lead) > North shop (clerk), South (other); one customer each, all in a dynamic segment by conditions
    and in a segment picked by hand."""
    tenant = members_tenant
    north = Department(tenant_id=tenant.id, name="North")
    south = Department(tenant_id=tenant.id, name="South")
    db.add_all([north, south])
    db.flush()
    shop = Department(tenant_id=tenant.id, name="North shop", parent_id=north.id)
    db.add(shop)
    db.flush()
    staff = {key: Employee(tenant_id=tenant.id, userid=key, name=key.title(), department_id=dept.id)
             for key, dept in (("lead", north), ("clerk", shop), ("other", south))}
    db.add_all(staff.values())
    db.flush()
    customers = {}
    for name, owner in zip(NAMES, ("lead", "clerk", "other"), strict=True):
        customers[name] = Customer(tenant_id=tenant.id, name=name, mobile=f"1380000000{len(customers)}",
                                   source="scopetest", owner_employee_id=staff[owner].id)
    outsider = Customer(tenant_id=tenant.id, name="Outsider-customer", source="elsewhere",
                        owner_employee_id=staff["other"].id)
    db.add_all([*customers.values(), outsider])
    dynamic_cat = SegmentCategory(tenant_id=tenant.id, kind=SegmentKind.DYNAMIC.value, name="Dyn")
    static_cat = SegmentCategory(tenant_id=tenant.id, kind=SegmentKind.STATIC.value, name="Stat")
    db.add_all([dynamic_cat, static_cat])
    db.flush()
    rule = {"conditions": [{"type": "source", "values": ["scopetest"]}]}
    dynamic = Segment(tenant_id=tenant.id, category_id=dynamic_cat.id, name="All scopetest",
                      kind=SegmentKind.DYNAMIC.value, mode=SegmentMode.CONDITIONS.value, rule=rule, member_count=3)
    manual = Segment(tenant_id=tenant.id, category_id=static_cat.id, name="Picked", kind=SegmentKind.STATIC.value,
                     mode=SegmentMode.MANUAL.value, rule={"conditions": []}, member_count=3)
    db.add_all([dynamic, manual])
    db.flush()
    for segment in (dynamic, manual):
        db.add_all([SegmentMember(tenant_id=tenant.id, segment_id=segment.id, customer_id=c.id)
                    for c in customers.values()])
    db.commit()
    return {"staff": staff, "customers": customers, "outsider": outsider, "dynamic": dynamic, "manual": manual}


@pytest.fixture(params=["mine", "department", "admin"])
def viewer(request, make_user, members_tenant, org, login):  # noqa: F811
    """A signed-in user and the customer names they may see."""
    if request.param == "admin":
        user = make_user("boss@acme.test", members_tenant, role="tenant_admin")
        expected = set(NAMES)
    elif request.param == "mine":
        user = make_user("clerk@acme.test", members_tenant, scope="mine", employee_id=org["staff"]["clerk"].id)
        expected = {"Clerk-customer"}
    else:
        user = make_user("lead@acme.test", members_tenant, scope="department", employee_id=org["staff"]["lead"].id)
        expected = {"Lead-customer", "Clerk-customer"}
    login(user)
    return request.param, expected


def shown(html: str) -> set[str]:
    return {name for name in NAMES if name in html}


def member_names(db, segment_id: int) -> set[str]:
    return set(db.exec(select(Customer.name).join(SegmentMember, SegmentMember.customer_id == Customer.id)
                       .where(SegmentMember.segment_id == segment_id)))


def test_segment_detail_lists_and_counts_only_visible_members(client, org, viewer):
    _scope, expected = viewer
    for segment in (org["dynamic"], org["manual"]):
        html = client.get(f"/t/acme/members/segments/{segment.id}").get_data(as_text=True)
        assert shown(html) == expected
        assert f'data-testid="member-count">{len(expected)}<' in html


def test_segment_cards_count_only_visible_members(client, org, viewer):
    _scope, expected = viewer
    html = client.get("/t/acme/members/segments/?kind=dynamic").get_data(as_text=True)
    assert f'<span class="value">{len(expected)}</span>' in html


def test_segment_export_holds_only_visible_members(client, org, viewer):
    _scope, expected = viewer
    response = client.get(f"/t/acme/members/segments/{org['dynamic'].id}/export.csv")
    assert response.status_code == 200
    rows = list(csv.reader(io.StringIO(response.get_data(as_text=True))))
    assert {row[1] for row in rows[1:]} == expected


def test_estimate_counts_only_visible_customers(client, org, viewer):
    _scope, expected = viewer
    response = client.post("/t/acme/members/conditions/estimate", data=SOURCE_RULE)
    assert response.status_code == 200
    assert f"Estimated: {len(expected)} customers" in response.get_data(as_text=True)


def test_the_picker_offers_only_visible_customers(client, org, viewer):
    _scope, expected = viewer
    html = client.get(f"/t/acme/members/segments/{org['manual'].id}?q=customer").get_data(as_text=True)
    offered = {name for name in NAMES if f'> {name} ' in html or f"> {name}<" in html}
    assert offered == expected


def test_adding_a_customer_out_of_scope_changes_nothing(client, db, org, viewer, members_tenant):  # noqa: F811
    scope, _expected = viewer
    manual = org["manual"]
    db.exec(SegmentMember.__table__.delete().where(SegmentMember.segment_id == manual.id))
    db.commit()
    response = client.post(f"/t/acme/members/segments/{manual.id}/members/add",
                           data={"customer_id": [str(org["customers"]["South-customer"].id)]})
    assert response.status_code == 302
    db.expire_all()
    assert member_names(db, manual.id) == ({"South-customer"} if scope == "admin" else set())


def test_removing_a_customer_out_of_scope_changes_nothing(client, db, org, viewer):
    scope, _expected = viewer
    manual = org["manual"]
    client.post(f"/t/acme/members/segments/{manual.id}/members/remove",
                data={"customer_id": [str(org["customers"]["South-customer"].id)]})
    db.expire_all()
    remaining = member_names(db, manual.id)
    assert ("South-customer" in remaining) is (scope != "admin")


def test_tag_metrics_count_only_visible_customers(client, db, org, viewer, members_tenant):  # noqa: F811
    from scrm_members.segments.models import TagEvent

    from scrm.core.models import CustomerTag, Tag, TagGroup

    _scope, expected = viewer
    group = TagGroup(tenant_id=members_tenant.id, name="Scope", source="manual")
    db.add(group)
    db.flush()
    tag = Tag(tenant_id=members_tenant.id, group_id=group.id, name="Everyone", source="manual")
    db.add(tag)
    db.flush()
    for customer in org["customers"].values():
        db.add(CustomerTag(tenant_id=members_tenant.id, customer_id=customer.id, tag_id=tag.id))
        db.add(TagEvent(tenant_id=members_tenant.id, customer_id=customer.id, tag_id=tag.id))
    db.commit()
    html = client.get("/t/acme/members/tags/").get_data(as_text=True)
    assert f'data-testid="tagged-people">{len(expected)}<' in html
    assert f'data-testid="tagged-times">{len(expected)}<' in html


def test_segment_products_count_only_visible_buyers(client, db, org, viewer, members_tenant):  # noqa: F811
    from scrm_members.loyalty.models import Order, OrderItem

    from scrm.sdk import utcnow

    _scope, expected = viewer
    for number, customer in enumerate(org["customers"].values()):
        order = Order(tenant_id=members_tenant.id, source="store", order_no=f"SC-{number}", customer_id=customer.id,
                      item_count=1, goods_cents=1000, paid_cents=1000, paid_at=utcnow())
        db.add(order)
        db.flush()
        db.add(OrderItem(tenant_id=members_tenant.id, order_id=order.id, line_no=1, product_code="SKU-SCOPE",
                         product_name="Scope cream", quantity=1, unit_price_cents=1000, paid_cents=1000))
    db.commit()
    response = client.get(f"/t/acme/members/segments/{org['dynamic'].id}/products.csv")
    assert response.status_code == 200
    header, *rows = list(csv.reader(io.StringIO(response.get_data(as_text=True).lstrip("\ufeff"))))
    assert len(rows) == 1
    assert rows[0][header.index("Buyers")] == str(len(expected))
    html = client.get(f"/t/acme/members/segments/{org['dynamic'].id}").get_data(as_text=True)
    assert f"segment&#39;s {len(expected)} customers bought" in html or f"segment's {len(expected)} customers" in html


def test_level_holders_count_only_visible_customers(client, db, org, viewer, members_tenant):  # noqa: F811
    from scrm_members.loyalty.models import CustomerLevel, MemberLevel

    _scope, expected = viewer
    level = MemberLevel(tenant_id=members_tenant.id, name="Scope gold", rank=90)
    db.add(level)
    db.flush()
    db.add_all([CustomerLevel(tenant_id=members_tenant.id, customer_id=c.id, level_id=level.id)
                for c in org["customers"].values()])
    db.commit()
    html = client.get("/t/acme/members/levels/").get_data(as_text=True)
    assert f'f_member_level={level.id}">{len(expected)}</a>' in html


def test_stage_board_counts_only_visible_customers(client, db, org, viewer, members_tenant):  # noqa: F811
    from scrm_members.loyalty.models import Stage, StageMembership

    _scope, expected = viewer
    stage = db.exec(select(Stage).where(Stage.tenant_id == members_tenant.id).order_by(Stage.ordinal)).first()
    if stage is None:
        stage = Stage(tenant_id=members_tenant.id, ordinal=1, name="Scope stage", entry_rule={})
        db.add(stage)
        db.flush()
    db.add_all([StageMembership(tenant_id=members_tenant.id, customer_id=c.id, stage_id=stage.id)
                for c in org["customers"].values()])
    db.commit()
    html = client.get("/t/acme/members/stages/").get_data(as_text=True)
    card = html.split(f'data-stage="{stage.id}"', 1)[1].split("</section>", 1)[0]
    assert f"{len(expected)} in this stage" in card
    assert f"New: {len(expected)}" in card
