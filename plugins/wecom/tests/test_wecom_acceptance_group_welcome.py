"""Acceptance walk of group welcome templates (spec wecom-operations §4.3 rule 1): the list tells the user that edits
made in WeCom's admin console are not synced back (the interface limit), in the default language."""

from __future__ import annotations

from wecom_foundation_fixtures import *  # noqa: F403
from wecom_moments_fixtures import *  # noqa: F403
from wecom_sync_fixtures import *  # noqa: F403

BASE = "/t/acme/wecom/welcome/group"


def test_4_3_rule_1_the_list_warns_that_console_edits_are_not_synced(db, admin, synced):
    admin.get("/lang/zh_CN")
    page = admin.get(f"{BASE}/").text
    assert "在企业微信管理后台所做的修改不会同步回来" in page
    admin.post(f"{BASE}/new", data={"text": "欢迎入群"})
    assert "在企业微信管理后台所做的修改不会同步回来" in admin.get(f"{BASE}/").text
