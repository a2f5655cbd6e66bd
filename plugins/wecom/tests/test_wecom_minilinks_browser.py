""""Insert mini program link" in headless Chromium (CSRF on, the host's Content-Security-Policy: the script is a
file of the plugin, no inline script): a picked link goes in at the cursor and the welcome's phone preview follows,
a malformed pasted link and a link that would pass the text's length are refused on the page, and the saved
welcome keeps the text with its link."""

from __future__ import annotations

import pytest
from scrm_wecom.welcome.models import WelcomeMessage
from sqlmodel import select
from wecom_livecodes_fixtures import *  # noqa: F403

from scrm.sdk.testing import ADMIN_PASSWORD

pytestmark = pytest.mark.browser
LINK = "#小程序://零售小商铺/首页/Ab12Cd34"


def sign_in(page, email: str, language: str = "en") -> None:
    page.goto("/login")
    page.fill("input[name=email]", email)
    page.fill("input[name=password]", ADMIN_PASSWORD)
    with page.expect_navigation():
        page.click("button[type=submit]")
    page.goto(f"/lang/{language}")


def test_the_button_inserts_a_chosen_or_pasted_link_at_the_cursor(page, world, make_user, db):
    from wecom_materials_fixtures import make_material

    make_material(db, world.tenant, "miniprogram", title="会员商城", text_link=LINK)
    make_user("writer@acme.test", world.tenant, role="operator")
    errors: list[str] = []
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.set_default_timeout(15_000)
    sign_in(page, "writer@acme.test")
    page.goto("/t/acme/wecom/welcome/new")
    form = page.locator("[data-testid=message-form-default]")
    text = form.locator("textarea[name=text]")
    text.fill("Hi , welcome")
    text.evaluate("area => area.setSelectionRange(3, 3)")  # the cursor after "Hi "
    box = form.locator("[data-minilink]")
    box.locator("[data-minilink-open]").click()
    assert box.locator("[data-minilink-panel]").is_visible()
    box.locator("[data-minilink-choice]").select_option(LINK)
    box.locator("[data-minilink-insert]").click()
    assert text.input_value() == f"Hi {LINK}, welcome"
    assert not box.locator("[data-minilink-panel]").is_visible()
    assert LINK in form.locator("[data-preview-text]").inner_text()  # the phone preview follows

    box.locator("[data-minilink-open]").click()
    box.locator("[data-minilink-paste]").fill("#小程序://零售小商铺/首页")  # cut short
    box.locator("[data-minilink-insert]").click()
    assert box.locator("[data-minilink-error]").is_visible()
    assert text.input_value() == f"Hi {LINK}, welcome"

    text.fill("字" * (4000 // 3 - 5))  # a link of 44 bytes no longer fits the 4,000 bytes
    box.locator("[data-minilink-paste]").fill("#小程序://甲店/X9y8Z7w6")
    box.locator("[data-minilink-insert]").click()
    assert box.locator("[data-minilink-error]").is_visible()
    assert "#小程序" not in text.input_value()

    text.fill("Shop here: ")
    box.locator("[data-minilink-paste]").fill("#小程序://甲店/X9y8Z7w6")
    box.locator("[data-minilink-insert]").click()
    assert text.input_value() == "Shop here: #小程序://甲店/X9y8Z7w6"
    page.check("input[name=audience][value=all]")
    with page.expect_navigation():
        page.click("form[data-testid=welcome-form] button[type=submit]")
    db.commit()
    [message] = db.exec(select(WelcomeMessage).where(WelcomeMessage.tenant_id == world.tenant.id)).all()
    assert message.content["text"] == "Shop here: #小程序://甲店/X9y8Z7w6"
    assert not [e for e in errors if "Content Security Policy" in e], errors
