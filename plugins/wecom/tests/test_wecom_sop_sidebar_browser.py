"""The SOP quick reply in the chat sidebar in headless Chromium on a 375 px phone, in Chinese: Li Si's customer Bob
has been silent for 3 days under the rule "3天未沟通"; in the chat with Bob the sidebar shows the push content above
its tabs, one tap sends it and the to-do is done. Outside the WeCom client the chat's customer comes from the
address and the page says where to send; inside it (a stand-in for WeCom's JS-SDK, which only the WeCom client
runs) the customer comes from getCurExternalContact and the content goes to sendChatMessage."""

from __future__ import annotations

import json
import os

import pytest
from test_wecom_sop_sidebar import open_tasks, quiet_world
from wecom_materials_fixtures import *  # noqa: F403

pytestmark = pytest.mark.browser
PHONE = {"width": 375, "height": 740}
SHOTS = os.environ.get("SCRM_SCREENSHOTS")
WXWORK_UA = ("Mozilla/5.0 (iPhone; CPU iPhone OS 17_0 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) "
             "Mobile/15E148 wxwork/4.1.16 MicroMessenger/7.0.1 Language/zh")
FAKE_JSSDK = """window.wx = {
  calls: [],
  config: function (c) { window.wx.configured = c; },
  ready: function (f) { setTimeout(f, 0); },
  error: function () {},
  agentConfig: function (c) { setTimeout(function () { c.success({}); }, 0); },
  invoke: function (name, args, done) {
    window.wx.calls.push({name: name, args: args});
    if (name === "getCurExternalContact") { done({err_msg: name + ":ok", userId: "wmBob"}); return; }
    done({err_msg: name + ":ok"});
  }
};"""


@pytest.mark.parametrize("in_wecom", [False, True])
def test_the_quick_reply_is_sent_from_the_sidebar_on_a_phone(app, db, chromium, live_server, world, in_wecom):
    quiet_world(app, db, world)
    [task] = open_tasks(db)
    options = {"user_agent": WXWORK_UA} if in_wecom else {}
    context = chromium.new_context(base_url=live_server, viewport=PHONE, locale="zh-CN", **options)
    if in_wecom:
        context.route("https://res.wx.qq.com/**", lambda route: route.fulfill(
            status=200, content_type="application/javascript", body=FAKE_JSSDK))
    page = context.new_page()
    page.set_default_timeout(15_000)
    try:
        page.goto(f"/p/acme/wecom/sidebar/?account={world.account.id}")
        page.click("text=Li Si")  # the sandbox's sign-in page lists the corp's members
        page.wait_for_selector("[data-testid=sidebar]")
        page.goto("/p/acme/wecom/sidebar/" if in_wecom else "/p/acme/wecom/sidebar/?external_userid=wmBob")
        reply = page.locator(f"[data-sop-task='{task.id}']")
        reply.wait_for()
        assert "联系 Bob" in reply.inner_text() and "Bob您好，本周到店有礼" in reply.inner_text()
        assert "这位客户的SOP待办" in page.inner_text("[data-testid=sop-replies]")
        assert page.evaluate("document.documentElement.scrollWidth") <= 375
        if SHOTS:
            page.screenshot(path=os.path.join(SHOTS, f"sop-sidebar{'-wecom' if in_wecom else ''}.png"),
                            full_page=True)
        reply.locator("button[data-sop-send]").click()  # 发送
        page.wait_for_selector("[data-testid=sop-replies][hidden]", state="attached")
        sent = json.loads(page.locator("[data-testid=sidebar]").get_attribute("data-last-send"))
        assert sent == [{"msgtype": "text", "text": {"content": "Bob您好，本周到店有礼"}}]
        if in_wecom:
            calls = page.evaluate("window.wx.calls")
            assert [c["name"] for c in calls] == ["getCurExternalContact", "sendChatMessage"]
            assert calls[1]["args"] == sent[0]
            page.wait_for_selector("[data-status]:not([hidden])")
            assert page.inner_text("[data-status]") == "已发送。"
        else:
            page.wait_for_selector("[data-status]:not([hidden])")
            assert "企业微信" in page.inner_text("[data-status]")
        assert page.evaluate("document.documentElement.scrollWidth") <= 375
    finally:
        context.close()
    [task] = open_tasks(db)
    assert (task.status, task.sent_by) == ("done", "sidebar")
