# ruff: noqa: F811  (pytest fixtures imported from the area helper module are redefined as test arguments)
"""Merging customers (spec §3.5, R18, acceptance 16–18): the primary's values win, its empty fields are filled from
the other customer, the user may choose field by field, WeCom friends are never merged away, the merged customer's
tags, identities and transfer history move, and tenant isolation."""

from __future__ import annotations

from members_customers_fixtures import acme, admin, committed, customer, employee, fresh, signin  # noqa: F401
from scrm_members.customers.models import TransferRecord
from sqlmodel import select

from scrm.core.models import Customer, CustomerIdentity, CustomerTag, Tag, TagGroup

MERGE = "/t/acme/members/customers/merge"


def test_the_primary_keeps_its_values_and_empty_ones_are_filled(client, admin, acme, customer, db):
    a = customer(acme, "Anna Import", mobile="13800000001", source="import")
    b = customer(acme, "Anna", attributes={"birthday": "1990-01-02"})
    group = TagGroup(tenant_id=acme.id, name="G")
    db.add(group)
    db.commit()
    tag = Tag(tenant_id=acme.id, group_id=group.id, name="VIP")
    db.add(tag)
    db.commit()
    db.add(CustomerTag(tenant_id=acme.id, customer_id=a.id, tag_id=tag.id))
    db.commit()
    assert "2 customers" in client.get("/t/acme/members/customers/").get_data(as_text=True)
    form = client.get(MERGE, query_string={"a": a.id, "b": b.id})
    assert form.status_code == 200 and 'data-testid="merge-form"' in form.get_data(as_text=True)
    response = client.post(MERGE, data={"a": a.id, "b": b.id, "primary": "b"})
    assert response.status_code == 302
    survivor, merged = fresh(db, Customer, b.id), fresh(db, Customer, a.id)
    assert (survivor.name, survivor.mobile, survivor.attributes["birthday"]) == ("Anna", "13800000001", "1990-01-02")
    assert merged.merged_into_id == b.id
    assert committed(db, select(CustomerTag.customer_id).where(CustomerTag.tag_id == tag.id)) == [b.id]
    assert committed(db, select(CustomerIdentity.customer_id).where(CustomerIdentity.value == "13800000001")) == [b.id]
    page = client.get("/t/acme/members/customers/").get_data(as_text=True)
    assert "1 customer " in page and "Anna Import" not in page


def test_a_field_choice_overrides_the_primary(client, admin, acme, customer, db):
    a = customer(acme, "Anna Li", mobile="13800000001")
    b = customer(acme, "Anna")
    client.post(MERGE, data={"a": a.id, "b": b.id, "primary": "b", "keep.name": "a"})
    assert fresh(db, Customer, b.id).name == "Anna Li"


def test_a_custom_attribute_choice_is_honoured(client, admin, acme, customer, db):
    a = customer(acme, "A", mobile="13800000001", attributes={"nickname": "From A"})
    b = customer(acme, "B", attributes={"nickname": "From B"})
    client.post(MERGE, data={"a": a.id, "b": b.id, "primary": "b", "keep.attributes.nickname": "a"})
    assert fresh(db, Customer, b.id).attributes["nickname"] == "From A"


def test_a_wecom_friend_cannot_be_merged_away(client, admin, acme, customer, db):
    friend = customer(acme, "Friend", mobile="13800000001", extra=())
    db.add(CustomerIdentity(tenant_id=acme.id, customer_id=friend.id, kind="external_userid@wwcorp", value="wm1"))
    db.commit()
    other = customer(acme, "Other", mobile="13800000002")
    detail = client.get(f"/t/acme/members/customers/{friend.id}").get_data(as_text=True)
    assert 'data-testid="merge-link"' not in detail
    response = client.post(MERGE, data={"a": friend.id, "b": other.id, "primary": "b"})
    assert response.status_code == 422 and "WeCom friend" in response.get_data(as_text=True)
    assert fresh(db, Customer, friend.id).merged_into_id is None
    ok = client.post(MERGE, data={"a": friend.id, "b": other.id, "primary": "a"})
    assert ok.status_code == 302 and fresh(db, Customer, other.id).merged_into_id == friend.id


def test_merging_a_customer_with_itself_or_nobody_is_refused(client, admin, acme, customer, db):
    a = customer(acme, "A", mobile="13800000001")
    same = client.post(MERGE, data={"a": a.id, "b": a.id})
    assert same.status_code == 422
    missing = client.post(MERGE, data={"a": a.id, "b": "999999"})
    assert missing.status_code == 422
    assert fresh(db, Customer, a.id).merged_into_id is None


def test_customers_can_be_picked_by_mobile(client, admin, acme, customer, db):
    a = customer(acme, "A", mobile="13800000001")
    b = customer(acme, "B", mobile="13800000002")
    response = client.post(MERGE, data={"a": "13800000001", "b": "13800000002"})
    assert response.status_code == 302
    assert fresh(db, Customer, a.id).merged_into_id == b.id


def test_transfer_history_moves_to_the_survivor(client, admin, acme, customer, employee, db):
    ivy = employee(acme, "Ivy")
    a = customer(acme, "A", mobile="13800000001")
    b = customer(acme, "B")
    db.add(TransferRecord(tenant_id=acme.id, customer_id=a.id, to_employee_id=ivy.id))
    db.commit()
    client.post(MERGE, data={"a": a.id, "b": b.id})
    assert committed(db, select(TransferRecord.customer_id)) == [b.id]


def test_another_tenants_customer_cannot_be_merged(client, admin, acme, other_tenant, customer, db):
    mine = customer(acme, "Mine", mobile="13800000001")
    theirs = customer(other_tenant, "Theirs", mobile="13800000002")
    response = client.post(MERGE, data={"a": theirs.id, "b": mine.id})
    assert response.status_code == 422
    by_mobile = client.post(MERGE, data={"a": "13800000002", "b": mine.id})
    assert by_mobile.status_code == 422
    assert fresh(db, Customer, theirs.id).merged_into_id is None


def test_the_merge_of_acceptance_16_moves_orders_and_group_memberships(client, admin, acme, customer, db):
    """Acceptance 16: A (imported, mobile set, birthday empty) into primary B (mobile empty, birthday set): B's name,
    A's mobile, B's birthday; A's tag, order and group membership resolve to the survivor; the count drops by 1."""
    from scrm_members.loyalty.models import Order
    from scrm_members.segments.models import Segment, SegmentCategory, SegmentMember

    a = customer(acme, "王芳（导入）", mobile="13800000001", source="import")
    b = customer(acme, "王芳", attributes={"birthday": "1990-01-02"})
    group = TagGroup(tenant_id=acme.id, name="会员价值")
    category = SegmentCategory(tenant_id=acme.id, kind="static", name="客户人群包")
    db.add_all([group, category])
    db.commit()
    tag = Tag(tenant_id=acme.id, group_id=group.id, name="高价值")
    segment = Segment(tenant_id=acme.id, category_id=category.id, name="导入客户", kind="static", mode="manual",
                      member_count=1)
    db.add_all([tag, segment])
    db.commit()
    db.add_all([CustomerTag(tenant_id=acme.id, customer_id=a.id, tag_id=tag.id),
                SegmentMember(tenant_id=acme.id, segment_id=segment.id, customer_id=a.id, added_by="manual"),
                Order(tenant_id=acme.id, customer_id=a.id, source="tmall", order_no="TM0001", paid_cents=12800,
                      goods_cents=12800, item_count=1)])
    db.commit()
    assert "2 customers" in client.get("/t/acme/members/customers/").get_data(as_text=True)
    assert client.post(MERGE, data={"a": a.id, "b": b.id, "primary": "b"}).status_code == 302
    survivor = fresh(db, Customer, b.id)
    assert (survivor.name, survivor.mobile, survivor.attributes["birthday"]) == ("王芳", "13800000001", "1990-01-02")
    assert committed(db, select(CustomerTag.customer_id).where(CustomerTag.tag_id == tag.id)) == [b.id]
    assert committed(db, select(Order.customer_id).where(Order.order_no == "TM0001")) == [b.id]
    assert committed(db, select(SegmentMember.customer_id).where(SegmentMember.segment_id == segment.id)) == [b.id]
    page = client.get("/t/acme/members/customers/").get_data(as_text=True)
    assert "1 customer " in page and "王芳（导入）" not in page
