"""The API client's token rules against the sandbox: cached and reused per (account, secret kind), refreshed before
``expires_in`` (7200 s when WeCom leaves it out), single flight under threads, exactly one retry on
40014/42001/41001, bounded backoff on rate limits."""

from __future__ import annotations

import json
import threading
from datetime import UTC

import httpx
import pytest
from scrm_wecom.accounts import SecretKind
from scrm_wecom.models import WeComAccessToken
from scrm_wecom.tokens import CacheTokenStore, DatabaseTokenStore, token_store, usable_lifetime
from sqlmodel import Session, select
from wecom_foundation_fixtures import *  # noqa: F403
from wecom_foundation_fixtures import FAST_BACKOFF

from scrm.sdk import utcnow
from scrm.sdk.wechat import WeChatAPIError

USER_GET = "/cgi-bin/user/get"
GETTOKEN = "/cgi-bin/gettoken"


@pytest.fixture(params=["database", "cache"])
def store(request, platform, tenant):
    """Both stores; "cache" is Redis under SCRM_TEST_REDIS_URL, process memory otherwise."""
    if request.param == "cache":
        return CacheTokenStore(platform.cache)
    return DatabaseTokenStore(platform.engine, platform.secrets, tenant.id, platform.cache)


@pytest.fixture
def account(tenant, wecom_sandbox, make_account):
    return make_account(tenant, wecom_sandbox[0])


def test_a_token_is_fetched_once_per_secret_kind_and_reused(account, wecom_sandbox, wecom_client, store):
    _, control = wecom_sandbox
    first = wecom_client(account, store=store)
    first.list_departments()
    first.get_user("zhangsan")
    wecom_client(account, store=store).list_users(1)  # another request or job shares the cached token
    assert [c["kind"] for c in control.calls(USER_GET)] == ["address_book"]
    assert len(control.calls(GETTOKEN)) == 1
    first.list_external_contacts("zhangsan")  # the customer-contact secret has its own token
    assert len(control.calls(GETTOKEN)) == 2
    assert control.calls("/cgi-bin/externalcontact/list")[0]["kind"] == "contact"


def test_the_platform_store_is_redis_then_postgresql_then_process_memory(platform, tenant):
    chosen = token_store(platform, tenant.id)
    if platform.settings.redis_url:
        assert isinstance(chosen, CacheTokenStore) and hasattr(chosen.cache, "client")  # Redis
    elif platform.engine.dialect.name == "postgresql":
        assert isinstance(chosen, DatabaseTokenStore)
    else:
        assert isinstance(chosen, CacheTokenStore)


def test_database_tokens_are_encrypted_at_rest(account, wecom_sandbox, wecom_client, platform, tenant, db):
    store = DatabaseTokenStore(platform.engine, platform.secrets, tenant.id, platform.cache)
    client = wecom_client(account, store=store)
    token = client.access_token(SecretKind.AGENT)
    row = db.exec(select(WeComAccessToken).where(WeComAccessToken.account_id == account.id)).one()
    assert row.kind == "agent" and row.tenant_id == tenant.id
    assert token not in row.token and platform.secrets.decrypt(row.token) == token


def test_an_expired_token_is_refreshed_once_and_the_call_retried(account, wecom_sandbox, wecom_client, store):
    _, control = wecom_sandbox
    client = wecom_client(account, store=store)
    client.get_user("zhangsan")
    control.expire_tokens()
    assert client.get_user("zhangsan")["name"] == "张三"
    assert [c["errcode"] for c in control.calls(USER_GET)] == [0, 42001, 0]
    assert len(control.calls(GETTOKEN)) == 2


def test_a_token_is_refreshed_before_expires_in(account, wecom_sandbox, wecom_client, store):
    import time

    _, control = wecom_sandbox
    control.settings(token_ttl=1)
    client = wecom_client(account, store=store)
    client.get_user("zhangsan")
    time.sleep(1.1)
    client.get_user("zhangsan")
    assert [c["errcode"] for c in control.calls(USER_GET)] == [0, 0]  # never sent an expired token
    assert len(control.calls(GETTOKEN)) == 2
    assert usable_lifetime(7200) == 6900 and usable_lifetime(600) == 540


class WithoutExpiresIn(httpx.BaseTransport):
    """Talks to the sandbox, but its ``gettoken`` answers carry no ``expires_in`` (WeCom documents it; a proxy or an
    older deployment may drop it)."""

    def __init__(self) -> None:
        self.inner = httpx.HTTPTransport()

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        response = self.inner.handle_request(request)
        if request.url.path != GETTOKEN:
            return response
        response.read()
        body = {k: v for k, v in json.loads(response.content).items() if k != "expires_in"}
        return httpx.Response(response.status_code, json=body)

    def close(self) -> None:
        self.inner.close()


def test_a_token_without_expires_in_lives_7200_seconds(account, wecom_sandbox, wecom_client, store):
    _, control = wecom_sandbox
    client = wecom_client(account, store=store, http=httpx.Client(transport=WithoutExpiresIn()))
    assert client.fetch_token(SecretKind.ADDRESS_BOOK)[1] == 7200
    assert "expires_in" not in client.http.get(f"{client.base_url}{GETTOKEN}", params={
        "corpid": client.credentials.corp_id, "corpsecret": client.credentials.secret(SecretKind.ADDRESS_BOOK)
    }).json()
    if isinstance(store, DatabaseTokenStore):
        client.get_user("zhangsan")
        with Session(store.engine) as session:
            row = session.exec(select(WeComAccessToken).where(WeComAccessToken.account_id == account.id,
                                                              WeComAccessToken.kind == "address_book")).one()
            left = (row.refresh_after.replace(tzinfo=row.refresh_after.tzinfo or UTC) - utcnow()).total_seconds()
        assert 6890 < left <= usable_lifetime(7200) == 6900
    else:
        recorded: list[int] = []
        original = store.cache.set
        store.cache.set = lambda key, value, ttl=None: (recorded.append(ttl), original(key, value, ttl))[1]
        try:
            client.get_user("zhangsan")
        finally:
            store.cache.set = original
        assert recorded == [usable_lifetime(7200)]
    client.get_user("lisi")  # the cached token serves on: no second gettoken for the calls
    assert [c["errcode"] for c in control.calls(USER_GET)] == [0, 0]


@pytest.mark.parametrize("expire_first", [False, True], ids=["cold", "expired"])
def test_concurrent_callers_trigger_a_single_gettoken(account, wecom_sandbox, wecom_client, store, expire_first):
    _, control = wecom_sandbox
    if expire_first:
        wecom_client(account, store=store).get_user("zhangsan")
        control.expire_tokens()
    before = len(control.calls(GETTOKEN))
    barrier, errors = threading.Barrier(8), []
    clients = [wecom_client(account, store=store) for _ in range(8)]

    def work(client):
        barrier.wait()
        try:
            client.get_user("lisi")
        except Exception as exc:  # collected and asserted below
            errors.append(exc)

    threads = [threading.Thread(target=work, args=(c,)) for c in clients]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    assert errors == []
    assert len(control.calls(GETTOKEN)) - before == 1


@pytest.mark.parametrize("errcode", [40014, 42001, 41001])
def test_a_token_error_is_retried_exactly_once_then_raised(account, wecom_sandbox, wecom_client, store, errcode):
    _, control = wecom_sandbox
    control.fail_next(USER_GET, errcode, times=2)
    with pytest.raises(WeChatAPIError) as caught:
        wecom_client(account, store=store).get_user("zhangsan")
    assert caught.value.errcode == errcode
    assert len(control.calls(USER_GET)) == 2
    assert len(control.calls(GETTOKEN)) == 2  # the first token, then one refresh


@pytest.mark.parametrize("errcode", [45009, 45033, -1])
def test_rate_limits_back_off_and_retry(account, wecom_sandbox, wecom_client, errcode):
    _, control = wecom_sandbox
    pauses: list[float] = []
    control.fail_next(USER_GET, errcode, times=2)
    assert wecom_client(account, sleep=pauses.append).get_user("zhangsan")["userid"] == "zhangsan"
    assert len(pauses) == 2 and pauses[0] < pauses[1]
    assert len(control.calls(USER_GET)) == 3


def test_backoff_is_bounded(account, wecom_sandbox, wecom_client):
    _, control = wecom_sandbox
    pauses: list[float] = []
    control.fail_next(USER_GET, 45009, times=10)
    with pytest.raises(WeChatAPIError) as caught:
        wecom_client(account, sleep=pauses.append).get_user("zhangsan")
    assert caught.value.errcode == 45009
    assert len(pauses) == len(FAST_BACKOFF) and len(control.calls(USER_GET)) == len(FAST_BACKOFF) + 1


def test_the_sandbox_rate_limit_is_met_with_backoff_then_45009(account, wecom_sandbox, wecom_client):
    _, control = wecom_sandbox
    control.rate_limit(USER_GET, per_minute=2)
    client = wecom_client(account, sleep=lambda _s: None)
    client.get_user("zhangsan")
    client.get_user("zhangsan")
    with pytest.raises(WeChatAPIError) as caught:
        client.get_user("zhangsan")
    assert caught.value.errcode == 45009
    control.rate_limit(USER_GET, per_minute=None)
    assert client.get_user("zhangsan")["userid"] == "zhangsan"


def test_other_errors_are_raised_at_once_with_code_and_message(account, wecom_sandbox, wecom_client):
    _, control = wecom_sandbox
    with pytest.raises(WeChatAPIError) as caught:
        wecom_client(account).get_external_contact("wmNobody")
    assert (caught.value.errcode, caught.value.errmsg) == (40096, "invalid external userid")
    assert len(control.calls("/cgi-bin/externalcontact/get")) == 1
    assert len(control.calls(GETTOKEN)) == 1


def test_a_wrong_secret_fails_fast_without_retry(tenant, wecom_sandbox, make_account, wecom_client):
    url, control = wecom_sandbox
    account = make_account(tenant, url, agent_secret="not-the-secret")
    with pytest.raises(WeChatAPIError) as caught:
        wecom_client(account).send_app_text("hi", users=["zhangsan"])
    assert caught.value.errcode == 40001
    assert len(control.calls(GETTOKEN)) == 1 and control.calls("/cgi-bin/message/send") == []
