"""The account pages: create with validation (422, nothing saved), generated Token / EncodingAESKey, secrets
encrypted and never shown back, the callback URL, the credential check with configuration errors, 404 when the
plugin is disabled, admins only, and tenant isolation."""

from __future__ import annotations

import re

import pytest
from scrm_wecom.accounts import credentials_of
from wecom_foundation_fixtures import *  # noqa: F403
from wecom_foundation_fixtures import AES_KEY, CALLBACK_TOKEN, CORP_ID, OTHER_CORP_ID, SECRETS

from scrm.sdk import channel_accounts
from scrm.sdk.wechat import WeChatCrypto

BASE = "/t/acme/wecom"


def form_data(**overrides: str) -> dict[str, str]:
    return {"name": "Acme WeCom", "corp_id": CORP_ID, "agent_id": "1000002", "agent_secret": SECRETS["agent"],
            "contact_secret": SECRETS["contact"], "address_book_secret": SECRETS["address_book"],
            "callback_token": CALLBACK_TOKEN, "encoding_aes_key": AES_KEY, "api_base": "", **overrides}


def input_value(html: str, name: str) -> str:
    match = re.search(rf'<input id="f-{name}" name="{name}" value="([^"]*)"', html)
    assert match, f"no input {name}"
    return match.group(1)


@pytest.fixture
def admin(tenant, enable_plugins, wecom_admin):
    enable_plugins(tenant, "wecom")
    return wecom_admin(tenant)


def accounts_of(db, tenant):
    db.commit()
    return channel_accounts(db, tenant.id, "wecom")


def test_an_admin_creates_an_account_with_secrets_encrypted_and_never_shown(admin, tenant, db, platform):
    response = admin.post(f"{BASE}/accounts/new", data=form_data())
    assert response.status_code == 302
    [account] = accounts_of(db, tenant)
    assert response.headers["Location"].endswith(f"{BASE}/accounts/{account.id}")
    assert (account.external_id, account.config["agent_id"], account.name) == (CORP_ID, 1000002, "Acme WeCom")
    assert "api_base" not in account.config  # the official host is the default
    creds = credentials_of(platform.secrets, account)
    assert (creds.agent_secret, creds.contact_secret, creds.encoding_aes_key) == \
        (SECRETS["agent"], SECRETS["contact"], AES_KEY)
    for secret in (*SECRETS.values(), CALLBACK_TOKEN, AES_KEY):
        assert secret not in account.credentials
    page = admin.get(f"{BASE}/accounts/{account.id}").get_data(as_text=True)
    assert f"http://localhost/callbacks/wecom/{account.id}" in page
    for secret in (*SECRETS.values(), CALLBACK_TOKEN, AES_KEY):
        assert secret not in page
    assert "••••" + SECRETS["agent"][-4:] in page


@pytest.mark.parametrize(("field", "value"), [
    ("name", ""), ("corp_id", "not a corp"), ("agent_id", "abc"), ("agent_secret", ""),
    ("encoding_aes_key", AES_KEY[:42]), ("encoding_aes_key", AES_KEY[:42] + "-"), ("callback_token", "bad token!"),
    ("api_base", "ftp://example.com"), ("contact_secret", "has space"),
])
def test_invalid_input_is_shown_with_422_and_nothing_is_saved(admin, tenant, db, field, value):
    response = admin.post(f"{BASE}/accounts/new", data=form_data(**{field: value}))
    assert response.status_code == 422
    assert f'data-testid="error-{field}"' in response.get_data(as_text=True)
    assert accounts_of(db, tenant) == []


def test_a_corp_id_is_registered_once_per_tenant(admin, tenant, db):
    assert admin.post(f"{BASE}/accounts/new", data=form_data()).status_code == 302
    response = admin.post(f"{BASE}/accounts/new", data=form_data(name="Again"))
    assert response.status_code == 422 and 'data-testid="error-corp_id"' in response.get_data(as_text=True)
    assert len(accounts_of(db, tenant)) == 1


def test_generate_fills_a_valid_token_and_encoding_aes_key_without_saving(admin, tenant, db):
    page = admin.post(f"{BASE}/accounts/new", data=form_data(generate="callback_token", callback_token=""))
    assert page.status_code == 200
    token = input_value(page.get_data(as_text=True), "callback_token")
    assert re.fullmatch(r"[A-Za-z0-9]{32}", token)
    page = admin.post(f"{BASE}/accounts/new", data=form_data(generate="encoding_aes_key", encoding_aes_key=""))
    key = input_value(page.get_data(as_text=True), "encoding_aes_key")
    assert re.fullmatch(r"[A-Za-z0-9]{43}", key)
    WeChatCrypto(token, key, CORP_ID)  # a usable key: raises otherwise
    assert input_value(page.get_data(as_text=True), "name") == "Acme WeCom"  # the rest of the form is kept
    assert accounts_of(db, tenant) == []
    fresh = admin.get(f"{BASE}/accounts/new").get_data(as_text=True)  # a new form comes pre-generated
    assert re.fullmatch(r"[A-Za-z0-9]{43}", input_value(fresh, "encoding_aes_key"))


def test_editing_keeps_blank_secrets_and_replaces_given_ones(admin, tenant, db, platform, make_account):
    account = make_account(tenant)
    data = form_data(name="Renamed", agent_secret="", contact_secret="new-contact-secret", callback_token="",
                     encoding_aes_key="", address_book_secret="")
    assert admin.post(f"{BASE}/accounts/{account.id}", data=data).status_code == 302
    [saved] = accounts_of(db, tenant)
    db.refresh(saved)
    creds = credentials_of(platform.secrets, saved)
    assert saved.name == "Renamed"
    assert (creds.agent_secret, creds.contact_secret, creds.callback_token) == \
        (SECRETS["agent"], "new-contact-secret", CALLBACK_TOKEN)


def test_check_credentials_shows_what_works_and_stores_configuration_errors(admin, tenant, db, make_account,
                                                                            wecom_sandbox):
    url, control = wecom_sandbox
    account = make_account(tenant, url, contact_secret="wrong-contact-secret")
    response = admin.post(f"{BASE}/accounts/{account.id}/check")
    assert response.status_code == 302
    db.commit()  # a fresh snapshot, then reload
    db.refresh(account)
    assert account.last_error.startswith("contact: 40001")
    results = account.config["check"]["results"]
    assert results["agent"]["ok"] and results["address_book"]["ok"] and results["contact"]["errcode"] == 40001
    page = admin.get(f"{BASE}/accounts/{account.id}").get_data(as_text=True)
    assert 'data-testid="last-error"' in page and "40001" in page
    assert len(control.calls("/cgi-bin/gettoken")) == 3
    # fixing the secret clears the error; the next check passes
    admin.post(f"{BASE}/accounts/{account.id}", data=form_data(contact_secret=SECRETS["contact"], api_base=url))
    admin.post(f"{BASE}/accounts/{account.id}/check")
    db.commit()  # a fresh snapshot, then reload
    db.refresh(account)
    assert account.last_error is None and all(r["ok"] for r in account.config["check"]["results"].values())
    assert 'data-testid="last-error"' not in admin.get(f"{BASE}/accounts/{account.id}").get_data(as_text=True)


def test_an_unknown_corp_id_is_a_configuration_error(admin, tenant, db, make_account, wecom_sandbox):
    account = make_account(tenant, wecom_sandbox[0], corp_id=OTHER_CORP_ID)  # not seeded in the sandbox
    admin.post(f"{BASE}/accounts/{account.id}/check")
    db.commit()  # a fresh snapshot, then reload
    db.refresh(account)
    assert "40013" in account.last_error
    listing = admin.get(f"{BASE}/").get_data(as_text=True)
    assert "Configuration error" in listing and "40013" in listing


def test_the_menu_shows_wecom_in_the_channels_section(admin):
    page = admin.get("/t/acme/").get_data(as_text=True)
    assert 'data-endpoint="wecom.index"' in page


def test_pages_404_when_the_plugin_is_disabled(tenant, wecom_admin, make_account):
    client = wecom_admin(tenant)
    account = make_account(tenant)
    assert client.get(f"{BASE}/").status_code == 404
    assert client.get(f"{BASE}/accounts/{account.id}").status_code == 404
    assert client.post(f"{BASE}/accounts/new", data=form_data()).status_code == 404


def test_operators_cannot_manage_accounts(tenant, enable_plugins, make_user, login):
    enable_plugins(tenant, "wecom")
    client = login(make_user("op@acme.test", tenant, role="operator"))
    assert client.get(f"{BASE}/").status_code == 403
    assert client.post(f"{BASE}/accounts/new", data=form_data()).status_code == 403


def test_another_tenant_can_neither_read_nor_change_an_account(tenant, other_tenant, enable_plugins, wecom_admin,
                                                               make_account, db):
    enable_plugins(tenant, "wecom")
    enable_plugins(other_tenant, "wecom")
    account = make_account(tenant)
    client = wecom_admin(other_tenant)
    other = "/t/globex/wecom"
    assert client.get(f"{other}/accounts/{account.id}").status_code == 404
    assert client.post(f"{other}/accounts/{account.id}", data=form_data(name="Hijacked")).status_code == 404
    assert client.post(f"{other}/accounts/{account.id}/check").status_code == 404
    assert CORP_ID not in client.get(f"{other}/").get_data(as_text=True)
    assert client.get(f"{BASE}/accounts/{account.id}").status_code == 404  # not a member of acme
    db.commit()  # a fresh snapshot, then reload
    db.refresh(account)
    assert account.name == "Acme WeCom" and "check" not in account.config
