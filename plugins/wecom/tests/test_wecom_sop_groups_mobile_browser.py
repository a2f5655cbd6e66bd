"""The employee's group SOP page in headless Chromium at 375 px, in Chinese, CSRF on: WeCom sign-in through the
sandbox, the owned group with its rule and progress, a move to another rule, a restart of the cycle; nothing is
wider than the screen."""

from __future__ import annotations

import os

import pytest
from scrm_wecom.groupchats.models import GroupChat
from scrm_wecom.sop import rules as sop_rules
from scrm_wecom.sop.models import SopBinding, SopRule
from sqlmodel import select
from wecom_materials_fixtures import *  # noqa: F403
from wecom_materials_fixtures import fresh
from wecom_sop_fixtures import PUBLIC, in_writer, make_rule, node, tasks

pytestmark = pytest.mark.browser
PHONE = {"width": 375, "height": 740}
SHOTS = os.environ.get("SCRM_SCREENSHOTS")


def no_horizontal_scroll(page) -> bool:
    return page.evaluate("document.documentElement.scrollWidth <= 375")


def test_an_employee_moves_a_group_and_restarts_its_cycle_on_the_phone(app, db, chromium, live_server, world,
                                                                       monkeypatch):
    monkeypatch.setenv("SCRM_PUBLIC_URL", PUBLIC)
    app.config["WTF_CSRF_ENABLED"] = True
    first = make_rule(app, db, world.tenant.id, name="新群7天激活", kind="group", trigger="group_bound",
                      nodes=[node(title="{group}欢迎", content="欢迎加入", day=1)])
    second = make_rule(app, db, world.tenant.id, name="会员日预热", kind="group", trigger="group_bound",
                       nodes=[node(title="{group}预热", content="会员日就要到了", minute=1)])
    vip = GroupChat(tenant_id=world.tenant.id, account_id=world.account.id, chat_id="wrVip",
                    name="静安嘉里中心店会员福利群（2026冬季）", owner_userid="zhangsan",
                    owner_employee_id=world.employees["zhangsan"].id)
    db.add(vip)
    db.commit()
    in_writer(db, lambda s: sop_rules.bind_groups(s, s.get(SopRule, first), [vip.id]))
    context = chromium.new_context(base_url=live_server, viewport=PHONE, locale="zh-CN")
    page = context.new_page()
    page.set_default_timeout(15_000)
    try:
        page.goto(f"/p/acme/wecom/sidebar/sop/groups?account={world.account.id}")
        page.click("text=Zhang San")  # the sandbox's sign-in page lists the corp's members
        page.wait_for_selector("[data-testid=sop-groups]")
        assert page.locator("h1").inner_text() == "我的群SOP"
        group = page.locator("[data-testid=sop-group]")
        assert "新群7天激活" in group.inner_text() and "已提醒 0 / 1 条待办" in group.inner_text()
        assert no_horizontal_scroll(page)

        page.select_option("[data-testid=sop-group-move] select", str(second))
        with page.expect_navigation():
            page.click("[data-testid=sop-group-move] button")
        assert "已加入规则 会员日预热" in page.inner_text("[data-testid=phone-page]")
        assert "会员日预热" in page.inner_text("[data-testid=sop-group-rule]")
        fresh(db)
        assert db.exec(select(SopBinding.rule_id).where(SopBinding.group_chat_id == vip.id)).one() == second
        assert [(t.rule_id, t.status) for t in tasks(db, world.tenant.id)] == [(first, "cancelled"),
                                                                                (second, "pending")]

        with page.expect_navigation():
            page.click("[data-testid=sop-group-restart] button")
        assert "今天重新开始" in page.inner_text("[data-testid=phone-page]")
        assert [t.status for t in tasks(db, world.tenant.id)] == ["cancelled", "cancelled", "pending"]
        assert no_horizontal_scroll(page)
        if SHOTS:
            page.screenshot(path=os.path.join(SHOTS, "wecom-sop-groups-mobile.png"), full_page=True)
    finally:
        app.config["WTF_CSRF_ENABLED"] = False
        context.close()
