# ruff: noqa: F811  (pytest fixtures imported from the area helper module are redefined as test arguments)
"""Field settings (spec §2.6, §3.12, R19, acceptance 14–15): the seven types, a name of at most 8 characters and
unique, default limit 100, at least one input type, disabled and optional for unassigned users by default, options
and cascade trees, system fields read-only, admins only, deleting drops the values, and tenant isolation."""

from __future__ import annotations

import pytest
from members_customers_fixtures import acme, admin, committed, custom_field, customer, fresh, signin  # noqa: F401
from scrm_members.customers.models import CustomField
from sqlmodel import select

from scrm.core.models import Customer

NEW = "/t/acme/members/customers/fields/new"


def fields_of(db, tenant_id: int) -> list[CustomField]:
    return committed(db, select(CustomField).where(CustomField.tenant_id == tenant_id).order_by(CustomField.id))


def test_the_field_list_shows_the_system_fields_read_only(client, admin, acme):
    page = client.get("/t/acme/members/customers/fields").get_data(as_text=True)
    assert 'data-testid="system-fields"' in page
    for label in ("Name", "Mobile", "Birthday", "Landline", "WeChat ID", "QQ", "Region"):
        assert f"<td>{label}</td>" in page


def test_a_nine_character_name_is_refused_and_eight_accepted(client, admin, acme, db):
    base = {"field_type": "single_line_text", "charset": ["letters"]}
    refused = client.post(NEW, data={**base, "name": "ABCDEFGHI"})
    assert refused.status_code == 422 and 'data-testid="error-name"' in refused.get_data(as_text=True)
    assert fields_of(db, acme.id) == []
    assert client.post(NEW, data={**base, "name": "会员卡号会员卡号"}).status_code == 302
    [field] = fields_of(db, acme.id)
    assert field.name == "会员卡号会员卡号"


def test_a_new_field_is_disabled_optional_and_limited_to_100(client, admin, acme, db):
    client.post(NEW, data={"field_type": "multi_line_text", "name": "备注", "charset": ["chinese", "symbols"]})
    [field] = fields_of(db, acme.id)
    assert (field.enabled, field.required_member, field.required_unassigned, field.max_length) == \
        (False, False, False, 100)
    assert field.charset == ["chinese", "symbols"]
    page = client.get(NEW).get_data(as_text=True)
    assert 'name="enabled"' in page and 'name="enabled" checked' not in page and 'value="100"' in page


def test_text_fields_need_an_input_type(client, admin, acme, db):
    response = client.post(NEW, data={"field_type": "single_line_text", "name": "编号"})
    assert response.status_code == 422 and 'data-testid="error-charset"' in response.get_data(as_text=True)
    assert fields_of(db, acme.id) == []


def test_names_are_unique_and_never_a_system_fields_name(client, admin, acme, custom_field, db):
    custom_field(acme, "尺码", "single_select", options=["S"])
    for name in ("尺码", "Mobile"):
        response = client.post(NEW, data={"field_type": "number", "name": name})
        assert response.status_code == 422
    assert len(fields_of(db, acme.id)) == 1


@pytest.mark.parametrize("field_type", ["single_select", "multi_select", "cascade"])
def test_select_and_cascade_fields_need_options(client, admin, acme, db, field_type):
    response = client.post(NEW, data={"field_type": field_type, "name": "选项"})
    assert response.status_code == 422 and 'data-testid="error-options"' in response.get_data(as_text=True)


def test_the_seven_types_can_be_created(client, admin, acme, db):
    forms = [
        {"field_type": "single_line_text", "name": "A", "charset": ["letters"]},
        {"field_type": "multi_line_text", "name": "B", "charset": ["chinese"], "max_length": "300"},
        {"field_type": "single_select", "name": "C", "options": "S\nM\nM\n"},
        {"field_type": "multi_select", "name": "D", "options": "x\ny"},
        {"field_type": "date", "name": "E"},
        {"field_type": "cascade", "name": "F", "options": "广东/深圳/南山\n广东/广州"},
        {"field_type": "number", "name": "G"},
    ]
    for form in forms:
        assert client.post(NEW, data={**form, "enabled": "on"}).status_code == 302
    rows = {f.name: f for f in fields_of(db, acme.id)}
    assert rows["B"].max_length == 300 and rows["C"].options == ["S", "M"]
    assert rows["F"].options[0]["label"] == "广东" and len(rows["F"].options[0]["children"]) == 2
    assert rows["E"].max_length is None and rows["E"].charset == []


def test_an_unknown_type_is_refused(client, admin, acme, db):
    response = client.post(NEW, data={"field_type": "colour", "name": "X"})
    assert response.status_code == 422 and fields_of(db, acme.id) == []


def test_editing_keeps_the_type_and_validates(client, admin, acme, custom_field, db):
    field = custom_field(acme, "编号", charset=["digits"], enabled=False)
    bad = client.post(f"/t/acme/members/customers/fields/{field.id}/edit",
                      data={"name": "编号", "max_length": "0", "charset": ["digits"], "field_type": "number"})
    assert bad.status_code == 422
    ok = client.post(f"/t/acme/members/customers/fields/{field.id}/edit",
                     data={"name": "编号2", "max_length": "20", "charset": ["digits"], "enabled": "on",
                           "field_type": "number"})
    assert ok.status_code == 302
    field = fresh(db, CustomField, field.id)
    assert (field.name, field.max_length, field.enabled, field.field_type) == ("编号2", 20, True, "single_line_text")


def test_deleting_a_field_drops_its_values(client, admin, acme, custom_field, customer, db):
    field = custom_field(acme, "编号")
    keep = custom_field(acme, "备注")
    anna = customer(acme, "Anna", attributes={field.key: "123", keep.key: "ok", "nickname": "A"})
    assert client.post(f"/t/acme/members/customers/fields/{field.id}/delete").status_code == 302
    assert [f.id for f in fields_of(db, acme.id)] == [keep.id]
    assert fresh(db, Customer, anna.id).attributes == {keep.key: "ok", "nickname": "A"}


def test_only_tenant_admins_manage_fields(client, acme, make_user, signin):
    signin(make_user("op@acme.test", acme, role="operator"))
    assert client.get("/t/acme/members/customers/fields").status_code == 403
    assert client.post(NEW, data={"field_type": "number", "name": "X"}).status_code == 403


def test_another_tenants_fields_are_out_of_reach(client, admin, acme, other_tenant, custom_field, db):
    theirs = custom_field(other_tenant, "秘密")
    page = client.get("/t/acme/members/customers/fields").get_data(as_text=True)
    assert "秘密" not in page
    assert client.get(f"/t/acme/members/customers/fields/{theirs.id}/edit").status_code == 404
    assert client.post(f"/t/acme/members/customers/fields/{theirs.id}/delete").status_code == 404
    assert len(fields_of(db, other_tenant.id)) == 1
