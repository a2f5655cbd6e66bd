"""The employee's SOP task page in headless Chromium on a 375px phone screen, in Chinese: the text card's link opens
the task with the customer filled in, "copy" records the send, "mark done" finishes it, nothing is wider than the
screen; inside the WeCom client (``wx.invoke`` present) the content is sent to the chat and recorded as such."""

from __future__ import annotations

import os

import pytest
from scrm_wecom.sop.models import SopRule
from scrm_wecom.sop.planning import plan
from wecom_churn_fixtures import *  # noqa: F403
from wecom_churn_fixtures import app_messages, employee
from wecom_foundation_fixtures import *  # noqa: F403
from wecom_sop_fixtures import PUBLIC, deliver, in_writer, make_due, make_rule, node, tasks
from wecom_sync_fixtures import *  # noqa: F403
from wecom_sync_fixtures import customer_of

from scrm.sdk import utcnow
from scrm.sdk.testing import ADMIN_PASSWORD

pytestmark = pytest.mark.browser
SHOTS = os.environ.get("SCRM_SCREENSHOTS")
FAKE_WX = """window.wx = {invoke: function (name, args, done) {
  sessionStorage.setItem('wecomSent', JSON.stringify({name: name, args: args})); done({err_msg: name + ':ok'}); }};"""


@pytest.mark.parametrize("in_wecom", [False, True])
def test_the_employee_finishes_a_task_on_a_phone(app, db, chromium, live_server, tenant, churn_account, sandbox,
                                                 worker, make_user, monkeypatch, in_wecom):
    monkeypatch.setenv("SCRM_PUBLIC_URL", PUBLIC)
    lisi = employee(db, tenant.id, "lisi")
    rule_id = make_rule(app, db, tenant.id, name="到店回访", employees=[lisi.id],
                        nodes=[node(title="回访 {customer}", content="{customer}您好！本周六门店有新茶品鉴会，"
                                                                       "欢迎带朋友来坐坐。" * 3)])
    bob = customer_of(db, tenant.id, "wmBob")
    in_writer(db, lambda s: plan(s, s.get(SopRule, rule_id), [(bob.id, None, lisi.id)], utcnow(), "b"))
    make_due(db, tenant.id)
    deliver(db, tenant.id)
    worker.join()
    [card] = app_messages(sandbox[1])
    path = card["textcard"]["url"].removeprefix(PUBLIC)
    make_user("lisi@acme.test", tenant, role="employee", employee_id=lisi.id)
    context = chromium.new_context(base_url=live_server, viewport={"width": 375, "height": 740}, locale="zh-CN")
    if in_wecom:
        context.add_init_script(FAKE_WX)
    page = context.new_page()
    page.set_default_timeout(15_000)

    def fits(what: str) -> None:
        width = page.evaluate("document.documentElement.scrollWidth")
        assert width <= 375, f"the {what} is {width}px wide on a 375px screen"
        if SHOTS:
            page.screenshot(path=os.path.join(SHOTS, f"sop-task-{what}.png"), full_page=True)

    try:
        page.goto(f"/login?next={path}")
        page.fill("input[name=email]", "lisi@acme.test")
        page.fill("input[name=password]", ADMIN_PASSWORD)
        with page.expect_navigation():
            page.click("button[type=submit]")
        page.goto("/lang/zh_CN")
        page.goto(path)
        assert "Bob您好" in page.input_value("[data-testid=task-content]")
        assert page.inner_text("h1") == "回访 Bob"
        fits("open")
        if in_wecom:
            assert page.locator("[data-testid=task-wecom]").is_visible()
            with page.expect_navigation():
                page.click("[data-testid=task-wecom]")
            sent = page.evaluate("JSON.parse(sessionStorage.getItem('wecomSent'))")
            assert sent["name"] == "sendChatMessage" and "Bob您好" in sent["args"]["text"]["content"]
        else:
            assert not page.locator("[data-testid=task-wecom]").is_visible()
            with page.expect_navigation():
                page.click("[data-testid=task-copy]")
        page.wait_for_selector("[data-testid=task-sent]")
        fits("sent")
        with page.expect_navigation():
            page.click("[data-testid=task-done]")
        assert page.locator("[data-testid=task-done]").is_disabled()
        fits("done")
        page.goto("/t/acme/wecom/sop/tasks")
        fits("list")
    finally:
        context.close()
    [task] = tasks(db, tenant.id)
    assert (task.status, task.sent_by) == ("done", "wecom" if in_wecom else "copy")
