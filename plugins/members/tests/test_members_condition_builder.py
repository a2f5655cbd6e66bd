# ruff: noqa: F811  (pytest fixtures imported from the area helper module are redefined as test arguments)
"""The condition builder's basic attributes (issue 16 item 2, spec members-1 §6.2–6.4, members-2 acceptance 27):
gender, mobile present, nickname, birthday month/day range and "within N days", age from the birthday (spec: born
1964-05-31 is 59 on 2023-08-31), region and custom fields of every type, each compiled to one SQL query (run on
SQLite and on PostgreSQL with SCRM_TEST_DATABASE_URL); boundaries; empty values refused with a message; a segment
built through the editor (CSRF on) holds exactly the matching customers; counts never cross tenants."""

from __future__ import annotations

import re
from datetime import date

import pytest
from members_segments_fixtures import add_customer, members_tenant, staff  # noqa: F401
from scrm_members.customers.models import CustomField
from scrm_members.segments import attribute_filters as af
from scrm_members.segments.models import Segment, SegmentCategory, SegmentMember
from sqlmodel import select

from scrm.sdk import AudienceError, FilterType, core_filter_types, count_audience

SPEC_TODAY = date(2023, 8, 31)


def types_for(db, tenant, today: date = SPEC_TODAY) -> list[FilterType]:
    """Every basic-attribute type of ``tenant`` with "today" fixed (age and birthday window)."""
    tenant = db.merge(tenant)
    fixed = {"age": af._age(lambda: today), "birthday_within": af._birthday_within(lambda: today)}
    out = []
    for t in af.attribute_filters(tenant):
        out.append(FilterType(t.key, t.label, fixed.get(t.key, t.compile), t.value_kind, t.section, t.choices,
                              t.plugin, t.extra))
    return [*core_filter_types(), *out]


def count(db, tenant, *conditions, today: date = SPEC_TODAY) -> int:
    tree = {"conditions": [{"type": key, "values": values} for key, values in conditions]}
    n = count_audience(db, tenant.id, tree, types_for(db, tenant, today))
    db.commit()
    return n


def born(day: str) -> dict:
    return {"birthday": day}


def test_gender_mobile_nickname_and_region(db, members_tenant, other_tenant, add_customer):
    t = members_tenant
    add_customer(t, "A", gender=2, mobile="13800000001", attributes={"nickname": "小美_99%", "region": "广东/深圳"})
    add_customer(t, "B", gender=1, mobile="", attributes={"nickname": "大壮", "region": "浙江/杭州"})
    add_customer(t, "C", gender=0, attributes={"region": "广东省/广州"})
    add_customer(other_tenant, "X", gender=2, mobile="13800000009", attributes={"nickname": "小美"})
    assert count(db, t, ("gender", [2])) == 1
    assert count(db, t, ("gender", ["1", "2"])) == 2  # OR within a condition
    assert count(db, t, ("mobile_present", ["true"])) == 1  # "" is no mobile
    assert count(db, t, ("mobile_present", ["false"])) == 2
    assert count(db, t, ("nickname", ["小美"])) == 1
    assert count(db, t, ("nickname", ["_99%"])) == 1 and count(db, t, ("nickname", ["9%%"])) == 0  # LIKE escaped
    assert count(db, t, ("nickname", ["壮", "美"])) == 2
    assert count(db, t, ("region", ["广东"])) == 2  # 广东 and 广东省
    assert count(db, t, ("region", ["深圳"])) == 1
    assert count(db, t, ("gender", [2]), ("region", ["杭州"])) == 0  # AND between conditions


def test_age_follows_the_spec_example_and_its_boundaries(db, members_tenant, add_customer):
    t = members_tenant
    add_customer(t, "spec", attributes=born("1964-05-31"))  # 59 on 2023-08-31
    add_customer(t, "turns 59 today", attributes=born("1964-08-31"))
    add_customer(t, "turns 59 tomorrow", attributes=born("1964-09-01"))
    add_customer(t, "no birthday", attributes={})
    add_customer(t, "empty birthday", attributes=born(""))
    assert count(db, t, ("age", [{"min": 59, "max": 59}])) == 2
    assert count(db, t, ("age", [{"min": 60}])) == 0
    assert count(db, t, ("age", [{"max": 58}])) == 1
    assert count(db, t, ("age", [{"min": 58, "max": 58}])) == 1
    assert count(db, t, ("age", [{"min": 0}])) == 3  # customers without a birthday have no age


def test_age_on_29_february(db, members_tenant, add_customer):
    t = members_tenant
    add_customer(t, "leapling", attributes=born("2000-02-29"))
    assert count(db, t, ("age", [{"min": 23}]), today=date(2023, 2, 28)) == 0  # still 22
    assert count(db, t, ("age", [{"min": 23}]), today=date(2023, 3, 1)) == 1
    assert count(db, t, ("age", [{"min": 24, "max": 24}]), today=date(2024, 2, 29)) == 1


def test_birthday_windows_and_their_edges(db, members_tenant, add_customer):
    t = members_tenant
    for day in ("1990-12-29", "1991-12-30", "1985-01-02", "1970-01-03", "2001-06-15"):
        add_customer(t, day, attributes=born(day))
    year_end = date(2026, 12, 30)
    assert count(db, t, ("birthday_within", ["0"]), today=year_end) == 1  # today only
    assert count(db, t, ("birthday_within", ["3"]), today=year_end) == 2  # 12-30 .. 01-02 inclusive
    assert count(db, t, ("birthday_within", ["4"]), today=year_end) == 3
    assert count(db, t, ("birthday_within", ["365"]), today=year_end) == 5
    assert count(db, t, ("birthday_range", [{"from": "12-30", "to": "01-02"}])) == 2  # wraps the new year
    assert count(db, t, ("birthday_range", [{"from": "06-15", "to": "06-15"}])) == 1
    assert count(db, t, ("birthday_range", [{"from": "06-16"}])) == 2  # to the year's end


def test_custom_fields_of_every_type(db, members_tenant, add_customer):
    t = members_tenant
    fields = {}
    for name, kind, options in (("职业", "single_line_text", []), ("积分卡", "number", []), ("入会日", "date", []),
                                ("肤质", "single_select", ["干性", "油性"]), ("爱好", "multi_select", ["跑步", "瑜伽"]),
                                ("门店", "cascade", [{"label": "华东", "children": [{"label": "上海"}]}])):
        field = CustomField(tenant_id=t.id, name=name, field_type=kind, options=options, enabled=True)
        db.add(field)
        db.commit()
        fields[name] = field.key
    add_customer(t, "A", attributes={fields["职业"]: "设计师", fields["积分卡"]: 150, fields["入会日"]: "2024-03-01",
                                     fields["肤质"]: "油性", fields["爱好"]: ["跑步", "瑜伽"],
                                     fields["门店"]: ["华东", "上海"]})
    add_customer(t, "B", attributes={fields["职业"]: "设计", fields["积分卡"]: 99.5, fields["入会日"]: "2024-02-29",
                                     fields["肤质"]: "干性", fields["爱好"]: ["瑜伽"]})
    add_customer(t, "C", attributes={})
    keys = {t_.key for t_ in types_for(db, t)}
    assert {f"{fields['职业']}_contains", f"{fields['职业']}_equals", fields["积分卡"], fields["入会日"],
            fields["肤质"], fields["爱好"], f"{fields['门店']}_contains"} <= keys
    assert count(db, t, (f"{fields['职业']}_contains", ["设计"])) == 2
    assert count(db, t, (f"{fields['职业']}_equals", ["设计"])) == 1
    assert count(db, t, (fields["积分卡"], [{"min": 100}])) == 1
    assert count(db, t, (fields["积分卡"], [{"min": 99.5, "max": 150}])) == 2
    assert count(db, t, (fields["入会日"], [{"from": "2024-03-01"}])) == 1
    assert count(db, t, (fields["入会日"], [{"from": "2024-02-01", "to": "2024-02-29"}])) == 1
    assert count(db, t, (fields["肤质"], ["干性"])) == 1
    assert count(db, t, (fields["爱好"], ["跑步"])) == 1 and count(db, t, (fields["爱好"], ["瑜伽"])) == 2
    assert count(db, t, (f"{fields['门店']}_contains", ["上海"])) == 1
    with pytest.raises(AudienceError, match="not an option"):
        count(db, t, (fields["肤质"], ["中性"]))


@pytest.mark.parametrize(("key", "values", "message"), [
    ("gender", [], "choose at least one value"),
    ("nickname", ["  "], "enter at least one value"),
    ("age", [{"min": 30, "max": 20}], "above the maximum"),
    ("age", [{"min": 151}], "between 0 and 150"),
    ("age", [{}], "a minimum or a maximum"),
    ("birthday_within", ["367"], "between 0 and 366"),
    ("birthday_within", ["soon"], "not a whole number"),
    ("birthday_range", [{"from": "02-30"}], "not a month and day"),
    ("birthday_range", [{"from": "1-5"}], "not a month and day"),
    ("gender", ["7"], "unknown gender"),
])
def test_bad_values_are_refused_with_a_message(db, members_tenant, key, values, message):
    with pytest.raises(AudienceError, match=message):
        count(db, members_tenant, (key, values))


def _csrf(client, url: str) -> str:
    html = client.get(url).get_data(as_text=True)
    return re.search(r'name="csrf-token" content="([^"]+)"', html).group(1)


def test_a_segment_built_in_the_editor_counts_the_right_customers(app, client, db, staff, members_tenant,
                                                                 other_tenant, add_customer):
    t = members_tenant
    women = [add_customer(t, f"W{i}", gender=2, mobile=f"1380000000{i}", attributes={"nickname": f"会员{i}"})
             for i in range(3)]
    add_customer(t, "no mobile", gender=2)
    add_customer(t, "man", gender=1, mobile="13900000000")
    add_customer(other_tenant, "globex woman", gender=2, mobile="13700000000")
    category = SegmentCategory(tenant_id=t.id, kind="dynamic", name="基本属性")
    db.add(category)
    db.commit()
    form = {"name": "有手机的女性", "category_id": category.id, "kind": "dynamic", "mode": "conditions",
            "description": "", "c": ["0", "1"], "c0_type": "gender", "c0_values": ["2"],
            "c1_type": "mobile_present", "c1_values": "true"}
    app.config["WTF_CSRF_ENABLED"] = True
    try:
        assert client.post("/t/acme/members/segments/new", data=form).status_code == 400  # no token
        token = _csrf(client, "/t/acme/members/segments/new")
        estimate = client.post("/t/acme/members/conditions/estimate", data=form, headers={"X-CSRFToken": token})
        assert 'data-testid="estimate-count"' in estimate.get_data(as_text=True)
        assert "Estimated: 3 customers" in estimate.get_data(as_text=True)
        assert "Basic attributes (2)" in estimate.get_data(as_text=True)  # conditions per builder section
        bad = client.post("/t/acme/members/conditions/estimate", headers={"X-CSRFToken": token},
                          data={**form, "c1_type": "age", "c1_min": "40", "c1_max": "20"})
        assert bad.status_code == 422 and "above the maximum" in bad.get_data(as_text=True)
        saved = client.post("/t/acme/members/segments/new", data={**form, "csrf_token": token})
        assert saved.status_code == 302, saved.get_data(as_text=True)[:2000]
    finally:
        app.config["WTF_CSRF_ENABLED"] = False
    db.commit()
    segment = db.exec(select(Segment).where(Segment.name == "有手机的女性")).one()
    members = set(db.exec(select(SegmentMember.customer_id).where(SegmentMember.segment_id == segment.id)))
    db.commit()
    assert members == {w.id for w in women} and segment.member_count == 3
    edit = client.get(f"/t/acme/members/segments/{segment.id}/edit").get_data(as_text=True)
    assert 'hx-trigger="load, change' in edit  # a saved rule shows its count when the editor opens
    assert 'hx-trigger="load' not in client.get("/t/acme/members/segments/new").get_data(as_text=True)


def test_the_editor_offers_the_new_widgets_in_chinese(client, staff, members_tenant):
    html = client.get("/t/acme/members/conditions/row?i=0&c0_type=birthday_range",
                      headers={"Accept-Language": "zh-CN"}).get_data(as_text=True)
    assert 'name="c0_from"' in html and 'placeholder="01-01"' in html
    page = client.get("/t/acme/members/segments/new", headers={"Accept-Language": "zh-CN"}).get_data(as_text=True)
    assert all(word in page for word in ("性别", "年龄", "生日", "昵称包含", "有手机号", "地区包含")), page[:200]
    assert 'hx-trigger="change delay:400ms' in page  # the live count
    assert "<script>" not in page.split("</head>", 1)[-1]  # no inline JS


def test_estimates_never_cross_tenants(client, db, staff, members_tenant, other_tenant, add_customer):
    add_customer(members_tenant, "acme", gender=2, attributes=born("1990-01-01"))
    for i in range(4):
        add_customer(other_tenant, f"globex {i}", gender=2, attributes=born("1990-01-01"))
    form = {"c": ["0", "1"], "c0_type": "gender", "c0_values": ["2"], "c1_type": "age", "c1_min": "18"}
    html = client.post("/t/acme/members/conditions/estimate", data=form).get_data(as_text=True)
    assert "Estimated: 1 customers" in html
    assert count(db, other_tenant, ("gender", [2]), ("age", [{"min": 18}])) == 4


def test_the_editor_explains_a_bad_condition_in_chinese(client, staff, members_tenant):
    form = {"c": ["0"], "c0_type": "age", "c0_min": "40", "c0_max": "20"}
    html = client.post("/t/acme/members/conditions/estimate", data=form,
                       headers={"Accept-Language": "zh-CN", "HX-Request": "true"}).get_data(as_text=True)
    assert "条件 1（年龄（岁））：最小值 40 大于最大值 20" in html, html
    empty = client.post("/t/acme/members/conditions/estimate", data={"c": ["0"], "c0_type": "nickname"},
                        headers={"Accept-Language": "zh-CN", "HX-Request": "true"}).get_data(as_text=True)
    assert 'data-testid="estimate-error"' in empty and "昵称包含" in empty, empty


def test_an_automatic_tag_follows_a_basic_attribute_rule(db, members_tenant, other_tenant, add_customer):
    """Automatic tags use the same conditions: "women aged 30 to 39" tags exactly those, and no other tenant's."""
    from scrm_members.segments.auto_tags import evaluate
    from scrm_members.segments.models import TagMeta

    from scrm.sdk import CustomerTag, Tag, TagGroup

    t = members_tenant
    fits = add_customer(t, "fits", gender=2, attributes=born("1990-01-01"))
    add_customer(t, "too young", gender=2, attributes=born("2000-01-01"))
    add_customer(t, "man", gender=1, attributes=born("1990-01-01"))
    add_customer(other_tenant, "globex", gender=2, attributes=born("1990-01-01"))
    group = TagGroup(tenant_id=t.id, name="自动", source="auto")
    db.add(group)
    db.flush()
    tag = Tag(tenant_id=t.id, group_id=group.id, name="30-39岁女性", source="auto")
    db.add(tag)
    db.flush()
    db.add(TagMeta(tenant_id=t.id, tag_id=tag.id, rule={"conditions": [{"type": "gender", "values": [2]},
                                                       {"type": "age", "values": [{"min": 30, "max": 39}]}]}))
    db.commit()
    result = evaluate(db, t.id, tag, types_for(db, t, date(2026, 12, 6)))
    db.commit()
    assert result.added == 1
    assert set(db.exec(select(CustomerTag.customer_id).where(CustomerTag.tag_id == tag.id))) == {fits.id}
