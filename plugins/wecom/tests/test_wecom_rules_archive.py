"""Session-archive settings on the WeCom account: the archive secret (encrypted, masked, checked like the others)
and RSA private keys per public-key version (validated PEM, encrypted, never shown back, several versions kept),
admins only, tenant isolation."""

from __future__ import annotations

import pytest
from scrm_wecom.accounts import archive_keys_of, credentials_of
from wecom_foundation_fixtures import *  # noqa: F403
from wecom_foundation_fixtures import CORP_ID, OTHER_CORP_ID, SECRETS, corp_seed
from wecom_rules_fixtures import ec_pem, rsa_pem

BASE = "/t/acme/wecom"  # the archive key pages
ACCOUNTS = "/t/acme/channels/wecom/accounts"  # the host's accounts pages
ARCHIVE_SECRET = "archive-secret-0004"


@pytest.fixture
def account(tenant, enable_plugins, make_account, wecom_sandbox):
    enable_plugins(tenant, "wecom")
    wecom_sandbox[1].seed(corp_seed(secrets={**SECRETS, "archive": ARCHIVE_SECRET}))
    return make_account(tenant, wecom_sandbox[0])


@pytest.fixture
def admin(tenant, account, wecom_admin):
    return wecom_admin(tenant)


def reload(db, row):
    db.commit()
    db.refresh(row)
    return row


def form(account, **extra):
    return {"name": account.name, "corp_id": account.external_id, "agent_id": "1000002", "api_base":
            account.config.get("api_base", ""), **extra}


def test_the_archive_secret_is_stored_encrypted_never_shown_and_checked(admin, account, db, platform):
    response = admin.post(f"{ACCOUNTS}/{account.id}", data=form(account, archive_secret=ARCHIVE_SECRET))
    assert response.status_code == 302, response.get_data(as_text=True)[:2000]
    account = reload(db, account)
    assert credentials_of(platform.secrets, account).archive_secret == ARCHIVE_SECRET
    assert credentials_of(platform.secrets, account).agent_secret == SECRETS["agent"]  # blank fields keep values
    assert ARCHIVE_SECRET not in account.credentials
    page = admin.get(f"{ACCOUNTS}/{account.id}").get_data(as_text=True)
    assert ARCHIVE_SECRET not in page and 'id="f-archive_secret"' in page
    assert "Archiving itself comes in a later release" in admin.get(
        f"{BASE}/accounts/{account.id}/archive-keys").get_data(as_text=True)
    admin.post(f"{ACCOUNTS}/{account.id}/check")
    account = reload(db, account)
    assert account.config["check"]["details"]["archive"]["ok"] and account.last_error is None


def test_rsa_keys_are_kept_per_version_encrypted_and_never_shown(admin, account, db, platform):
    first, second = rsa_pem(), rsa_pem(pkcs8=True)
    for version, pem in ((1, first), (2, second)):
        response = admin.post(f"{BASE}/accounts/{account.id}/archive-keys",
                              data={"key_version": str(version), "private_key": pem})
        assert response.status_code == 302
    account = reload(db, account)
    keys = archive_keys_of(platform.secrets, account)
    assert [(k.version, k.bits) for k in keys] == [(2, 2048), (1, 2048)]
    assert keys[1].private_key.strip() == first.strip()
    body = first.splitlines()[1]
    assert body not in account.credentials
    page = admin.get(f"{BASE}/accounts/{account.id}/archive-keys").get_data(as_text=True)
    assert body not in page and second.splitlines()[1] not in page
    assert 'data-testid="archive-key-1"' in page and 'data-testid="archive-key-2"' in page
    assert "RSA, 2048 bits" in page
    # saving the account form keeps the keys
    assert admin.post(f"{ACCOUNTS}/{account.id}", data=form(account)).status_code == 302
    assert len(archive_keys_of(platform.secrets, reload(db, account))) == 2
    # removing the old version
    assert admin.post(f"{BASE}/accounts/{account.id}/archive-keys/1/remove").status_code == 302
    assert [k.version for k in archive_keys_of(platform.secrets, reload(db, account))] == [2]
    assert admin.post(f"{BASE}/accounts/{account.id}/archive-keys/1/remove").status_code == 404


@pytest.mark.parametrize(("version", "pem", "field", "message"), [
    ("1", "not a key", "private_key", "This is not a PEM RSA private key"),
    ("1", "-----BEGIN RSA PRIVATE KEY-----\nAAAA\n-----END RSA PRIVATE KEY-----", "private_key",
     "This is not a PEM RSA private key"),
    ("1", None, "private_key", "This is not an RSA key"),
    ("1", "encrypted", "private_key", "protected by a passphrase"),
    ("1", "small", "private_key", "The key has 1024 bits"),
    ("1", "", "private_key", "Paste the private key"),
    ("0", "ok", "key_version", "public key&#39;s version number"),
    ("v2", "ok", "key_version", "public key&#39;s version number"),
])
def test_invalid_keys_get_clear_errors_and_nothing_is_stored(admin, account, db, platform, version, pem, field,
                                                             message):
    makers = {None: ec_pem, "encrypted": lambda: rsa_pem(passphrase=b"secret"), "small": lambda: rsa_pem(1024),
              "ok": rsa_pem}
    text = makers[pem]() if pem in makers else pem
    response = admin.post(f"{BASE}/accounts/{account.id}/archive-keys",
                          data={"key_version": version, "private_key": text})
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert f'data-testid="error-{field}"' in page and message in page
    if text and "BEGIN" in text:
        assert text.splitlines()[1] not in page  # a pasted key is never echoed
    assert archive_keys_of(platform.secrets, reload(db, account)) == []


def test_a_version_is_stored_once(admin, account, db, platform):
    data = {"key_version": "3", "private_key": rsa_pem()}
    assert admin.post(f"{BASE}/accounts/{account.id}/archive-keys", data=data).status_code == 302
    again = admin.post(f"{BASE}/accounts/{account.id}/archive-keys", data={**data, "private_key": rsa_pem()})
    assert again.status_code == 422 and "A key of version 3 is stored" in again.get_data(as_text=True)


def test_operators_and_other_tenants_cannot_touch_the_keys(client, account, db, platform, tenant, other_tenant,
                                                           enable_plugins, make_user, login, make_account,
                                                           wecom_sandbox):
    login(make_user("op@acme.test", tenant, role="operator"))
    data = {"key_version": "1", "private_key": rsa_pem()}
    assert client.post(f"{BASE}/accounts/{account.id}/archive-keys", data=data).status_code == 403
    enable_plugins(other_tenant, "wecom")
    other = make_account(other_tenant, wecom_sandbox[0], corp_id=OTHER_CORP_ID)
    login(make_user("admin@globex.test", other_tenant, role="tenant_admin"))
    assert client.post(f"{BASE}/accounts/{account.id}/archive-keys", data=data).status_code in (403, 404)
    assert client.post(f"/t/globex/wecom/accounts/{account.id}/archive-keys", data=data).status_code == 404
    assert client.post(f"/t/globex/wecom/accounts/{account.id}/archive-keys/1/remove").status_code == 404
    assert client.post(f"/t/globex/wecom/accounts/{other.id}/archive-keys", data=data).status_code == 302
    assert archive_keys_of(platform.secrets, reload(db, account)) == []
    assert [k.version for k in archive_keys_of(platform.secrets, reload(db, other))] == [1]
    assert CORP_ID != OTHER_CORP_ID
