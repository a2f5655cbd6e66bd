"""个人素材 in the chat sidebar, headless Chromium on a 375 px phone in Chinese: the employee adds a poster (a real
upload through the form), sends it, the customer's open is counted on the card, and the employee deletes it after
confirming; nothing scrolls sideways."""

from __future__ import annotations

import json
import re

import pytest
from scrm_wecom.materials.models import PERSONAL, Material
from sqlmodel import select
from wecom_materials_fixtures import *  # noqa: F403
from wecom_materials_fixtures import fresh, png

pytestmark = pytest.mark.browser
PHONE = {"width": 375, "height": 740}


def no_horizontal_scroll(page) -> bool:
    return page.evaluate("document.documentElement.scrollWidth <= 375")


def test_an_employee_adds_sends_and_deletes_an_own_poster_on_a_phone(db, chromium, live_server, world, tmp_path):
    poster = tmp_path / "my-poster.png"
    poster.write_bytes(png((300, 400)))
    context = chromium.new_context(base_url=live_server, viewport=PHONE, locale="zh-CN")
    page = context.new_page()
    page.set_default_timeout(15_000)
    try:
        page.goto(f"/p/acme/wecom/sidebar/?account={world.account.id}")
        page.click("text=Zhang San")
        page.wait_for_selector("[data-testid=sidebar]")
        page.click("[data-testid=tab-personal]")
        assert page.locator(".sb-tabs a[aria-current]").inner_text() == "个人素材"
        assert no_horizontal_scroll(page)
        page.click("[data-testid=personal-add] summary")
        form = page.locator("[data-testid=personal-form]")
        form.locator("input[name=kind][value=poster]").check()
        form.locator("input[name=title]").fill("我的到店海报")
        form.locator("input[name=file]").set_input_files(str(poster))
        assert no_horizontal_scroll(page)
        with page.expect_navigation():
            form.locator("[data-testid=personal-save]").click()
        fresh(db)
        [mine] = db.exec(select(Material).where(Material.scope == PERSONAL)).all()
        card = page.locator(f"[data-material-id='{mine.id}']")
        assert "我的到店海报" in card.inner_text() and "今日浏览 0 · 总浏览 0" in card.inner_text()

        card.locator("button[data-send-material]").click()
        page.wait_for_selector("[data-status]:not([hidden])")
        [message] = json.loads(page.locator("[data-testid=sidebar]").get_attribute("data-last-send"))
        assert message["msgtype"] == "news" and message["news"]["title"] == "我的到店海报"
        customer = context.new_page()
        customer.goto(re.sub(r"^https?://[^/]+", live_server, message["news"]["link"]))
        customer.wait_for_selector("[data-testid=material-page] img[data-testid=poster]")
        customer.close()
        page.reload()
        card = page.locator(f"[data-material-id='{mine.id}']")
        assert "今日浏览 1 · 总浏览 1" in card.inner_text()

        page.once("dialog", lambda dialog: dialog.dismiss())  # asked first: no, keep it
        card.locator("button[data-delete-material]").click()
        assert card.count() == 1
        page.once("dialog", lambda dialog: dialog.accept())
        with page.expect_navigation():
            card.locator("button[data-delete-material]").click()
        assert page.locator(f"[data-material-id='{mine.id}']").count() == 0
        assert no_horizontal_scroll(page)
        fresh(db)
        assert db.get(Material, mine.id).deleted_at is not None
    finally:
        context.close()
