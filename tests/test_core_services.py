"""Core services: One-ID matching, mobile numbers, customer merge, audiences, encrypted channel credentials."""

from __future__ import annotations

import pytest
from sqlalchemy import text
from sqlmodel import select

from scrm.core.audience import AudienceError, compile_audience, core_filter_types, count_audience
from scrm.core.models import Customer, CustomerIdentity, CustomerTag, IdentityKind, Tag, TagGroup
from scrm.core.services.channels import create_account, credentials
from scrm.core.services.identity import IdentityError, mask_mobile, match_or_create, normalize_mobile
from scrm.core.services.merge import MergeError, merge_customers

# -- One-ID ------------------------------------------------------------------------------------------------------------


def test_one_id_matches_by_unionid_first(db, tenant):
    by_unionid = match_or_create(db, tenant.id, {IdentityKind.UNIONID: "u-1"}).customer
    by_mobile = match_or_create(db, tenant.id, {IdentityKind.MOBILE: "13800000001"}).customer
    result = match_or_create(db, tenant.id, {IdentityKind.MOBILE: "13800000001", IdentityKind.UNIONID: "u-1"})
    assert not result.created
    assert result.customer.id == by_unionid.id != by_mobile.id


def test_one_id_matches_by_mobile_when_no_unionid_matches(db, tenant):
    existing = match_or_create(db, tenant.id, {IdentityKind.MOBILE: "13800000001"}).customer
    result = match_or_create(db, tenant.id, {IdentityKind.MOBILE: "+86 138 0000 0001", IdentityKind.UNIONID: "u-new"})
    assert not result.created
    assert result.customer.id == existing.id
    assert result.linked == [IdentityKind.UNIONID]


def test_one_id_creates_a_customer_when_nothing_matches(db, tenant):
    result = match_or_create(db, tenant.id, {IdentityKind.MOBILE: "13800000001"}, name="Alice", source="api")
    assert result.created
    db.commit()
    customer = db.get(Customer, result.customer.id)
    assert (customer.name, customer.mobile, customer.source) == ("Alice", "13800000001", "api")
    assert db.exec(select(CustomerIdentity.kind)).all() == [IdentityKind.MOBILE]


def test_the_same_unionid_in_two_tenants_makes_two_customers(db, tenant, other_tenant):
    a = match_or_create(db, tenant.id, {IdentityKind.UNIONID: "u-shared"})
    b = match_or_create(db, other_tenant.id, {IdentityKind.UNIONID: "u-shared"})
    db.commit()
    assert a.created and b.created
    assert a.customer.id != b.customer.id
    assert (a.customer.tenant_id, b.customer.tenant_id) == (tenant.id, other_tenant.id)


def test_an_identity_is_unique_per_tenant_kind_and_value(db, tenant):
    from sqlalchemy.exc import IntegrityError

    first = match_or_create(db, tenant.id, {IdentityKind.UNIONID: "u-1"}).customer
    second = match_or_create(db, tenant.id, {IdentityKind.UNIONID: "u-2"}).customer
    db.commit()
    db.add(CustomerIdentity(tenant_id=tenant.id, customer_id=second.id, kind=IdentityKind.UNIONID, value="u-1"))
    with pytest.raises(IntegrityError):
        db.commit()
    db.rollback()
    owners = db.exec(select(CustomerIdentity.customer_id).where(CustomerIdentity.value == "u-1")).all()
    assert owners == [first.id]


# -- mobile numbers ----------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("raw", ["13800000000", "+8613800000000", "+86 138 0000 0000", "0086-138-0000-0000"])
def test_mobile_numbers_are_normalised(raw):
    assert normalize_mobile(raw) == "13800000000"


@pytest.mark.parametrize("raw", ["", "12345", "12800000000", "1380000000a", "+1 13800000000"])
def test_invalid_mobile_numbers_are_refused(raw):
    with pytest.raises(IdentityError):
        normalize_mobile(raw)


def test_mobile_numbers_are_masked():
    assert mask_mobile("13800000000") == "138****0000"
    assert mask_mobile(None) == ""


# -- merge -------------------------------------------------------------------------------------------------------------


@pytest.fixture
def hooks(platform, db, tenant):
    return platform.hooks(db, tenant)


def add_customer(db, tenant, **fields) -> Customer:
    customer = Customer(tenant_id=tenant.id, **fields)
    db.add(customer)
    db.flush()
    return customer


def test_merge_keeps_survivor_fields_and_fills_empty_ones_from_merged(db, tenant, hooks):
    survivor = add_customer(db, tenant, name="Alice", source="wecom", gender=0, mobile=None)
    merged = add_customer(db, tenant, name="Alicia", source="api", gender=2, mobile="13800000001")
    merge_customers(db, hooks, survivor, merged)
    db.commit()
    survivor = db.get(Customer, survivor.id)
    assert (survivor.name, survivor.source) == ("Alice", "wecom")
    assert (survivor.gender, survivor.mobile) == (2, "13800000001")
    assert db.get(Customer, merged.id).merged_into_id == survivor.id


def test_merge_explicit_merged_choice_wins(db, tenant, hooks):
    survivor = add_customer(db, tenant, name="Alice", source="wecom")
    merged = add_customer(db, tenant, name="Alicia", source="api")
    merge_customers(db, hooks, survivor, merged, {"name": "merged", "source": "survivor"})
    assert (survivor.name, survivor.source) == ("Alicia", "wecom")


def test_merge_refuses_customers_of_different_tenants(db, tenant, other_tenant, hooks):
    survivor = add_customer(db, tenant, name="Alice")
    stranger = add_customer(db, other_tenant, name="Bella")
    db.commit()
    with pytest.raises(MergeError):
        merge_customers(db, hooks, survivor, stranger)
    db.rollback()
    assert db.get(Customer, stranger.id).merged_into_id is None


# -- audiences ---------------------------------------------------------------------------------------------------------


@pytest.fixture
def crowd(db, tenant, other_tenant):
    """Customers of acme: source x tag; one merged customer and one of another tenant that must never count."""
    group = TagGroup(tenant_id=tenant.id, name="Level")
    db.add(group)
    db.flush()
    vip, new = Tag(tenant_id=tenant.id, group_id=group.id, name="VIP"), Tag(tenant_id=tenant.id, group_id=group.id,
                                                                               name="New")
    db.add_all([vip, new])
    db.flush()
    spec = [("wecom", [vip]), ("wecom", [new]), ("wecom", []), ("api", [vip]), ("api", [vip, new]), ("sms", [])]
    people = []
    for source, tags in spec:
        customer = add_customer(db, tenant, source=source)
        db.add_all([CustomerTag(tenant_id=tenant.id, customer_id=customer.id, tag_id=t.id) for t in tags])
        people.append((customer, source, {t.id for t in tags}))
    ghost = add_customer(db, tenant, source="wecom")
    db.add(CustomerTag(tenant_id=tenant.id, customer_id=ghost.id, tag_id=vip.id))
    ghost.merged_into_id = people[0][0].id
    add_customer(db, other_tenant, source="wecom")
    db.commit()
    return {"people": people, "vip": vip.id, "new": new.id}


def ids(db, tenant, tree) -> set[int]:
    return set(db.exec(compile_audience(tenant.id, tree, core_filter_types())).scalars())


def expected(crowd, predicate) -> set[int]:
    return {c.id for c, source, tags in crowd["people"] if predicate(source, tags)}


def test_audience_ands_between_conditions(db, tenant, crowd):
    tree = {"conditions": [{"type": "source", "values": ["wecom"]}, {"type": "tag", "values": [crowd["vip"]]}]}
    assert ids(db, tenant, tree) == expected(crowd, lambda s, t: s == "wecom" and crowd["vip"] in t)


def test_audience_ors_within_values(db, tenant, crowd):
    tree = {"conditions": [{"type": "source", "values": ["api", "sms"]}]}
    assert ids(db, tenant, tree) == expected(crowd, lambda s, t: s in ("api", "sms"))
    tree = {"conditions": [{"type": "tag", "values": [crowd["vip"], crowd["new"]]}]}
    assert ids(db, tenant, tree) == expected(crowd, lambda s, t: bool(t))


def test_audience_negate_inverts_one_condition(db, tenant, crowd):
    tree = {"conditions": [{"type": "tag", "values": [crowd["vip"]], "negate": True},
                           {"type": "source", "values": ["wecom", "api"]}]}
    assert ids(db, tenant, tree) == expected(crowd, lambda s, t: crowd["vip"] not in t and s in ("wecom", "api"))


def test_audience_with_an_unknown_type_is_refused(tenant):
    with pytest.raises(AudienceError, match="unknown type 'zodiac'"):
        compile_audience(tenant.id, {"conditions": [{"type": "zodiac", "values": ["leo"]}]}, core_filter_types())


def test_count_audience_equals_a_hand_written_count(db, tenant, crowd):
    tree = {"conditions": [{"type": "tag", "values": [crowd["vip"]]}, {"type": "source", "values": ["sms"],
                                                                        "negate": True}]}
    by_hand = db.execute(text(
        "SELECT count(*) FROM customer c WHERE c.tenant_id = :t AND c.merged_into_id IS NULL AND c.source <> 'sms' "
        "AND EXISTS (SELECT 1 FROM customer_tag ct WHERE ct.customer_id = c.id AND ct.tag_id = :vip)"),
        {"t": tenant.id, "vip": crowd["vip"]}).scalar_one()
    assert count_audience(db, tenant.id, tree, core_filter_types()) == by_hand == 3


# -- channel credentials -----------------------------------------------------------------------------------------------


def test_channel_credentials_are_stored_encrypted_and_decrypt_back(db, platform, tenant):
    secret = {"corp_secret": "very-secret-value-123", "token": "tok-456"}
    account = create_account(db, platform.secrets, tenant.id, "wecom", "Acme", "ww-acme", secret)
    db.commit()
    raw = db.execute(text("SELECT credentials FROM channel_account WHERE id = :id"), {"id": account.id}).scalar_one()
    assert "very-secret-value-123" not in raw and "tok-456" not in raw
    db.expire_all()
    assert credentials(platform.secrets, db.get(type(account), account.id)) == secret


def test_distinct_values_lists_a_tenants_values_once_each_in_order(db, tenant, other_tenant):
    from scrm.core.services.distinct import distinct_values

    for t, sources in ((tenant, ["wecom", "api", "wecom", "sms", "api"]), (other_tenant, ["tmall"])):
        db.add_all([Customer(tenant_id=t.id, name="x", source=s) for s in sources])
    db.commit()
    assert distinct_values(db, Customer.source, Customer.tenant_id, tenant.id) == ["api", "sms", "wecom"]
    assert distinct_values(db, Customer.source, Customer.tenant_id, other_tenant.id) == ["tmall"]
