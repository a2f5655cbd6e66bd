"""Shared fixtures of the WeCom foundation tests: a seeded sandbox corp and accounts pointing at it.

Import them explicitly: ``from wecom_foundation_fixtures import wecom_sandbox, make_account, ...``.
"""

from __future__ import annotations

import httpx
import pytest
from scrm_wecom.accounts import AccountValues, save_account
from scrm_wecom.client import WeComClient
from scrm_wecom.sandbox import SandboxControl

CORP_ID = "ww1436e0e65a779aee"
OTHER_CORP_ID = "ww00000000000000b2"
AGENT_ID = 1000002
SECRETS = {"agent": "agent-secret-0001", "contact": "contact-secret-0002", "address_book": "book-secret-0003"}
CALLBACK_TOKEN = "hJqcu3uJ9Tn2gXPmxx2w9kkCkCE2EPYo"
AES_KEY = "6qkdMrq68nTKduznJYO1A37W2oEgpkMUvkttRToqhUt"
FAST_BACKOFF = (0.01, 0.02, 0.04)
NO_WECOM = "http://127.0.0.1:9"
"""The API base of accounts made without a sandbox: nothing listens on the discard port, so a call fails at once
(connection refused) without leaving the machine."""


def corp_seed(corp_id: str = CORP_ID, secrets: dict[str, str] | None = None) -> dict:
    """A small corp: two departments, three members (one who left), two customers, one tag group."""
    return {
        "corp_id": corp_id, "agent_id": AGENT_ID, "secrets": secrets or SECRETS,
        "departments": [{"id": 1, "name": "HQ", "parentid": 0}, {"id": 2, "name": "Stores", "parentid": 1}],
        "users": [{"userid": "zhangsan", "name": "张三", "department": [1], "status": 1},
                  {"userid": "lisi", "name": "李四", "department": [2], "status": 1},
                  {"userid": "wangwu", "name": "王五", "department": [2], "status": 5, "dimission_time": 1700000000}],
        "external_contacts": [
            {"external_userid": "wmCustomerA", "name": "Alice", "unionid": "unionA",
             "follow_user": [{"userid": "zhangsan", "state": "lc:1"}]},
            {"external_userid": "wmCustomerB", "name": "Bob",
             "follow_user": [{"userid": "wangwu"}, {"userid": "lisi"}]},
        ],
        "tag_groups": [{"group_id": "etGroupVip", "group_name": "Level", "tag": [{"id": "etTagGold", "name": "Gold"}]}],
    }


@pytest.fixture
def wecom_sandbox(channel_sandbox) -> tuple[str, SandboxControl]:
    """A running sandbox with the default corp seeded: ``(base_url, control)``."""
    url = channel_sandbox("wecom")
    control = SandboxControl(url)
    control.seed(corp_seed())
    yield url, control
    control.close()


def account_values(api_base: str, corp_id: str = CORP_ID, name: str = "Acme WeCom", **secrets: str) -> AccountValues:
    values = {"agent_secret": SECRETS["agent"], "contact_secret": SECRETS["contact"],
              "address_book_secret": SECRETS["address_book"], "callback_token": CALLBACK_TOKEN,
              "encoding_aes_key": AES_KEY, **secrets}
    return AccountValues(name=name, corp_id=corp_id, agent_id=AGENT_ID, api_base=api_base, secrets=values)


@pytest.fixture
def make_account(platform, db):
    """``make_account(tenant, api_base, corp_id=..., **secrets)``: a saved WeCom ChannelAccount (by default
    pointing at :data:`NO_WECOM`, never at the real WeCom host)."""

    def make(tenant, api_base: str = NO_WECOM, corp_id: str = CORP_ID, **secrets: str):
        account = save_account(db, platform.secrets, tenant.id, account_values(api_base, corp_id, **secrets))
        db.commit()
        return account

    return make


@pytest.fixture
def wecom_client(platform):
    """``wecom_client(account, **options)``: a client with a fast backoff; closed after the test."""
    clients: list[WeComClient] = []

    def make(account, **options) -> WeComClient:
        client = WeComClient.for_account(account, platform, **{"backoff": FAST_BACKOFF, **options})
        clients.append(client)
        return client

    yield make
    for client in clients:
        client.close()


@pytest.fixture
def wsgi_http(app):
    """An httpx client that talks to the Flask app in-process (for firing callbacks at the platform)."""
    with httpx.Client(transport=httpx.WSGITransport(app=app), base_url="http://localhost") as http:
        yield http


@pytest.fixture
def wecom_admin(make_user, login):
    """``wecom_admin(tenant)``: a tenant admin of ``tenant``, signed in on the test client."""

    def make(tenant, email: str | None = None):
        user = make_user(email or f"admin@{tenant.slug}.test", tenant, role="tenant_admin")
        return login(user)

    return make
