"""Core gives message ids, the host translates them: every core message id is in the host's catalogue, one label per
code is shown in the user's language (an unknown code as it is), audience errors and registry reasons render in
Chinese, and plugins register the labels of the codes they add."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from babel.messages.extract import extract_from_dir

from scrm.core.audience import AudienceError, compile_audience, core_filter_types
from scrm.core.labels import label_of, register_labels
from scrm.core.messages import Message
from scrm.hostapp.labels import CORE_MESSAGES, code_label, translate, translated_filter_types

ROOT = Path(__file__).resolve().parents[1]


def core_message_ids() -> set[str]:
    """Every ``N_("...")`` of core, as babel reads it."""
    found = set()
    for _file, _line, message, _comments, _context in extract_from_dir(
            str(ROOT / "core"), method_map=[("**.py", "python")], keywords={"N_": None}):
        found.add(message)
    return found


def test_every_core_message_id_is_listed_for_the_host_catalogue():
    ids = core_message_ids()
    assert {"Tags", "Has identity", "condition %(index)s must be an object", "Manually created"} <= ids
    listed = {str(m._args[0]) if hasattr(m, "_args") else str(m) for m in CORE_MESSAGES}
    assert sorted(ids - listed) == [], "core message ids missing from scrm.hostapp.labels.CORE_MESSAGES"


@pytest.fixture
def in_chinese(app):
    with app.test_request_context("/", headers={"Accept-Language": "zh-CN"}):
        yield


@pytest.fixture
def in_english(app):
    with app.test_request_context("/", headers={"Accept-Language": "en"}):
        yield


def test_code_labels_in_the_users_language(in_chinese):
    assert code_label("customer.source", "manual") == "手动创建"
    assert code_label("identity.kind", "mobile") == "手机号"
    assert code_label("identity.kind", "openid@wx123") == "公众号 OpenID"  # a channel-scoped kind: its kind's label
    assert code_label("audit.action", "tenant.settings") == "修改品牌设置"
    assert code_label("delivery.status", "sent") == "已发送" and code_label("delivery.status", "skipped") == "未发送"
    assert code_label("customer.source", "mystery") == "mystery"  # unknown: as it is
    assert code_label("customer.source", None) == ""


def test_code_labels_in_english(in_english):
    assert code_label("customer.source", "manual") == "Manually created"
    assert code_label("identity.kind", "mobile") == "Mobile"


def test_a_plugin_registers_labels_of_its_codes(in_chinese):
    from flask_babel import lazy_gettext

    register_labels("tests.kind", {"a": lazy_gettext("Mobile"), "b": "Sent"})
    assert label_of("tests.kind", "a") is not None
    assert code_label("tests.kind", "a") == "手机号" and code_label("tests.kind", "b") == "已发送"


def test_filter_labels_and_audience_errors_are_translated(in_chinese):
    labels = {t.key: t.label for t in translated_filter_types(core_filter_types())}
    assert labels["identity"] == "拥有身份" and labels["created"] == "创建时间"
    with pytest.raises(AudienceError) as caught:
        compile_audience(1, {"conditions": [{"type": "nope", "values": [1]}]}, core_filter_types())
    assert str(caught.value) == "condition 1: unknown type 'nope'"  # logs and the API read English
    assert translate(caught.value.message) == "条件 1：未知的条件类型“nope”"
    assert translate(Message("Sent")) == "已发送"


def test_a_blocked_plugins_reason_is_shown_in_chinese(client, admin_user, login):
    login(admin_user)
    client.get("/lang/zh_CN")
    html = client.get("/admin/plugins").get_data(as_text=True)
    assert "需要钩子 API" in html or "需要 hook API" in html, re.findall(r'data-testid="reason">([^<]*)', html)


def test_the_segment_editor_shows_core_audience_errors_in_chinese(in_chinese):
    from scrm_members.segments.audiences import validate_rule

    message = validate_rule(None, 1, {"conditions": [{"type": "source", "values": []}]}, core_filter_types())
    assert message == "条件 1（source）：请至少选择一个值"


def test_the_500_page_is_translated(app, client, db, make_tenant, make_user, login, monkeypatch):
    login(make_user("boss@acme.test", make_tenant("acme", "Acme"), role="tenant_admin"))

    def broken(**_kwargs):
        raise RuntimeError("boom")

    monkeypatch.setitem(app.view_functions, "host.index", broken)
    monkeypatch.setitem(app.config, "PROPAGATE_EXCEPTIONS", False)
    client.get("/lang/zh_CN")
    response = client.get("/")
    assert response.status_code == 500
    html = response.get_data(as_text=True)
    assert "服务器出错了" in html and "Internal Server Error" not in html and "boom" not in html
    client.get("/lang/en")
    assert "Something went wrong on our side" in client.get("/").get_data(as_text=True)
