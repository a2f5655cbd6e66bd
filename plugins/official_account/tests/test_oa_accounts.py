"""Accounts (issue 14 item 1, spec §D.1): several official accounts per tenant on the host's accounts pages (AppID,
AppSecret, Token, EncodingAESKey, message mode, type, verified) with validation; ``require_verified_service``; the
credential check against the sandbox; access tokens as WeCom does them (cached, single flight, one retry on 40001 /
40014 / 42001, bounded backoff) and the client's error handling; tenant isolation."""

from __future__ import annotations

import threading

import pytest
from oa_fixtures import *  # noqa: F403
from oa_fixtures import AES_KEY, APPID, OTHER_APPID, SECRET
from scrm_official_account.accounts import (
    NotVerifiedServiceAccount,
    credentials_of,
    is_verified_service,
    list_accounts,
    require_verified_service,
)
from scrm_official_account.models import OAAccessToken
from scrm_official_account.tokens import CacheTokenStore, DatabaseTokenStore
from sqlmodel import select

from scrm.sdk import channel_accounts
from scrm.sdk.wechat import WeChatAPIError

BASE = "/t/acme/channels/official_account/accounts"
TOKEN_PATH = "/cgi-bin/token"
SEND = "/cgi-bin/message/custom/send"


def form_data(**overrides: str) -> dict[str, str]:
    return {"name": "示例品牌服务号", "appid": APPID, "original_id": "gh_10f6c3c3ac5a", "account_type": "service",
            "verified": "on", "message_mode": "safe", "app_secret": SECRET, "token": "BrandToken2026",
            "encoding_aes_key": AES_KEY, "api_base": "", **overrides}


@pytest.fixture
def admin(tenant, enable_plugins, oa_admin):
    enable_plugins(tenant, "official_account")
    return oa_admin(tenant)


def accounts_of(db, tenant):
    db.commit()
    db.expire_all()
    return channel_accounts(db, tenant.id, "official_account")


def test_a_tenant_has_several_accounts_with_type_verified_and_mode(admin, tenant, db, platform):
    assert admin.post(f"{BASE}/new", data=form_data()).status_code == 302
    second = form_data(name="门店订阅号", appid=OTHER_APPID, original_id="", account_type="subscription",
                       message_mode="compatible", app_secret="f" * 32)
    second.pop("verified")
    assert admin.post(f"{BASE}/new", data=second).status_code == 302
    brand, store = sorted(accounts_of(db, tenant), key=lambda a: a.id)
    assert (brand.external_id, brand.config["account_type"], brand.config["verified"],
            brand.config["message_mode"]) == (APPID, "service", True, "safe")
    assert (store.config["account_type"], store.config["verified"], store.config["message_mode"]) == \
        ("subscription", False, "compatible")
    creds = credentials_of(platform.secrets, brand)
    assert (creds.app_secret, creds.token, creds.encoding_aes_key) == (SECRET, "BrandToken2026", AES_KEY)
    assert SECRET not in brand.credentials and AES_KEY not in brand.credentials
    for page in (admin.get(f"{BASE}/").get_data(as_text=True), admin.get(f"{BASE}/{brand.id}").get_data(as_text=True)):
        assert SECRET not in page and AES_KEY not in page
    assert [a.name for a in list_accounts(db, tenant.id)] == ["示例品牌服务号", "门店订阅号"]


@pytest.mark.parametrize(("field", "value"), [
    ("name", ""), ("appid", "wx123"), ("appid", "ww2c2769f8efd9abc2"), ("app_secret", "short"),
    ("app_secret", "g" * 31 + "!"), ("token", "ab"), ("token", "has space"), ("encoding_aes_key", AES_KEY[:42]),
    ("original_id", "gh_xyz"), ("message_mode", "aes"), ("account_type", "mini"), ("api_base", "ftp://x.example"),
])
def test_invalid_settings_are_refused_with_422_and_nothing_saved(admin, tenant, db, field, value):
    response = admin.post(f"{BASE}/new", data=form_data(**{field: value}))
    assert response.status_code == 422
    assert f'data-testid="error-{field}"' in response.get_data(as_text=True)
    assert SECRET not in response.get_data(as_text=True)
    assert accounts_of(db, tenant) == []


def test_an_appid_is_registered_once_per_tenant(admin, tenant, db):
    assert admin.post(f"{BASE}/new", data=form_data()).status_code == 302
    assert admin.post(f"{BASE}/new", data=form_data(name="again")).status_code == 422
    assert len(accounts_of(db, tenant)) == 1


def test_empty_token_and_aes_key_are_generated(admin, tenant, db, platform):
    response = admin.post(f"{BASE}/new", data=form_data(token="", encoding_aes_key=""))
    assert response.status_code == 201
    [account] = accounts_of(db, tenant)
    creds = credentials_of(platform.secrets, account)
    assert len(creds.token) == 32 and len(creds.encoding_aes_key) == 43


def test_csrf_is_checked(admin, tenant, db):
    assert admin.client.post(f"{BASE}/new", data=form_data()).status_code == 400
    assert accounts_of(db, tenant) == []


def test_another_tenants_accounts_are_not_reachable(admin, db, other_tenant, enable_plugins, make_oa_account):
    enable_plugins(other_tenant, "official_account")
    theirs = make_oa_account(other_tenant)
    assert admin.get(f"{BASE}/{theirs.id}").status_code == 404
    assert "示例品牌服务号" not in admin.get(f"{BASE}/").get_data(as_text=True)
    assert list_accounts(db, other_tenant.id) and all(a.tenant_id == other_tenant.id
                                                       for a in list_accounts(db, other_tenant.id))


@pytest.mark.parametrize(("account_type", "verified", "allowed"), [
    ("service", True, True), ("service", False, False), ("subscription", True, False), ("subscription", False, False),
])
def test_only_a_verified_service_account_passes_the_check(tenant, make_oa_account, account_type, verified, allowed):
    account = make_oa_account(tenant, account_type=account_type, verified=verified)
    assert is_verified_service(account) is allowed
    if allowed:
        require_verified_service(account)
    else:
        with pytest.raises(NotVerifiedServiceAccount) as refused:
            require_verified_service(account)
        assert refused.value.params == {"name": account.name}
        assert "verified service account" in refused.value.message


def test_the_credential_check_fetches_a_token_from_the_sandbox(tenant, oa_sandbox, make_oa_account, platform):
    url, control = oa_sandbox
    plugin = platform.registry.plugin("official_account")
    good = make_oa_account(tenant, api_base=url)
    result = plugin.check_account(good, {"app_secret": SECRET})
    assert result.ok, result.message
    wrong = plugin.check_account(good, {"app_secret": "0" * 32})
    assert not wrong.ok and wrong.message.startswith("40125")
    assert not plugin.check_account(good, {}).ok


# -- tokens and the client ------------------------------------------------------------------------------------


@pytest.fixture(params=["database", "cache"])
def store(request, platform, tenant):
    if request.param == "cache":
        return CacheTokenStore(platform.cache)
    return DatabaseTokenStore(platform.engine, platform.secrets, tenant.id, platform.cache)


@pytest.fixture
def account(tenant, oa_sandbox, make_oa_account):
    url, control = oa_sandbox
    control.fans([f"oFan{i}" for i in range(1, 9)], interacted_ago=60)
    return make_oa_account(tenant, api_base=url)


def text_to(openid: str) -> dict:
    return {"touser": openid, "msgtype": "text", "text": {"content": "你好"}}


def test_a_token_is_fetched_once_and_reused(account, oa_sandbox, oa_client, store):
    _, control = oa_sandbox
    oa_client(account, store=store).send_custom_message(text_to("oFan1"))
    oa_client(account, store=store).send_custom_message(text_to("oFan1"))
    assert len(control.calls(TOKEN_PATH)) == 1 and len(control.calls(SEND)) == 2


@pytest.mark.parametrize("errcode", [40001, 40014, 42001])
def test_an_invalid_or_expired_token_is_refreshed_once_and_the_call_retried(account, oa_sandbox, oa_client, store,
                                                                           errcode):
    _, control = oa_sandbox
    client = oa_client(account, store=store)
    client.access_token()
    control.post("fail", path=SEND, errcodes=[errcode])
    client.send_custom_message(text_to("oFan1"))
    assert [c["errcode"] for c in control.calls(SEND)] == [errcode, 0]
    assert len(control.calls(TOKEN_PATH)) == 2


def test_a_second_token_error_is_raised_not_retried_again(account, oa_sandbox, oa_client, store):
    _, control = oa_sandbox
    control.post("fail", path=SEND, errcodes=[42001, 42001, 42001])
    with pytest.raises(WeChatAPIError) as error:
        oa_client(account, store=store).send_custom_message(text_to("oFan1"))
    assert error.value.errcode == 42001
    assert len(control.calls(SEND)) == 2


def test_the_sandbox_expiry_is_detected_and_renewed(account, oa_sandbox, oa_client, store):
    _, control = oa_sandbox
    client = oa_client(account, store=store)
    client.send_custom_message(text_to("oFan1"))
    control.post("expire_tokens")
    client.send_custom_message(text_to("oFan1"))
    assert [c["errcode"] for c in control.calls(SEND)] == [0, 42001, 0]


def test_concurrent_callers_refresh_once(account, oa_sandbox, oa_client, store):
    _, control = oa_sandbox
    client = oa_client(account, store=store)
    errors = []

    def call(openid):
        try:
            client.send_custom_message(text_to(openid))
        except Exception as exc:  # pragma: no cover - reported below
            errors.append(exc)

    threads = [threading.Thread(target=call, args=(f"oFan{i}",)) for i in range(1, 9)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(10)
    assert errors == [] and len(control.calls(TOKEN_PATH)) == 1


def test_rate_limits_back_off_a_bounded_number_of_times(account, oa_sandbox, oa_client, store):
    _, control = oa_sandbox
    control.post("fail", path=SEND, errcodes=[45009, -1])
    oa_client(account, store=store).send_custom_message(text_to("oFan1"))
    assert [c["errcode"] for c in control.calls(SEND)] == [45009, -1, 0]
    control.post("fail", path=SEND, errcodes=[45011] * 4)
    with pytest.raises(WeChatAPIError):
        oa_client(account, store=store).send_custom_message(text_to("oFan1"))


def test_database_tokens_are_encrypted_at_rest(account, oa_sandbox, oa_client, platform, tenant, db):
    store = DatabaseTokenStore(platform.engine, platform.secrets, tenant.id, platform.cache)
    token = oa_client(account, store=store).access_token()
    row = db.exec(select(OAAccessToken).where(OAAccessToken.account_id == account.id)).one()
    assert row.tenant_id == tenant.id and token not in row.token and platform.secrets.decrypt(row.token) == token


def test_a_wrong_secret_is_raised_without_retry(tenant, oa_sandbox, make_oa_account, oa_client):
    url, control = oa_sandbox
    account = make_oa_account(tenant, api_base=url, app_secret="0" * 32)
    with pytest.raises(WeChatAPIError) as error:
        oa_client(account).send_custom_message(text_to("oFan1"))
    assert error.value.errcode == 40125 and control.calls(SEND) == []


def test_the_form_names_the_account_types_and_message_modes_in_chinese(admin):
    admin.get("/lang/zh_CN")
    page = admin.get(f"{BASE}/new").get_data(as_text=True)
    assert '<option value="subscription" selected>订阅号</option>' in page
    assert '<option value="service" >服务号</option>' in page
    assert '<option value="safe" selected>安全模式（推荐）</option>' in page and ">兼容模式<" in page
