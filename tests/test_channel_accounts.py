"""The host's channel accounts pages and the settings service behind them, for any channel (WeCom is the channel at
hand): one menu entry per enabled channel under its title, failed callbacks visible per account, a disabled account's
sends refused, the settings model's secret rules, and Chinese pages without English. WeCom's own account tests are in
``plugins/wecom/tests/test_wecom_accounts_pages.py``."""

from __future__ import annotations

import re

import pytest
from pydantic import BaseModel, Field, SecretStr
from sqlalchemy import select
from test_chinese_pages import english_words

from scrm.core.models import ChannelAccount, DeliveryStatus, InboundCallback, MessageDelivery
from scrm.core.services import channel_settings
from scrm.core.services.channel_settings import AccountSettingsError
from scrm.sdk import create_channel_account, utcnow

PLUGIN = "wecom"
BASE = "/t/acme/channels/wecom/accounts"


class SmsSettings(BaseModel):
    """A channel's settings model as a third party writes one."""

    name: str = Field(min_length=1, title="Name")
    access_key_id: str = Field(json_schema_extra={"account": "external_id"})
    access_key_secret: SecretStr
    webhook_key: str = Field(default="", json_schema_extra={"secret": True})
    signature: str = "ACME"


@pytest.fixture
def admin(tenant, enable_plugins, make_user, login):
    enable_plugins(tenant, PLUGIN)
    return login(make_user("admin@acme.test", tenant, role="tenant_admin"))


@pytest.fixture
def account(platform, db, tenant):
    row = create_channel_account(db, platform.secrets, tenant.id, PLUGIN, "Acme corp", "ww1436e0e65a779aee",
                                 {"agent_secret": "s3cret-agent"}, {"agent_id": 1000002})
    db.commit()
    return row


# -- the settings service ------------------------------------------------------------------------------------------

def test_secret_fields_are_the_secretstr_and_marked_ones():
    assert channel_settings.secret_fields(SmsSettings) == ("access_key_secret", "webhook_key")
    assert channel_settings.external_id_field(SmsSettings) == "access_key_id"


def test_an_empty_secret_keeps_the_stored_one_and_a_given_one_replaces_it(platform, db, tenant):
    created = channel_settings.save(db, platform.secrets, tenant.id, "sms", channel_settings.validate(
        SmsSettings, {"name": "SMS", "access_key_id": "AK1", "access_key_secret": "first-secret"}))
    assert "first-secret" not in created.credentials  # encrypted at rest
    assert (created.external_id, created.config) == ("AK1", {"signature": "ACME"})
    stored = channel_settings.stored_secrets(platform.secrets, created)
    kept = channel_settings.validate(SmsSettings, {"name": "SMS 2", "access_key_id": "AK1", "access_key_secret": ""},
                                     stored)
    channel_settings.save(db, platform.secrets, tenant.id, "sms", kept, created)
    assert channel_settings.stored_secrets(platform.secrets, created)["access_key_secret"] == "first-secret"
    assert created.name == "SMS 2"
    with pytest.raises(AccountSettingsError) as missing:  # nothing stored and nothing given: required
        channel_settings.validate(SmsSettings, {"name": "SMS", "access_key_id": "AK2", "access_key_secret": ""})
    assert missing.value.types == {"access_key_secret": "missing"}
    with pytest.raises(AccountSettingsError) as taken:
        channel_settings.save(db, platform.secrets, tenant.id, "sms", channel_settings.validate(
            SmsSettings, {"name": "Again", "access_key_id": "AK1", "access_key_secret": "x"}))
    assert taken.value.types == {"access_key_id": "duplicate"}


def test_the_edit_form_values_hold_no_secret(platform, db, tenant):
    created = channel_settings.save(db, platform.secrets, tenant.id, "sms", channel_settings.validate(
        SmsSettings, {"name": "SMS", "access_key_id": "AK1", "access_key_secret": "first-secret",
                      "webhook_key": "hook-key"}))
    values = channel_settings.current_values(platform.secrets, SmsSettings, created)
    assert values == {"name": "SMS", "access_key_id": "AK1", "signature": "ACME"}


# -- the pages -----------------------------------------------------------------------------------------------------

def test_one_menu_entry_per_enabled_channel_under_its_title(admin, client, tenant, enable_plugins):
    client.get("/lang/zh_CN")
    enable_plugins(tenant, "members")  # a feature plugin: no accounts entry
    page = client.get("/t/acme/").get_data(as_text=True)
    entries = re.findall(r'<a href="(/t/acme/channels/[^"]+)" data-endpoint="channel_accounts.index"[^>]*>([^<]+)</a>',
                         page)
    assert entries == [("/t/acme/channels/wecom/accounts/", "企业微信")]


def test_failed_callbacks_show_on_the_account_list(admin, client, db, account, other_tenant, platform):
    for n, failed in enumerate((True, True, False)):
        db.add(InboundCallback(tenant_id=account.tenant_id, account_id=account.id, plugin=PLUGIN,
                               dedupe_key=f"k{n}", body="<xml/>", failed_at=utcnow() if failed else None))
    db.commit()
    page = client.get(f"{BASE}/").get_data(as_text=True)
    assert re.search(r'data-testid="failed-callbacks">\s*2 callbacks could not be processed', page)


def test_a_disabled_account_s_sends_are_refused(admin, client, db, account, worker):
    from scrm.core.outbound import OutboundMessage, send_message

    assert client.post(f"{BASE}/{account.id}/disable").status_code == 302
    row = send_message(db, account.tenant_id, account=account.id, recipient="zhangsan",
                       message=OutboundMessage("text", {"content": "hello"}), purpose="notification")
    db.commit()
    worker.join()
    db.expire_all()
    row = db.get(MessageDelivery, row.id)
    assert (row.status, row.error_code) == (DeliveryStatus.FAILED, "no_account")


def test_unknown_channels_and_channels_without_settings_answer_404(admin, client, tenant, enable_plugins, account):
    enable_plugins(tenant, "members")
    assert client.get("/t/acme/channels/members/accounts/").status_code == 404  # not a channel
    assert client.get("/t/acme/channels/nope/accounts/").status_code == 404
    assert client.get(f"/t/acme/channels/members/accounts/{account.id}").status_code == 404  # not its account


def test_the_pages_show_no_english_in_chinese(admin, client, db, account):
    client.get("/lang/zh_CN")
    db.execute(select(ChannelAccount))  # the account exists: list and edit pages have rows and values
    data = {"Acme", "Cosmetics", "corp", "admin"}  # the seeded tenant, account and user names: data, not chrome
    problems = {}
    for path in (f"{BASE}/", f"{BASE}/new", f"{BASE}/{account.id}"):
        response = client.get(path)
        assert response.status_code == 200, path
        words = set(english_words(response.get_data(as_text=True))) - data
        if words:
            problems[path] = words
    invalid = client.post(f"{BASE}/new", data={"name": "", "corp_id": "x", "agent_id": "abc"})
    assert invalid.status_code == 422
    words = set(english_words(invalid.get_data(as_text=True))) - data
    if words:
        problems["new (invalid)"] = words
    assert not problems
