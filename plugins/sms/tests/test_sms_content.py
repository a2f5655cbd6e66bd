"""The SMS content rules (scrm_sms.content): limits at their boundaries, segments, the marketing format, variables
and the compliance check."""

from __future__ import annotations

import pytest
from scrm_sms import content as c


def codes(issues):
    return [i.code for i in issues]


# -- limits at the boundary ---------------------------------------------------------------------------------------


def test_template_name_30_passes_31_fails():
    assert c.NAME_MAX == 30
    assert c.check_name("名" * 30) == []
    assert codes(c.check_name("名" * 31)) == ["name_too_long"]
    assert codes(c.check_name("   ")) == ["name_required"]


def test_content_494_passes_495_fails():
    assert c.CONTENT_MAX == 494
    assert c.check_body("好" * 494) == []
    issues = c.check_body("好" * 495)
    assert codes(issues) == ["content_too_long"]
    assert issues[0].blocks and "495" in str(issues[0].message)
    assert codes(c.check_body("")) == ["content_required"]


def test_signature_20_passes_21_fails_and_the_limit_is_configurable():
    assert c.SIGNATURE_MAX == 20
    assert c.check_signature_text("签" * 20) == []
    assert codes(c.check_signature_text("签" * 21)) == ["signature_too_long"]
    assert codes(c.check_signature_text("签")) == ["signature_too_short"]
    assert codes(c.check_signature_text("【茶语】")) == ["signature_characters"]
    # the tenant setting moves the limit, never past the bulk form's 30
    assert c.signature_limit({}) == 20
    assert c.signature_limit({"signature_max_length": 30}) == 30
    assert c.signature_limit({"signature_max_length": 99}) == c.SIGNATURE_HARD_MAX == 30
    assert c.signature_limit({"signature_max_length": "x"}) == 20
    assert c.check_signature_text("签" * 30, c.signature_limit({"signature_max_length": 30})) == []
    assert codes(c.check_signature_text("签" * 31, 30)) == ["signature_too_long"]


# -- segments -------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(("length", "expected"), [(1, 1), (70, 1), (71, 2), (134, 2), (135, 3), (201, 3), (202, 4)])
def test_segment_rule_70_then_67(length, expected):
    assert c.SINGLE_SEGMENT == 70 and c.MULTI_SEGMENT == 67
    assert c.segments("字" * length) == expected


def test_segments_count_the_whole_delivered_text():
    # 【茶语】 = 4 characters; 66 characters of body make 70 in all, 67 make 71
    assert c.segments(c.compose("茶语", "好" * 66)) == 1
    assert c.segments(c.compose("茶语", "好" * 67)) == 2
    # marketing: " 回TD退订" adds 6 characters
    assert c.segments(c.compose("茶语", "好" * 60, c.MARKETING)) == 1
    assert c.segments(c.compose("茶语", "好" * 61, c.MARKETING)) == 2
    assert c.segments("") == 0
    # an emoji is two UCS-2 units
    assert c.wire_length("😀") == 2 and c.segments("好" * 69 + "😀") == 2


# -- the delivered text --------------------------------------------------------------------------------------------


def test_marketing_format_is_signature_body_and_unsubscribe():
    assert c.compose("茶语", "新品上市，全场八折", c.MARKETING) == "【茶语】新品上市，全场八折 回TD退订"
    assert c.compose("茶语", "新品上市 回TD退订", c.MARKETING) == "【茶语】新品上市 回TD退订"
    assert c.compose("茶语", "您的订单已发货", c.NOTIFICATION) == "【茶语】您的订单已发货"
    assert c.strip_signature("【茶语】您的订单已发货") == "您的订单已发货"


def test_variables_render_per_recipient():
    body = "${customer_nickname}您好，${employee_name}代表${company_name}邀您品新茶：${link}"
    assert c.variables_in(body) == ["customer_nickname", "employee_name", "company_name", "link"]
    text, n = c.message_for("茶语", body, c.MARKETING, {"customer_nickname": "王女士", "employee_name": "李娜",
                                                         "company_name": "茶语茶馆", "link": "https://s.example/Ab3"})
    assert text == "【茶语】王女士您好，李娜代表茶语茶馆邀您品新茶：https://s.example/Ab3 回TD退订"
    assert n == 1
    assert c.render("${customer_nickname}您好", {}) == "您好"
    assert c.render("${unknown}您好", {"unknown": "x"}) == "${unknown}您好"
    assert c.to_positional("${company_name}：${customer_nickname}，${company_name}") == (
        "{1}：{2}，{1}", ["company_name", "customer_nickname"])
    # estimate: the variables count with their assumed lengths
    assert c.estimate_segments("茶语", "${link}" + "好" * 42, c.NOTIFICATION) == 1  # 4 + 24 + 42 = 70
    assert c.estimate_segments("茶语", "${link}" + "好" * 43, c.NOTIFICATION) == 2


# -- compliance ------------------------------------------------------------------------------------------------------


def test_compliance_blocks_brackets_ids_and_unknown_variables_and_warns_on_topics():
    assert codes(c.check_body("【活动】今日特惠")) == ["brackets_in_content"]
    assert codes(c.check_body("详询QQ 12345678")) == ["contact_id"]
    assert codes(c.check_body("加微信 teashop_2024 领券")) == ["contact_id"]
    assert codes(c.check_body("关注微信公众号领券")) == []
    assert codes(c.check_body("您好${nick}")) == ["unknown_variable"]
    assert codes(c.check_body("您好${customer_nickname")) == ["broken_variable"]
    warnings = c.check_body("年终理财好礼，基金定投")
    assert codes(warnings) == ["topic_investment", "topic_funds"]
    assert not any(i.blocks for i in warnings)
    check = c.check_message("茶语", "年终理财好礼", c.MARKETING, name="活动")
    assert check.ok and len(check.warnings) == 1
    bad = c.check_message("茶语", "好" * 495, "promo", name="名" * 31)
    assert set(bad.by_field()) == {"name", "category", "content"}
    assert bad.issues[0].to_json()["blocking"] is True
