"""The plugin skeleton: registered as a channel titled 公众号, listed in plugins.toml and enabled for new tenants,
its accounts pages mounted for a tenant that enabled it and absent (404) otherwise, its sandbox answering tokens."""

from __future__ import annotations

import tomllib
from pathlib import Path

import httpx
from oa_fixtures import *  # noqa: F403
from oa_fixtures import APPID, SECRET

ROOT = Path(__file__).resolve().parents[3]


def test_the_plugin_is_a_channel_listed_in_the_manifest(platform):
    plugin = platform.registry.plugin("official_account")
    assert plugin is not None and plugin.category == "channel"
    assert plugin.title == "Official account"
    manifest = tomllib.loads((ROOT / "plugins.toml").read_text(encoding="utf-8"))
    assert manifest["plugins"]["official_account"] == {"version": ">=0.1,<1", "default_enabled": True}


def test_accounts_pages_exist_only_while_enabled(tenant, enable_plugins, oa_admin, db):
    admin = oa_admin(tenant)
    assert admin.get("/t/acme/channels/official_account/accounts/").status_code == 404
    enable_plugins(tenant, "official_account")
    page = admin.get("/t/acme/channels/official_account/accounts/")
    assert page.status_code == 200


def test_the_sandbox_issues_tokens_for_the_right_secret_only(oa_sandbox):
    url, _control = oa_sandbox
    good = httpx.get(f"{url}/cgi-bin/token", params={"grant_type": "client_credential", "appid": APPID,
                                                     "secret": SECRET}).json()
    assert good["access_token"] and good["expires_in"] == 7200
    bad = httpx.get(f"{url}/cgi-bin/token", params={"grant_type": "client_credential", "appid": APPID,
                                                    "secret": "x" * 32}).json()
    assert bad["errcode"] == 40125
    unknown = httpx.get(f"{url}/cgi-bin/token", params={"grant_type": "client_credential", "appid": "wx" + "0" * 16,
                                                        "secret": SECRET}).json()
    assert unknown["errcode"] == 40013
