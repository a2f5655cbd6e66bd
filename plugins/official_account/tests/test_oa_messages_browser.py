"""消息管理 in headless Chromium on a 375 px phone (an operator at the counter): the conversation list, a
conversation with the reply box switching between text and a quick-reply script, the script's content sent, and
the closed box of a conversation past 48 hours; no horizontal scrolling, no console errors (CSP: JS from files)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from oa_fixtures import *  # noqa: F403
from scrm_official_account.messages.models import ChatMessage, Conversation, QuickReply
from sqlmodel import select

from scrm.sdk import MessageDelivery, utcnow
from scrm.sdk.testing import ADMIN_PASSWORD

pytestmark = pytest.mark.browser


def no_horizontal_scroll(page) -> bool:
    return page.evaluate("document.documentElement.scrollWidth <= window.innerWidth + 1")


def talk(db, account, openid: str, hours_ago: float, text: str) -> None:
    at = utcnow() - timedelta(hours=hours_ago)
    db.add(Conversation(tenant_id=account.tenant_id, account_id=account.id, openid=openid, last_inbound_at=at,
                        last_message_at=at, last_preview=text))
    db.add(ChatMessage(tenant_id=account.tenant_id, account_id=account.id, openid=openid, direction="in",
                       msg_type="text", content=text, source="fan", created_at=at))
    db.commit()


def test_an_operator_answers_a_fan_with_a_script_on_a_phone(chromium, live_server, db, tenant, enable_plugins,
                                                            make_oa_account, make_user):
    enable_plugins(tenant, "official_account")
    account = make_oa_account(tenant)
    talk(db, account, "oPhoneFan", 3, "请问今天门店几点关门？这是一条很长很长很长很长很长很长很长很长很长很长的消息")
    talk(db, account, "oOldFan", 49, "上周的问题")
    db.add(QuickReply(tenant_id=tenant.id, name="营业时间", content="门店营业时间为每天 10:00-22:00。"))
    db.commit()
    make_user("counter@acme.test", tenant, role="operator")
    context = chromium.new_context(base_url=live_server, viewport={"width": 375, "height": 740}, locale="zh-CN")
    page = context.new_page()
    errors: list[str] = []
    page.on("response", lambda r: errors.append(f"{r.status} {r.url}") if r.status >= 400 else None)
    try:
        page.goto("/login")
        page.fill("input[name=email]", "counter@acme.test")
        page.fill("input[name=password]", ADMIN_PASSWORD)
        with page.expect_navigation():
            page.click("button[type=submit]")
        page.goto("/t/acme/official_account/messages/")
        listed = page.locator("[data-testid=conversations] li[data-openid]")
        assert listed.count() == 1 and listed.first.get_attribute("data-openid") == "oPhoneFan"
        assert no_horizontal_scroll(page)
        listed.first.locator("a").click()
        page.wait_for_selector("[data-testid=reply-box] form")
        assert no_horizontal_scroll(page)
        assert page.is_visible("textarea[name=content]") and not page.is_visible("select[name=script_id]")
        page.check("input[name=kind][value=script]")
        assert page.is_visible("select[name=script_id]") and not page.is_visible("textarea[name=content]")
        page.click("[data-testid=reply-box] button[type=submit]")
        page.wait_for_selector(".oa-msg.out")
        assert "门店营业时间为每天 10:00-22:00。" in page.inner_text("[data-testid=history]")
        assert no_horizontal_scroll(page)
        page.goto(f"/t/acme/official_account/messages/{account.id}/oOldFan")
        assert "48 小时" in page.inner_text("[data-testid=reply-closed]")
        assert page.locator("[data-testid=reply-box] form").count() == 0
        assert errors == []
    finally:
        context.close()
    db.expire_all()
    assert [d.message["payload"]["content"] for d in db.exec(select(MessageDelivery))] == ["门店营业时间为每天 10:00-22:00。"]
