"""The welcome form in headless Chromium (CSRF on): attachments are picked from the material library (no media id
or URL to type), the variable buttons insert a placeholder at the cursor, and the phone preview follows the text
(variables filled with sample values) and the picked materials; in zh_CN on a 375 px phone screen too."""

from __future__ import annotations

import pytest
from scrm_wecom.welcome.models import WelcomeMessage
from sqlmodel import select
from wecom_livecodes_fixtures import *  # noqa: F403

from scrm.sdk.testing import ADMIN_PASSWORD

pytestmark = pytest.mark.browser

def sign_in(page, email: str, language: str = "en") -> None:
    page.goto("/login")
    page.fill("input[name=email]", email)
    page.fill("input[name=password]", ADMIN_PASSWORD)
    with page.expect_navigation():  # signing in starts a new session: choose the language after it
        page.click("button[type=submit]")
    page.goto(f"/lang/{language}")


def test_materials_variables_and_the_phone_preview(page, world, make_user, db):
    from wecom_materials_fixtures import make_material

    link = make_material(db, world.tenant, "link", title="Spring sale", url="https://shop.example.com/spring")
    make_user("writer@acme.test", world.tenant, role="operator")
    sign_in(page, "writer@acme.test")
    page.goto("/t/acme/wecom/welcome/new")
    assert page.locator("input[name$='media_id'], input[name$='pic_url']").count() == 0  # nothing to type

    form = page.locator("[data-testid=message-form-default]")
    text = form.locator("textarea[name=text]")
    text.fill("Hello , welcome")
    text.evaluate("area => area.setSelectionRange(6, 6)")  # the cursor after "Hello "
    form.locator("[data-insert-variable='{customer_name}']").click()
    assert text.input_value() == "Hello {customer_name}, welcome"
    text.press("End")
    text.type(" from ")
    form.locator("[data-insert-variable='{employee_name}']").click()
    assert text.input_value() == "Hello {customer_name}, welcome from {employee_name}"
    bubble = form.locator("[data-preview-text]")
    assert bubble.inner_text() == "Hello Li Lei, welcome from Wang Fang"

    page.check(f"input[name=material_ids][value='{link.id}']")
    card = form.locator(".phone-card")
    assert card.count() == 1 and "Spring sale" in card.inner_text()

    page.check("input[name=audience][value=all]")
    with page.expect_navigation():
        page.click("form[data-testid=welcome-form] button[type=submit]")
    db.commit()
    [message] = db.exec(select(WelcomeMessage).where(WelcomeMessage.tenant_id == world.tenant.id)).all()
    assert message.content["text"] == "Hello {customer_name}, welcome from {employee_name}"
    assert message.content["attachments"] == [] and message.content["material_ids"] == [link.id]


def test_the_form_in_chinese_on_a_phone(page, world, make_user):
    make_user("phone@acme.test", world.tenant, role="operator")
    page.set_viewport_size({"width": 375, "height": 800})
    sign_in(page, "phone@acme.test", "zh_CN")
    page.goto("/t/acme/wecom/welcome/new")
    form = page.locator("[data-testid=message-form-default]")
    assert form.locator("[data-insert-variable='{customer_name}']").inner_text() == "客户昵称"
    assert form.locator("[data-insert-variable='{employee_name}']").inner_text() == "员工姓名"
    form.locator("textarea[name=text]").fill("你好")
    form.locator("[data-insert-variable='{customer_name}']").click()
    assert form.locator("[data-preview-text]").inner_text() == "你好李雷"
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth + 1")
