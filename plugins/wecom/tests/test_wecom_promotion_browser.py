"""The employee's promotion page in headless Chromium at 375 px, in zh_CN: the poster image loads, the exclusive
link, the progress and rank are shown in Chinese, the reward code appears once reached, and nothing is wider than
the screen."""

from __future__ import annotations

from datetime import timedelta

import pytest
from scrm_wecom.accounts import list_accounts
from scrm_wecom.client import WeComClient
from scrm_wecom.promotion import service
from wecom_livecodes_fixtures import *  # noqa: F403
from wecom_promotion_fixtures import *  # noqa: F403
from wecom_promotion_fixtures import add_friend, participant

from scrm.sdk import local_today

pytestmark = pytest.mark.browser


def _activity(db, platform, world):
    """Created through the service (the live server serves with CSRF on; the form has its own tests)."""
    today = local_today()
    data = service.ActivityInput(name="双12门店拉新", account_id=world.account.id, start=today,
                                 end=today + timedelta(days=6), all_employees=True,
                                 description="邀请顾客扫码加企业微信，送冬季暖饮券", standard_count=2, reward="code")
    values = service.validate(db, world.tenant.id, data, list_accounts(db, world.tenant.id), today)
    with WeComClient.for_account(world.account, platform) as client:
        activity = service.create(db, client, platform.secrets, world.tenant.id, values)
    db.commit()
    return activity


def test_the_employee_page_fits_a_phone_in_chinese(page, db, platform, world):
    activity = _activity(db, platform, world)
    zhang = participant(db, activity, world.employees["zhangsan"])
    add_friend(db, platform, world, zhang, "wmLily")
    page.set_viewport_size({"width": 375, "height": 812})
    page.goto("/lang/zh_CN")  # the language an employee's phone asks for
    page.goto(f"/p/acme/wecom/promotion/{zhang.token}")
    assert page.locator("h1").inner_text() == "双12门店拉新"
    progress = page.locator("[data-testid=promotion-progress]").inner_text()
    assert "我的推广进度" in progress and "位新好友" in progress and "排名第 1 / 共 2 人" in progress
    assert page.locator("[data-testid=promotion-count]").inner_text() == "1"
    image = page.locator("[data-testid=promotion-poster-image]")
    image.scroll_into_view_if_needed()
    page.wait_for_function("document.querySelector('[data-testid=promotion-poster-image]').naturalWidth > 0",
                           timeout=10_000)
    assert image.bounding_box()["width"] <= 375
    assert page.get_by_text("下载海报").is_visible()
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= 375, width
    add_friend(db, platform, world, zhang, "wmMia")
    page.reload()
    assert "恭喜，您已达标。" in page.locator("[data-testid=promotion-achieved]").inner_text()
    assert "奖励码" in page.locator("[data-testid=promotion-reward]").inner_text()


def test_the_details_page_draws_the_daily_trend_in_chinese(page, db, platform, world, make_user):
    from test_wecom_livecodes_browser import sign_in

    activity = _activity(db, platform, world)
    zhang = participant(db, activity, world.employees["zhangsan"])
    add_friend(db, platform, world, zhang, "wmLily")
    make_user("trend@acme.test", world.tenant, role="operator")
    page.goto("/lang/zh_CN")
    sign_in(page, "trend@acme.test")
    page.goto(f"/t/acme/wecom/promotion/{activity.id}")
    trend = page.locator("[data-testid=promotion-trend]")
    assert "每日推广结果" in trend.locator("h2").inner_text()
    page.wait_for_function("() => window.Chart !== undefined"
                           " && window.Chart.getChart(document.getElementById('promotion-trend-chart')) !== undefined",
                           timeout=10_000)
    drawn = page.evaluate("(() => { const c = window.Chart.getChart(document.getElementById('promotion-trend-chart'));"
                          " return [c.config.type, c.data.labels, c.data.datasets[0].data]; })()")
    assert drawn == ["line", [local_today().isoformat()], [1]]
    trend.locator("summary").click()
    table = page.locator("[data-testid=promotion-trend-table]")
    assert table.locator("th").all_inner_texts() == ["日期", "结果"]
    assert table.locator("td[data-stat=day-count]").all_inner_texts() == ["1"]


def test_the_cover_fits_the_employee_page_on_a_phone(page, db, platform, world):
    import io

    from PIL import Image

    from scrm.sdk.uploads import read_image

    activity = _activity(db, platform, world)
    out = io.BytesIO()
    Image.new("RGB", (1200, 600), (35, 99, 235)).save(out, "PNG")
    from scrm_wecom.materials.files import check_cover

    checked = check_cover(out.getvalue(), "cover.png")
    assert read_image(checked.data, max_bytes=len(checked.data)).size == (1200, 600)
    service.set_cover(db, activity, checked)
    db.commit()
    zhang = participant(db, activity, world.employees["zhangsan"])
    page.set_viewport_size({"width": 375, "height": 812})
    page.goto("/lang/zh_CN")
    page.goto(f"/p/acme/wecom/promotion/{zhang.token}")
    page.wait_for_function("(() => { const img = document.querySelector('[data-testid=promotion-cover]');"
                           " return img && img.complete && img.naturalWidth === 1200; })()", timeout=10_000)
    assert page.locator("[data-testid=promotion-cover]").bounding_box()["width"] <= 375
    assert page.evaluate("document.documentElement.scrollWidth") <= 375
