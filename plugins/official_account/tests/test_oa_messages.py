"""消息管理 (spec §3.7, §4.5, acceptance 19–20): conversations of the last 48 hours per account, replies through the
channel kit (text, quick-reply scripts, materials), the closed reply box, quick-reply scripts (CRUD, enabled switch),
the history of a processed callback, tenant and account isolation, CSRF on."""

from __future__ import annotations

from datetime import timedelta

import pytest
from oa_fixtures import *  # noqa: F403
from oa_fixtures import ORIGINAL_ID, OTHER_APPID
from scrm_official_account.jobs import process_callbacks
from scrm_official_account.messages import service
from scrm_official_account.messages.models import ChatMessage, Conversation, QuickReply
from scrm_official_account.sandbox import message_xml
from sqlmodel import select

from scrm.sdk import InboundCallback, MessageDelivery, utcnow

BASE = "/t/acme/official_account/messages"


@pytest.fixture
def oa(tenant, enable_plugins, make_oa_account):
    enable_plugins(tenant, "official_account")
    return make_oa_account(tenant)


@pytest.fixture
def admin(oa, tenant, oa_admin):
    return oa_admin(tenant)


def talk(db, account, openid: str, hours_ago: float, preview: str = "你好") -> Conversation:
    at = utcnow() - timedelta(hours=hours_ago)
    row = Conversation(tenant_id=account.tenant_id, account_id=account.id, openid=openid, last_inbound_at=at,
                       last_message_at=at, last_preview=preview)
    db.add(row)
    db.add(ChatMessage(tenant_id=account.tenant_id, account_id=account.id, openid=openid, direction="in",
                       msg_type="text", content=preview, source="fan", created_at=at))
    db.commit()
    return row


def deliveries(db, account) -> list[MessageDelivery]:
    db.expire_all()
    return list(db.exec(select(MessageDelivery).where(MessageDelivery.account_id == account.id)))


def test_a_fan_at_47_hours_is_listed_and_answered_at_49_hours_neither(admin, db, oa):
    talk(db, oa, "oFan47", 47, "还在吗")
    talk(db, oa, "oFan49", 49, "很久以前")
    page = admin.get(f"{BASE}/").get_data(as_text=True)
    assert 'data-openid="oFan47"' in page and 'data-openid="oFan49"' not in page
    ok = admin.post(f"{BASE}/{oa.id}/oFan47/reply", {"kind": "text", "content": "在的，请问有什么可以帮您？"})
    assert ok.status_code == 302
    rows = deliveries(db, oa)
    assert [(r.recipient, r.message["kind"], r.message["payload"]["content"]) for r in rows] == [
        ("oFan47", "text", "在的，请问有什么可以帮您？")]
    refused = admin.post(f"{BASE}/{oa.id}/oFan49/reply", {"kind": "text", "content": "您好"})
    assert refused.status_code == 422
    assert "48 小时" in refused.get_data(as_text=True) or "48 hours" in refused.get_data(as_text=True)
    assert len(deliveries(db, oa)) == 1
    closed = admin.get(f"{BASE}/{oa.id}/oFan49").get_data(as_text=True)
    assert 'data-testid="reply-closed"' in closed and "<textarea" not in closed
    open_page = admin.get(f"{BASE}/{oa.id}/oFan47").get_data(as_text=True)
    assert 'data-testid="reply-closed"' not in open_page and "<textarea" in open_page


def test_the_window_is_exactly_48_hours():
    assert service.WINDOW == timedelta(hours=48)
    now = utcnow()
    inside = Conversation(tenant_id=1, account_id=1, openid="x", last_inbound_at=now - timedelta(hours=47, minutes=59))
    outside = Conversation(tenant_id=1, account_id=1, openid="x", last_inbound_at=now - timedelta(hours=48, minutes=1))
    assert service.window_open(inside, now) and not service.window_open(outside, now)


def test_a_reply_needs_content_and_changes_nothing_when_invalid(admin, db, oa):
    talk(db, oa, "oFanA", 1)
    assert admin.post(f"{BASE}/{oa.id}/oFanA/reply", {"kind": "text", "content": "  "}).status_code == 422
    too_long = "好" * (service.TEXT_MAX + 1)
    assert admin.post(f"{BASE}/{oa.id}/oFanA/reply", {"kind": "text", "content": too_long}).status_code == 422
    assert admin.post(f"{BASE}/{oa.id}/oFanA/reply", {"kind": "gif", "content": "x"}).status_code == 422
    assert admin.post(f"{BASE}/{oa.id}/oFanA/reply", {"kind": "image", "material_id": "999"}).status_code == 422
    assert deliveries(db, oa) == []


def test_quick_replies_disabled_ones_are_not_offered_enabled_ones_send_their_content(admin, db, oa, tenant):
    talk(db, oa, "oFanQ", 2)
    assert admin.post(f"{BASE}/scripts/new", {"name": "营业时间", "content": "门店营业时间 10:00-22:00",
                                              "enabled": "on"}).status_code == 302
    assert admin.post(f"{BASE}/scripts/new", {"name": "停用话术", "content": "不应出现"}).status_code == 302
    enabled = db.exec(select(QuickReply).where(QuickReply.name == "营业时间")).one()
    disabled = db.exec(select(QuickReply).where(QuickReply.name == "停用话术")).one()
    assert disabled.enabled is False
    page = admin.get(f"{BASE}/{oa.id}/oFanQ").get_data(as_text=True)
    picker = page.split('data-testid="script-picker"')[1].split("</select>")[0]
    assert "营业时间" in picker and "停用话术" not in picker
    refused = admin.post(f"{BASE}/{oa.id}/oFanQ/reply", {"kind": "script", "script_id": str(disabled.id)})
    assert refused.status_code == 422 and deliveries(db, oa) == []
    sent = admin.post(f"{BASE}/{oa.id}/oFanQ/reply", {"kind": "script", "script_id": str(enabled.id)})
    assert sent.status_code == 302
    assert [r.message["payload"]["content"] for r in deliveries(db, oa)] == ["门店营业时间 10:00-22:00"]
    history = admin.get(f"{BASE}/{oa.id}/oFanQ").get_data(as_text=True)
    assert "门店营业时间 10:00-22:00" in history
    assert admin.post(f"{BASE}/scripts/{disabled.id}/toggle").status_code == 302
    picker = admin.get(f"{BASE}/{oa.id}/oFanQ").get_data(as_text=True).split('data-testid="script-picker"')[1]
    assert "停用话术" in picker.split("</select>")[0]


def test_scripts_are_validated_edited_searched_and_deleted(admin, db):
    assert admin.post(f"{BASE}/scripts/new", {"name": "", "content": "x"}).status_code == 422
    assert admin.post(f"{BASE}/scripts/new", {"name": "名" * 31, "content": "x"}).status_code == 422
    assert admin.post(f"{BASE}/scripts/new", {"name": "名" * 30, "content": ""}).status_code == 422
    assert admin.post(f"{BASE}/scripts/new", {"name": "名", "content": "内" * 601}).status_code == 422
    assert db.exec(select(QuickReply)).all() == []
    assert admin.post(f"{BASE}/scripts/new", {"name": "名" * 30, "content": "内" * 600, "enabled": "on"}
                      ).status_code == 302
    script = db.exec(select(QuickReply)).one()
    assert admin.post(f"{BASE}/scripts/{script.id}/edit", {"name": "会员日", "content": "每周三会员日",
                                                          "enabled": "on"}).status_code == 302
    listing = admin.get(f"{BASE}/scripts?q=会员").get_data(as_text=True)
    assert "每周三会员日" in listing
    assert "每周三会员日" not in admin.get(f"{BASE}/scripts?q=不存在").get_data(as_text=True)
    assert admin.post(f"{BASE}/scripts/{script.id}/delete").status_code == 302
    db.expire_all()
    assert db.exec(select(QuickReply)).all() == []


def test_csrf_is_checked(admin, client, db, oa):
    talk(db, oa, "oFanC", 1)
    assert client.post(f"{BASE}/{oa.id}/oFanC/reply", data={"kind": "text", "content": "x"}).status_code == 400
    assert client.post(f"{BASE}/scripts/new", data={"name": "a", "content": "b"}).status_code == 400
    assert deliveries(db, oa) == [] and db.exec(select(QuickReply)).all() == []


def test_fans_of_one_account_never_show_under_another(admin, db, tenant, oa, make_oa_account):
    other = make_oa_account(tenant, appid=OTHER_APPID, name="门店服务号")
    talk(db, oa, "oOnlyA", 1)
    talk(db, other, "oOnlyB", 1)
    page_a = admin.get(f"{BASE}/?account={oa.id}").get_data(as_text=True)
    page_b = admin.get(f"{BASE}/?account={other.id}").get_data(as_text=True)
    assert "oOnlyA" in page_a and "oOnlyB" not in page_a
    assert "oOnlyB" in page_b and "oOnlyA" not in page_b
    assert admin.get(f"{BASE}/{other.id}/oOnlyA").status_code == 404
    assert admin.post(f"{BASE}/{other.id}/oOnlyA/reply", {"kind": "text", "content": "x"}).status_code == 404
    assert deliveries(db, other) == []


def test_another_tenants_accounts_conversations_and_scripts_are_404(admin, db, oa, other_tenant, enable_plugins,
                                                                   make_oa_account):
    enable_plugins(other_tenant, "official_account")
    theirs = make_oa_account(other_tenant, name="别家的号")
    talk(db, theirs, "oTheirFan", 1)
    script = QuickReply(tenant_id=other_tenant.id, name="别家话术", content="x")
    db.add(script)
    db.commit()
    assert admin.get(f"{BASE}/?account={theirs.id}").status_code == 404
    assert admin.get(f"{BASE}/{theirs.id}/oTheirFan").status_code == 404
    assert admin.post(f"{BASE}/{theirs.id}/oTheirFan/reply", {"kind": "text", "content": "x"}).status_code == 404
    assert admin.get(f"{BASE}/scripts/{script.id}/edit").status_code == 404
    assert admin.post(f"{BASE}/scripts/{script.id}/toggle").status_code == 404
    assert admin.post(f"{BASE}/scripts/{script.id}/delete").status_code == 404
    assert "别家话术" not in admin.get(f"{BASE}/scripts").get_data(as_text=True)
    assert "oTheirFan" not in admin.get(f"{BASE}/").get_data(as_text=True)
    assert deliveries(db, theirs) == []


def test_pages_are_404_while_the_plugin_is_disabled(tenant, oa_admin):
    admin = oa_admin(tenant)
    assert admin.get(f"{BASE}/").status_code == 404
    assert admin.get(f"{BASE}/scripts").status_code == 404


def test_employees_cannot_open_the_pages(oa, tenant, oa_admin):
    assert oa_admin(tenant, role="employee").get(f"{BASE}/").status_code in (302, 403)


def test_a_processed_callback_opens_the_conversation_with_its_history_and_passive_reply(client, db, oa, fire):
    from scrm_official_account.events import EVENT_TEXT
    from scrm_official_account.replies import Reply, reply_handler, unregister

    @reply_handler(EVENT_TEXT, order=1)
    def hello(ctx):
        return Reply.text("欢迎光临", source="test")

    try:
        assert fire(oa, message_xml(ORIGINAL_ID, "oNewFan", "text", Content="有优惠吗", MsgId="7001")).status_code == 200
        assert fire(oa, message_xml(ORIGINAL_ID, "oNewFan", "event", Event="subscribe")).status_code == 200
    finally:
        unregister(hello)
    ids = [row.id for row in db.exec(select(InboundCallback).where(InboundCallback.account_id == oa.id))]
    process_callbacks(oa.tenant_id, inbound_ids=ids)
    process_callbacks(oa.tenant_id, inbound_ids=ids)  # a redelivery changes nothing
    db.expire_all()
    conversation = db.exec(select(Conversation).where(Conversation.account_id == oa.id)).one()
    assert conversation.openid == "oNewFan" and conversation.last_preview == "有优惠吗"
    messages = db.exec(select(ChatMessage).where(ChatMessage.account_id == oa.id).order_by(ChatMessage.id)).all()
    assert [(m.direction, m.content, m.source) for m in messages] == [("in", "有优惠吗", "fan"),
                                                                       ("out", "欢迎光临", "passive:test")]
    rows, total = service.conversations(db, oa.tenant_id, oa.id)
    assert total == 1 and rows[0].conversation.openid == "oNewFan"
