"""WeCom accounts on the host's channel accounts pages (``/t/<tenant>/channels/wecom/accounts``), CSRF on: create with
validation (422, nothing saved), a generated Token / EncodingAESKey shown once, secrets encrypted and never shown
back, the callback URL, the credential check against the sandbox with configuration errors, rotation, disabling
(callbacks refused), 404 when the plugin is disabled, admins only, tenant isolation, and the session-archive key page
linked from the account."""

from __future__ import annotations

import re

import pytest
from scrm_wecom.accounts import credentials_of
from scrm_wecom.sandbox import CallbackTarget, event_xml, fire_callback
from wecom_foundation_fixtures import *  # noqa: F403
from wecom_foundation_fixtures import AES_KEY, CALLBACK_TOKEN, CORP_ID, OTHER_CORP_ID, SECRETS

from scrm.sdk import channel_accounts
from scrm.sdk.wechat import WeChatCrypto

BASE = "/t/acme/channels/wecom/accounts"
CSRF_META = re.compile(r'name="csrf-token" content="([^"]+)"')


def form_data(**overrides: str) -> dict[str, str]:
    return {"name": "Acme WeCom", "corp_id": CORP_ID, "agent_id": "1000002", "agent_secret": SECRETS["agent"],
            "contact_secret": SECRETS["contact"], "address_book_secret": SECRETS["address_book"],
            "callback_token": CALLBACK_TOKEN, "encoding_aes_key": AES_KEY, "api_base": "", **overrides}


class CsrfClient:
    """The signed-in test client with CSRF on: every POST carries the token of a page the client loaded."""

    def __init__(self, client) -> None:
        self.client = client
        self.token = None
        client.application.config["WTF_CSRF_ENABLED"] = True  # after signing in (the sign-in helper posts bare)

    def get(self, path: str, **kwargs):
        response = self.client.get(path, **kwargs)
        match = CSRF_META.search(response.get_data(as_text=True))
        if match:
            self.token = match.group(1)
        return response

    def post(self, path: str, data: dict | None = None, **kwargs):
        if self.token is None:
            self.get("/t/acme/")
        return self.client.post(path, data={**(data or {}), "csrf_token": self.token}, **kwargs)


@pytest.fixture(autouse=True)
def csrf_off_afterwards(app):
    yield
    app.config["WTF_CSRF_ENABLED"] = False


@pytest.fixture
def admin(tenant, enable_plugins, wecom_admin):
    enable_plugins(tenant, "wecom")
    return CsrfClient(wecom_admin(tenant))


def accounts_of(db, tenant):
    db.commit()
    db.expire_all()
    return channel_accounts(db, tenant.id, "wecom")


def revealed(html: str, name: str) -> str:
    match = re.search(rf'<input id="revealed-{name}" value="([^"]*)"', html)
    assert match, f"{name} not revealed"
    return match.group(1)


def test_a_post_without_the_csrf_token_is_refused(admin, tenant, db):
    assert admin.client.post(f"{BASE}/new", data=form_data()).status_code == 400
    assert accounts_of(db, tenant) == []


def test_an_admin_creates_an_account_with_secrets_encrypted_and_never_shown(admin, tenant, db, platform):
    response = admin.post(f"{BASE}/new", data=form_data())
    assert response.status_code == 302
    [account] = accounts_of(db, tenant)
    assert response.headers["Location"].endswith(f"{BASE}/{account.id}")
    assert (account.external_id, account.config["agent_id"], account.name) == (CORP_ID, 1000002, "Acme WeCom")
    assert "api_base" not in account.config  # the official host is the default
    creds = credentials_of(platform.secrets, account)
    assert (creds.agent_secret, creds.contact_secret, creds.encoding_aes_key) == \
        (SECRETS["agent"], SECRETS["contact"], AES_KEY)
    for secret in (*SECRETS.values(), CALLBACK_TOKEN, AES_KEY):
        assert secret not in account.credentials  # encrypted at rest: the raw column never holds it
    pages = [admin.get(path).get_data(as_text=True) for path in (f"{BASE}/", f"{BASE}/{account.id}", f"{BASE}/new")]
    assert f"http://localhost/callbacks/wecom/{account.id}" in pages[1]
    assert 'data-copy="#callback-url"' in pages[1]
    for page in pages:
        for secret in (*SECRETS.values(), CALLBACK_TOKEN, AES_KEY):
            assert secret not in page


@pytest.mark.parametrize(("field", "value"), [
    ("name", ""), ("corp_id", "not a corp"), ("agent_id", "abc"), ("agent_id", "0"), ("agent_secret", ""),
    ("encoding_aes_key", AES_KEY[:42]), ("encoding_aes_key", AES_KEY[:42] + "-"), ("callback_token", "bad token!"),
    ("api_base", "ftp://example.com"), ("contact_secret", "has space"),
])
def test_invalid_input_is_shown_with_422_and_nothing_is_saved(admin, tenant, db, field, value):
    response = admin.post(f"{BASE}/new", data=form_data(**{field: value}))
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert f'data-testid="error-{field}"' in page
    assert SECRETS["agent"] not in page  # secrets are not echoed back, even on an error
    assert accounts_of(db, tenant) == []


def test_validation_errors_are_shown_in_chinese(admin, db, tenant):
    admin.get("/lang/zh_CN")
    page = admin.post(f"{BASE}/new", data=form_data(corp_id="x", name="")).get_data(as_text=True)
    assert "CorpId 以 ww" in page or "必填" in page
    assert "Required." not in page


def test_a_corp_id_is_registered_once_per_tenant(admin, tenant, db):
    assert admin.post(f"{BASE}/new", data=form_data()).status_code == 302
    response = admin.post(f"{BASE}/new", data=form_data(name="Again"))
    assert response.status_code == 422 and 'data-testid="error-corp_id"' in response.get_data(as_text=True)
    assert len(accounts_of(db, tenant)) == 1


def test_an_empty_token_and_aes_key_are_generated_and_shown_once(admin, tenant, db, platform):
    response = admin.post(f"{BASE}/new", data=form_data(callback_token="", encoding_aes_key=""))
    assert response.status_code == 201
    page = response.get_data(as_text=True)
    token, key = revealed(page, "callback_token"), revealed(page, "encoding_aes_key")
    assert re.fullmatch(r"[A-Za-z0-9]{32}", token) and re.fullmatch(r"[A-Za-z0-9]{43}", key)
    WeChatCrypto(token, key, CORP_ID)  # a usable key: raises otherwise
    [account] = accounts_of(db, tenant)
    creds = credentials_of(platform.secrets, account)
    assert (creds.callback_token, creds.encoding_aes_key) == (token, key)
    again = admin.get(f"{BASE}/{account.id}").get_data(as_text=True)
    assert token not in again and key not in again  # shown once


def test_rotating_the_token_stores_a_new_one_shown_once(admin, tenant, db, platform, make_account):
    account = make_account(tenant)
    response = admin.post(f"{BASE}/{account.id}/rotate/callback_token")
    assert response.status_code == 200
    token = revealed(response.get_data(as_text=True), "callback_token")
    db.expire_all()
    assert token != CALLBACK_TOKEN and credentials_of(platform.secrets, db.get(type(account), account.id)) \
        .callback_token == token
    assert token not in admin.get(f"{BASE}/{account.id}").get_data(as_text=True)
    assert admin.post(f"{BASE}/{account.id}/rotate/agent_secret").status_code == 404  # WeCom issues that one


def test_editing_keeps_blank_secrets_and_replaces_given_ones(admin, tenant, db, platform, make_account):
    account = make_account(tenant)
    data = form_data(name="Renamed", agent_secret="", contact_secret="new-contact-secret", callback_token="",
                     encoding_aes_key="", address_book_secret="")
    assert admin.post(f"{BASE}/{account.id}", data=data).status_code == 302
    [saved] = accounts_of(db, tenant)
    creds = credentials_of(platform.secrets, saved)
    assert saved.name == "Renamed"
    assert (creds.agent_secret, creds.contact_secret, creds.callback_token, creds.encoding_aes_key) == \
        (SECRETS["agent"], "new-contact-secret", CALLBACK_TOKEN, AES_KEY)


def test_check_credentials_shows_what_works_and_stores_configuration_errors(admin, tenant, db, make_account,
                                                                            wecom_sandbox):
    url, control = wecom_sandbox
    account = make_account(tenant, url, contact_secret="wrong-contact-secret")
    response = admin.post(f"{BASE}/{account.id}/check")
    assert response.status_code == 302
    [account] = accounts_of(db, tenant)
    assert account.last_error.startswith("contact: 40001")
    details = account.config["check"]["details"]
    assert details["agent"]["ok"] and details["address_book"]["ok"] and details["contact"]["errcode"] == 40001
    page = admin.get(f"{BASE}/{account.id}").get_data(as_text=True)
    assert 'data-testid="last-error"' in page and "40001" in page
    assert len(control.calls("/cgi-bin/gettoken")) == 3
    # fixing the secret clears the error; the next check passes
    admin.post(f"{BASE}/{account.id}", data=form_data(contact_secret=SECRETS["contact"], api_base=url))
    admin.post(f"{BASE}/{account.id}/check")
    [account] = accounts_of(db, tenant)
    assert account.last_error is None and account.config["check"]["ok"]
    assert 'data-testid="last-error"' not in admin.get(f"{BASE}/{account.id}").get_data(as_text=True)


def test_an_unknown_corp_id_is_a_configuration_error(admin, tenant, db, make_account, wecom_sandbox):
    account = make_account(tenant, wecom_sandbox[0], corp_id=OTHER_CORP_ID)  # not seeded in the sandbox
    admin.post(f"{BASE}/{account.id}/check")
    [account] = accounts_of(db, tenant)
    assert "40013" in account.last_error
    listing = admin.get(f"{BASE}/").get_data(as_text=True)
    assert "Configuration error" in listing and "40013" in listing


def test_a_disabled_account_refuses_callbacks_until_enabled_again(admin, tenant, db, make_account, wsgi_http):
    account = make_account(tenant)
    target = CallbackTarget(CORP_ID, CALLBACK_TOKEN, AES_KEY)
    xml = event_xml(CORP_ID, "change_external_contact", "add_external_contact", UserID="zhangsan",
                    ExternalUserID="wmDisabled")
    url = f"http://localhost/callbacks/wecom/{account.id}"
    assert admin.post(f"{BASE}/{account.id}/disable").status_code == 302
    [row] = accounts_of(db, tenant)
    assert row.active is False
    assert 'data-testid="disabled"' in admin.get(f"{BASE}/").get_data(as_text=True)
    assert fire_callback(url, target, xml, http=wsgi_http).status_code == 404
    assert admin.post(f"{BASE}/{account.id}/enable").status_code == 302
    assert fire_callback(url, target, xml, http=wsgi_http).status_code == 200


def test_the_menu_shows_wecom_in_the_channels_section(admin):
    page = admin.get("/t/acme/").get_data(as_text=True)
    assert re.search(r'href="/t/acme/channels/wecom/accounts/"[^>]*data-endpoint="channel_accounts.index"', page)


def test_the_archive_keys_page_is_linked_from_the_account(admin, tenant, make_account):
    account = make_account(tenant)
    page = admin.get(f"{BASE}/{account.id}").get_data(as_text=True)
    assert f'href="/t/acme/wecom/accounts/{account.id}/archive-keys"' in page
    assert admin.get(f"/t/acme/wecom/accounts/{account.id}/archive-keys").status_code == 200


def test_pages_404_when_the_plugin_is_disabled(tenant, wecom_admin, make_account):
    client = CsrfClient(wecom_admin(tenant))
    account = make_account(tenant)
    assert client.get(f"{BASE}/").status_code == 404
    assert client.get(f"{BASE}/{account.id}").status_code == 404
    assert client.post(f"{BASE}/new", data=form_data()).status_code == 404


def test_operators_cannot_manage_accounts(tenant, enable_plugins, make_user, login, make_account):
    enable_plugins(tenant, "wecom")
    account = make_account(tenant)
    client = CsrfClient(login(make_user("op@acme.test", tenant, role="operator")))
    assert client.get(f"{BASE}/").status_code == 403
    assert client.get(f"{BASE}/{account.id}").status_code == 403
    assert client.post(f"{BASE}/new", data=form_data()).status_code == 403
    assert client.post(f"{BASE}/{account.id}/rotate/callback_token").status_code == 403
    assert client.post(f"{BASE}/{account.id}/disable").status_code == 403


def test_another_tenant_can_neither_read_nor_change_an_account(tenant, other_tenant, enable_plugins, wecom_admin,
                                                               make_account, db):
    enable_plugins(tenant, "wecom")
    enable_plugins(other_tenant, "wecom")
    account = make_account(tenant)
    client = CsrfClient(wecom_admin(other_tenant))
    client.get("/t/globex/")
    other = "/t/globex/channels/wecom/accounts"
    assert client.get(f"{other}/{account.id}").status_code == 404
    assert client.post(f"{other}/{account.id}", data=form_data(name="Hijacked")).status_code == 404
    assert client.post(f"{other}/{account.id}/check").status_code == 404
    assert client.post(f"{other}/{account.id}/rotate/callback_token").status_code == 404
    assert client.post(f"{other}/{account.id}/disable").status_code == 404
    assert client.get(f"/t/globex/wecom/accounts/{account.id}/archive-keys").status_code == 404
    assert CORP_ID not in client.get(f"{other}/").get_data(as_text=True)
    assert client.get(f"{BASE}/{account.id}").status_code == 404  # not a member of acme
    [account] = accounts_of(db, tenant)
    assert account.name == "Acme WeCom" and account.active and "check" not in account.config
