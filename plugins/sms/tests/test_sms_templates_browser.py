"""The template, signature and push-statistics pages in headless Chromium: the insert buttons put the variables at
the caret and the counters follow (no inline script), a template is submitted with CSRF on, every page fits a 375px
phone screen, and the pages read Chinese for a Chinese browser."""

from __future__ import annotations

import pytest
from scrm_sms import review
from scrm_sms.signatures.models import SmsSignature
from scrm_sms.smstemplates.models import SmsTemplate
from sqlmodel import select

from scrm.sdk.testing import ADMIN_PASSWORD

pytestmark = pytest.mark.browser


class Desk:
    name = "aliyun"

    def __call__(self, account):
        return self

    def submit_template(self, draft):
        return "SMS_500"

    def submit_signature(self, draft):
        return draft.name


@pytest.fixture
def brand(tenant, enable_plugins, make_channel_account, make_user, db, monkeypatch):
    monkeypatch.setattr(review, "default_provider", Desk())
    enable_plugins(tenant, "sms")
    account = make_channel_account(tenant, "sms", name="阿里云短信", credentials={}, config={})
    signature = SmsSignature(tenant_id=tenant.id, account_id=account.id, text="茶语时光", status="approved",
                             provider_ref="茶语时光")
    db.add(signature)
    db.commit()
    user = make_user("ops@acme.test", tenant, role="operator")
    return account, signature, user


def sign_in(page, email: str, lang: str = "en") -> None:
    page.goto("/login")
    page.fill("input[name=email]", email)
    page.fill("input[name=password]", ADMIN_PASSWORD)
    with page.expect_navigation():
        page.click("button[type=submit]")
    page.goto(f"/lang/{lang}")


def test_insert_buttons_counters_and_submit(page, app, brand, db):
    app.config["WTF_CSRF_ENABLED"] = True
    try:
        _account, signature, user = brand
        sign_in(page, user.email)
        page.goto("/t/acme/sms/templates/new")
        page.fill("input[name=name]", "会员日")
        page.select_option("select[name=signature_id]", str(signature.id))
        page.fill("#sms-content", "您好，会员日全场八折")
        page.evaluate("() => { const a = document.querySelector('#sms-content'); a.selectionStart = a.selectionEnd = 0; }")
        page.click("[data-insert-variable='${customer_nickname}']")
        assert page.input_value("#sms-content") == "${customer_nickname}您好，会员日全场八折"
        assert page.inner_text("[data-counter-for=content]") == "30/494"
        assert page.inner_text("[data-counter-for=name]") == "3/30"
        # 【茶语时光】 6 + nickname estimated 4 + 10 + " 回TD退订" 6 = 26: one message
        assert "1" in page.inner_text("[data-segments-for=content]")
        page.fill("#sms-content", "好" * 60)
        assert "2" in page.inner_text("[data-segments-for=content]")  # 6 + 60 + 6 = 72 > 70
        page.fill("#sms-content", "${customer_nickname}您好，会员日全场八折")
        page.click("button.primary")
        page.wait_for_selector("[data-testid=template-detail]")
        db.expire_all()
        row = db.exec(select(SmsTemplate).where(SmsTemplate.kind == "custom")).one()
        assert (row.status, row.provider_code) == ("pending", "SMS_500")
    finally:
        app.config["WTF_CSRF_ENABLED"] = False


def test_the_pages_fit_a_phone_and_read_chinese(chromium, live_server, brand, db, tenant):
    _account, signature, user = brand
    db.add(SmsTemplate(tenant_id=tenant.id, name="驳回的模板", signature_id=signature.id, account_id=signature.account_id,
                       category="marketing", content="一段很长的短信内容" * 8, status="rejected", reason="内容不明确"))
    db.commit()
    template_id = db.exec(select(SmsTemplate.id).where(SmsTemplate.name == "驳回的模板")).one()
    context = chromium.new_context(base_url=live_server, viewport={"width": 375, "height": 740}, locale="zh-CN")
    page = context.new_page()
    try:
        sign_in(page, user.email, "zh_Hans_CN")
        for path in ("/t/acme/sms/templates/", "/t/acme/sms/templates/?tab=system", "/t/acme/sms/templates/new",
                     f"/t/acme/sms/templates/{template_id}", f"/t/acme/sms/templates/{template_id}/edit",
                     "/t/acme/sms/templates/signatures/", "/t/acme/sms/templates/signatures/new",
                     "/t/acme/sms/statistics/", "/t/acme/sms/statistics/?tab=notification"):
            response = page.goto(path)
            assert response.status == 200, path
            width = page.evaluate("document.documentElement.scrollWidth")
            assert width <= 375, f"{path} is {width}px wide on a 375px screen"
        page.goto("/t/acme/sms/templates/")
        text = page.inner_text("main") if page.locator("main").count() else page.inner_text("body")
        assert "短信模板" in text and "驳回(内容不明确)" in text and "使用次数" in text
        page.goto("/t/acme/sms/statistics/")
        body = page.inner_text("body")
        assert "推送统计" in body and "剩余短信" in body and "营销短信" in body
    finally:
        context.close()
