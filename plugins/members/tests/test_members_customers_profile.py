# ruff: noqa: F811  (pytest fixtures imported from the area helper module are redefined as test arguments)
"""Create and edit customers (spec §3.2, §3.4, R20, acceptance 13–15): required name and 11-digit mobiles, extra
numbers as identities, duplicate mobiles refused with the owner's name, profile and custom fields validated by their
rules, events and timeline in the same transaction, and tenant isolation."""

from __future__ import annotations

from members_customers_fixtures import acme, admin, committed, custom_field, customer, fresh, signin  # noqa: F401
from sqlmodel import select

from scrm.core.models import Customer, CustomerEvent, CustomerIdentity, Outbox


def customers(db, tenant_id: int) -> list[Customer]:
    return committed(db, select(Customer).where(Customer.tenant_id == tenant_id).order_by(Customer.id))


def test_a_customer_needs_a_name(client, admin, acme, db):
    response = client.post("/t/acme/members/customers/new", data={"name": "", "mobiles": "13800000001"})
    assert response.status_code == 422
    assert 'data-testid="error-name"' in response.get_data(as_text=True)
    assert customers(db, acme.id) == []


def test_a_ten_digit_mobile_is_refused(client, admin, acme, db):
    response = client.post("/t/acme/members/customers/new", data={"name": "Anna", "mobiles": "1380000000"})
    assert response.status_code == 422
    assert "11-digit" in response.get_data(as_text=True)
    assert customers(db, acme.id) == []


def test_name_and_mobile_create_a_manual_non_member(client, admin, acme, db):
    response = client.post("/t/acme/members/customers/new", data={"name": "Anna", "mobiles": "138 0000 0001",
                                                                  "gender": "2"})
    assert response.status_code == 302
    [anna] = customers(db, acme.id)
    assert (anna.name, anna.mobile, anna.source, anna.is_member, anna.gender) == \
        ("Anna", "13800000001", "manual", False, 2)
    page = client.get("/t/acme/members/customers/").get_data(as_text=True)
    assert "1 customer (members 0, non-members 1)" in page
    types = {o.type for o in committed(db, select(Outbox).where(Outbox.tenant_id == acme.id))}
    assert "customer.created" in types
    assert committed(db, select(CustomerEvent.kind).where(CustomerEvent.customer_id == anna.id)) == ["created"]


def test_extra_numbers_become_mobile_identities(client, admin, acme, db):
    client.post("/t/acme/members/customers/new",
                data={"name": "Anna", "mobiles": ["13800000001", "+86 139-0000-0002", ""]})
    [anna] = customers(db, acme.id)
    values = committed(db, select(CustomerIdentity.value).where(CustomerIdentity.customer_id == anna.id,
                                                                CustomerIdentity.kind == "mobile"))
    assert sorted(values) == ["13800000001", "13900000002"]


def test_a_duplicate_mobile_names_the_customer_who_has_it(client, admin, acme, customer, db):
    ben = customer(acme, "Ben Wu", mobile="13800000001")
    response = client.post("/t/acme/members/customers/new", data={"name": "Anna", "mobiles": "13800000001"})
    assert response.status_code == 422
    assert "Ben Wu" in response.get_data(as_text=True) and f"#{ben.id}" in response.get_data(as_text=True)
    assert [c.name for c in customers(db, acme.id)] == ["Ben Wu"]


def test_the_same_mobile_in_another_tenant_is_no_duplicate(client, admin, acme, other_tenant, customer, db):
    customer(other_tenant, "Globex Ben", mobile="13800000001")
    response = client.post("/t/acme/members/customers/new", data={"name": "Anna", "mobiles": "13800000001"})
    assert response.status_code == 302
    assert [c.name for c in customers(db, acme.id)] == ["Anna"]


def test_profile_fields_are_validated(client, admin, acme, db):
    bad = {"name": "Anna", "mobiles": "13800000001", "email": "anna@", "landline": "12345678",
           "qq": "12", "birthday": "2999-01-01"}
    response = client.post("/t/acme/members/customers/new", data=bad)
    page = response.get_data(as_text=True)
    assert response.status_code == 422
    for key in ("email", "landline", "qq", "birthday"):
        assert f'data-testid="error-{key}"' in page
    assert customers(db, acme.id) == []


def test_profile_fields_are_stored_and_shown(client, admin, acme, db):
    data = {"name": "Anna", "mobiles": "13800000001", "email": "anna@example.com", "landline": "021-12345678",
            "qq": "123456", "birthday": "1964-05-31", "nickname": "Annie", "wechat_id": "anna_88",
            "region": "Shanghai/Xuhui"}
    client.post("/t/acme/members/customers/new", data=data)
    [anna] = customers(db, acme.id)
    assert anna.attributes["birthday"] == "1964-05-31" and anna.attributes["landline"] == "021-12345678"
    page = client.get(f"/t/acme/members/customers/{anna.id}").get_data(as_text=True)
    assert "Annie" in page and "anna@example.com" in page


def test_a_required_custom_field_must_be_filled(client, admin, acme, custom_field, db):
    level = custom_field(acme, "会员卡号", required_member=True)
    response = client.post("/t/acme/members/customers/new", data={"name": "Anna", "mobiles": "13800000001"})
    assert response.status_code == 422
    assert f'data-testid="error-{level.key}"' in response.get_data(as_text=True)
    ok = client.post("/t/acme/members/customers/new",
                     data={"name": "Anna", "mobiles": "13800000001", level.key: "VIP001"})
    assert ok.status_code == 302
    assert customers(db, acme.id)[0].attributes[level.key] == "VIP001"


def test_a_disabled_custom_field_is_not_asked(client, admin, acme, custom_field, db):
    hidden = custom_field(acme, "备注", enabled=False, required_member=True)
    page = client.get("/t/acme/members/customers/new").get_data(as_text=True)
    assert hidden.key not in page
    assert client.post("/t/acme/members/customers/new",
                       data={"name": "Anna", "mobiles": "13800000001"}).status_code == 302


def test_text_limit_and_input_types_apply(client, admin, acme, custom_field, db):
    note = custom_field(acme, "备注", max_length=100)
    code = custom_field(acme, "编号", charset=["digits"])
    base = {"name": "Anna", "mobiles": "13800000001"}
    too_long = client.post("/t/acme/members/customers/new", data={**base, note.key: "x" * 101})
    assert too_long.status_code == 422 and f'data-testid="error-{note.key}"' in too_long.get_data(as_text=True)
    letters = client.post("/t/acme/members/customers/new", data={**base, code.key: "12a"})
    assert letters.status_code == 422 and f'data-testid="error-{code.key}"' in letters.get_data(as_text=True)
    assert customers(db, acme.id) == []
    ok = client.post("/t/acme/members/customers/new", data={**base, note.key: "x" * 100, code.key: "123"})
    assert ok.status_code == 302


def test_select_date_number_and_cascade_fields(client, admin, acme, custom_field, db):
    size = custom_field(acme, "尺码", "single_select", options=["S", "M", "L"])
    hobbies = custom_field(acme, "爱好", "multi_select", options=["跑步", "读书", "旅行"])
    visit = custom_field(acme, "到店日", "date")
    spend = custom_field(acme, "预算", "number")
    store = custom_field(acme, "门店", "cascade",
                         options=[{"label": "广东", "children": [{"label": "深圳", "children": []}]}])
    base = {"name": "Anna", "mobiles": "13800000001", "_multi": hobbies.key}
    bad = client.post("/t/acme/members/customers/new", data={
        **base, size.key: "XL", hobbies.key: ["跑步", "游泳"], visit.key: "2024-02-30", spend.key: "abc",
        store.key: "广东"})
    page = bad.get_data(as_text=True)
    assert bad.status_code == 422
    for field in (size, hobbies, visit, spend, store):
        assert f'data-testid="error-{field.key}"' in page
    good = client.post("/t/acme/members/customers/new", data={
        **base, size.key: "M", hobbies.key: ["读书"], visit.key: "2024-02-29", spend.key: "99.5",
        store.key: "广东/深圳"})
    assert good.status_code == 302
    attributes = customers(db, acme.id)[0].attributes
    assert attributes[size.key] == "M" and attributes[hobbies.key] == ["读书"]
    assert attributes[visit.key] == "2024-02-29" and attributes[spend.key] == 99.5
    assert attributes[store.key] == ["广东", "深圳"]


def test_edit_changes_fields_and_mobiles_and_publishes_an_update(client, admin, acme, customer, db):
    anna = customer(acme, "Anna", mobile="13800000001")
    response = client.post(f"/t/acme/members/customers/{anna.id}/edit",
                           data={"name": "Anna Li", "mobiles": ["13900000002"], "gender": "2", "nickname": "AL"})
    assert response.status_code == 302
    anna = fresh(db, Customer, anna.id)
    assert (anna.name, anna.mobile, anna.attributes["nickname"]) == ("Anna Li", "13900000002", "AL")
    numbers = committed(db, select(CustomerIdentity.value).where(CustomerIdentity.customer_id == anna.id))
    assert numbers == ["13900000002"]
    assert "customer.updated" in committed(db, select(Outbox.type).where(Outbox.tenant_id == acme.id))


def test_edit_refuses_another_customers_mobile_and_keeps_everything(client, admin, acme, customer, db):
    anna = customer(acme, "Anna", mobile="13800000001")
    customer(acme, "Ben", mobile="13900000002")
    response = client.post(f"/t/acme/members/customers/{anna.id}/edit",
                           data={"name": "Anna Li", "mobiles": ["13900000002"]})
    assert response.status_code == 422 and "Ben" in response.get_data(as_text=True)
    anna = fresh(db, Customer, anna.id)
    assert (anna.name, anna.mobile) == ("Anna", "13800000001")


def test_pages_of_another_tenants_customer_answer_404(client, admin, acme, other_tenant, customer, db):
    theirs = customer(other_tenant, "Globex Ben", mobile="13800000001")
    for path in (f"/t/acme/members/customers/{theirs.id}", f"/t/acme/members/customers/{theirs.id}/edit",
                 f"/t/acme/members/customers/{theirs.id}/delete"):
        assert client.get(path).status_code == 404
    response = client.post(f"/t/acme/members/customers/{theirs.id}/edit",
                           data={"name": "Hacked", "mobiles": "13900000009"})
    assert response.status_code == 404
    assert fresh(db, Customer, theirs.id).name == "Globex Ben"


def test_the_profile_shows_the_age_from_the_birthday(client, admin, acme, customer):
    from datetime import date

    from scrm_members.customers.profile_views import age_on

    assert age_on("1964-05-31", date(2023, 8, 31)) == 59
    assert age_on("1964-09-01", date(2023, 8, 31)) == 58
    assert age_on("", date(2023, 8, 31)) is None
    anna = customer(acme, "Anna", attributes={"birthday": "1964-05-31"})
    assert 'data-testid="age"' in client.get(f"/t/acme/members/customers/{anna.id}").get_data(as_text=True)


def test_the_profile_shows_panels_identities_tags_and_the_timeline(client, admin, acme, customer, db):
    from scrm.core.models import CustomerTag, Tag, TagGroup

    anna = customer(acme, "Anna", mobile="13800000001")
    group = TagGroup(tenant_id=acme.id, name="G")
    db.add(group)
    db.commit()
    tag = Tag(tenant_id=acme.id, group_id=group.id, name="VIP")
    db.add(tag)
    db.commit()
    db.add(CustomerTag(tenant_id=acme.id, customer_id=anna.id, tag_id=tag.id))
    db.add(CustomerEvent(tenant_id=acme.id, customer_id=anna.id, plugin="other", kind="note", summary="older"))
    db.commit()
    db.add(CustomerEvent(tenant_id=acme.id, customer_id=anna.id, plugin="other", kind="note", summary="newer"))
    db.commit()
    page = client.get(f"/t/acme/members/customers/{anna.id}").get_data(as_text=True)
    assert "VIP" in page and "Mobile: 138****0001" in page  # the identity kind through its label
    timeline = page.split('data-testid="timeline"')[1]
    assert timeline.index("newer") < timeline.index("older")


def test_members_own_timeline_entries_read_in_the_users_language(client, admin, acme, db):
    created = client.post("/t/acme/members/customers/new", data={"name": "Anna", "mobiles": "13800000009"})
    assert created.status_code == 302
    anna = db.exec(select(Customer).where(Customer.tenant_id == acme.id, Customer.name == "Anna")).one()
    db.add(CustomerEvent(tenant_id=acme.id, customer_id=anna.id, plugin="core", kind="merged",
                         summary="merged customer #7", data={"merged_id": 7}))
    db.commit()
    client.get("/lang/en")
    timeline = client.get(f"/t/acme/members/customers/{anna.id}").get_data(as_text=True).split(
        'data-testid="timeline"')[1].split("</ol>")[0]
    assert "Customer created" in timeline and "created (manual)" not in timeline
    assert "Another customer merged into this one" in timeline and "merged customer" not in timeline
    client.get("/lang/zh_CN")
    timeline = client.get(f"/t/acme/members/customers/{anna.id}").get_data(as_text=True).split(
        'data-testid="timeline"')[1].split("</ol>")[0]
    assert "创建客户" in timeline and "另一位客户已合并到此客户" in timeline and "created" not in timeline
    assert "merged" not in timeline
