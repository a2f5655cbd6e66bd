"""素材管理 in headless Chromium, in Chinese, on a 375 px phone screen: an image uploaded through the file input, a
two-article news material made in the editor (a missing cover refused in place), its preview, and a refused delete
of the image its article uses as cover."""

from __future__ import annotations

import pytest
from oa_fixtures import *  # noqa: F403
from oa_materials_support import png
from scrm_official_account.materials.models import Material, NewsArticle
from sqlmodel import select

from scrm.sdk.testing import ADMIN_PASSWORD, follow_menu

pytestmark = pytest.mark.browser


def no_horizontal_scroll(page) -> bool:
    return page.evaluate("document.documentElement.scrollWidth <= window.innerWidth + 1")


def test_an_operator_makes_materials_in_chinese_on_a_phone(page, db, tmp_path, tenant, enable_plugins, oa_sandbox,
                                                          make_oa_account, make_user):
    base, _control = oa_sandbox
    enable_plugins(tenant, "official_account")
    make_oa_account(tenant, api_base=base)
    make_user("sucai@acme.test", tenant, role="operator")
    page.set_viewport_size({"width": 375, "height": 800})
    page.goto("/lang/zh_CN")
    page.goto("/login")
    page.fill("input[name=email]", "sucai@acme.test")
    page.fill("input[name=password]", ADMIN_PASSWORD)
    with page.expect_navigation():
        page.click("button[type=submit]")
    page.goto("/t/acme/")
    follow_menu(page, "official_account.materials.index")
    assert page.locator("h1").inner_text() == "素材管理"

    page.click("[data-testid=material-tabs] a[data-tab=image]")
    poster = tmp_path / "冬季海报.png"
    poster.write_bytes(png())
    page.set_input_files("form[data-testid=upload-form] input[type=file]", str(poster))
    page.click("form[data-testid=upload-form] button[type=submit]")
    page.wait_for_selector("table[data-testid=material-list] tr[data-material-id]")
    # the thumbnail loads after the page: wait (bounded) for the image to decode before reading its size
    page.wait_for_function("(() => { const img = document.querySelector('table[data-testid=material-list] img');"
                           " return img && img.complete && img.naturalWidth > 0; })()", timeout=10_000)
    assert page.evaluate("document.querySelector('table[data-testid=material-list] img').naturalWidth") == 64
    assert no_horizontal_scroll(page)

    page.click("[data-testid=material-tabs] a[data-tab=news]")
    page.click("text=新建图文素材")
    page.fill("input[name='articles-0-title']", "冬季新品上市")
    page.fill("textarea[name='articles-0-digest']", "三款限定色号")
    page.fill("textarea[name='articles-0-content']", "<p>新品<b>限时</b>九折</p>")
    page.fill("input[name='articles-0-content_source_url']", "https://brand.example.com/winter")
    page.click("button[value=add_article]")
    page.wait_for_selector("input[name='articles-1-title']")
    assert page.input_value("input[name='articles-0-title']") == "冬季新品上市"
    page.fill("input[name='articles-1-title']", "会员日")
    page.fill("textarea[name='articles-1-content']", "<p>每月 8 日</p>")
    page.fill("input[name='articles-1-content_source_url']", "https://brand.example.com/member-day")
    page.select_option("select[name='articles-0-cover_id']", index=1)
    page.click("button[value=save]")
    page.wait_for_selector("[data-error='1.cover_id']")  # the second article has no cover yet
    assert "每篇图文都需要封面" in page.locator("[data-error='1.cover_id']").inner_text()
    assert no_horizontal_scroll(page)
    page.select_option("select[name='articles-1-cover_id']", index=1)
    page.click("button[value=save]")
    page.wait_for_selector("table[data-testid=material-list] tr[data-material-id]")
    assert "2 篇文章" in page.locator("table[data-testid=material-list]").inner_text()

    page.click("table[data-testid=material-list] a:has-text('冬季新品上市')")
    page.wait_for_selector("article[data-article='1']")
    assert page.locator("article[data-article='0'] .article-content b").inner_text() == "限时"
    db.rollback()
    news = db.exec(select(Material).where(Material.kind == "news")).one()
    assert [a.title for a in db.exec(select(NewsArticle).where(NewsArticle.material_id == news.id)
                                     .order_by(NewsArticle.position))] == ["冬季新品上市", "会员日"]

    page.goto("/t/acme/official_account/materials/?tab=image")
    page.click("table[data-testid=material-list] button[data-action=delete]")
    page.wait_for_selector("[data-error=delete]")
    assert "素材使用中" in page.locator("[data-error=delete]").inner_text()
    assert no_horizontal_scroll(page)
