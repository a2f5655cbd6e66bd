"""Shared fixtures of the official-account tests (every area's): a running sandbox with a seeded account, saved
accounts pointing at it, clients, callbacks fired through the Flask app, a CSRF-aware signed-in admin.

Import them explicitly: ``from oa_fixtures import *`` (fixtures) and the constants by name.
"""

from __future__ import annotations

import re

import httpx
import pytest
from scrm_official_account.accounts import save_account
from scrm_official_account.client import OAClient
from scrm_official_account.sandbox import callback_request

#: the official sample account of protocols.md §1.3 (V6): its Token, EncodingAESKey and AppID
APPID = "wx2c2769f8efd9abc2"
TOKEN = "spamtest"
AES_KEY = "abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG"
SECRET = "0123456789abcdef0123456789abcdef"
ORIGINAL_ID = "gh_10f6c3c3ac5a"
OTHER_APPID = "wx00000000000000b2"
OTHER_SECRET = "fedcba9876543210fedcba9876543210"
OTHER_ORIGINAL_ID = "gh_0000000000b2"
FAST_BACKOFF = (0.01, 0.02, 0.04)
NO_WECHAT = "http://127.0.0.1:9"
"""The API base of accounts made without a sandbox: nothing listens on the discard port."""
CSRF_META = re.compile(r'name="csrf-token" content="([^"]+)"')


class SandboxControl:
    """The sandbox's control API over HTTP (``/sandbox/...``)."""

    def __init__(self, base_url: str) -> None:
        self.base_url = base_url
        self.http = httpx.Client(base_url=base_url, timeout=10.0)

    def post(self, endpoint: str, **data):
        response = self.http.post(f"/sandbox/{endpoint}", json=data)
        assert response.status_code == 200, response.text
        return response.json()

    def get(self, endpoint: str, **params):
        return self.http.get(f"/sandbox/{endpoint}", params=params).json()

    def account(self, appid: str = APPID, secret: str = SECRET, **values):
        return self.post("accounts", appid=appid, secret=secret, token=values.pop("token", TOKEN),
                         encoding_aes_key=values.pop("encoding_aes_key", AES_KEY), **values)

    def fans(self, openids, appid: str = APPID, **values):
        return self.post("fans", appid=appid, openids=list(openids), **values)

    def calls(self, path: str | None = None) -> list[dict]:
        return self.get("calls", **({"path": path} if path else {}))["calls"]

    def sent(self) -> list[dict]:
        return self.get("sent")["sent"]

    def close(self) -> None:
        self.http.close()


@pytest.fixture
def oa_sandbox(channel_sandbox):
    """A running sandbox with the sample account (and a second one) seeded: ``(base_url, control)``."""
    url = channel_sandbox("official_account")
    control = SandboxControl(url)
    control.account(original_id=ORIGINAL_ID)
    control.account(OTHER_APPID, OTHER_SECRET, original_id=OTHER_ORIGINAL_ID)
    yield url, control
    control.close()


@pytest.fixture
def make_oa_account(platform, db):
    """``make_oa_account(tenant, api_base=NO_WECHAT, appid=APPID, **values)``: a saved official account.

    Account ids start at 1 again in every test, so the auto-reply matchers an earlier test left in this process
    (checked again only after a second) are dropped first."""
    from scrm_official_account.autoreply import service as autoreply

    autoreply.forget_compiled()

    def make(tenant, api_base: str = NO_WECHAT, appid: str = APPID, **values):
        defaults = {"name": "示例品牌服务号", "app_secret": SECRET if appid == APPID else OTHER_SECRET,
                    "token": TOKEN, "encoding_aes_key": AES_KEY, "mode": "safe", "account_type": "service",
                    "verified": True, "original_id": ORIGINAL_ID if appid == APPID else OTHER_ORIGINAL_ID}
        account = save_account(db, platform.secrets, tenant.id, appid=appid, api_base=api_base,
                               **{**defaults, **values})
        db.commit()
        return account

    return make


@pytest.fixture
def oa_client(platform):
    """``oa_client(account, **options)``: a client with a fast backoff; closed after the test."""
    clients: list[OAClient] = []

    def make(account, **options) -> OAClient:
        client = OAClient.for_account(account, platform, **{"backoff": FAST_BACKOFF, **options})
        clients.append(client)
        return client

    yield make
    for client in clients:
        client.close()


@pytest.fixture
def fire(client):
    """``fire(account, xml, mode=None, token=TOKEN, aes_key=AES_KEY, appid=None, **options)``: POST a callback, signed
    (and encrypted) as WeChat does in ``mode`` (default: the account's), to ``/callbacks/official_account/<id>``
    through the Flask test client; returns the response."""

    def do_fire(account, xml: str, mode: str | None = None, token: str = TOKEN, aes_key: str = AES_KEY,
                appid: str | None = None, **options):
        target = {"appid": appid or account.external_id, "token": token, "encoding_aes_key": aes_key,
                  "mode": mode or (account.config or {}).get("message_mode") or "safe"}
        query, body = callback_request(target, xml, **options)
        return client.post(f"/callbacks/official_account/{account.id}", query_string=query, data=body,
                           content_type="text/xml")

    return do_fire


class CsrfClient:
    """The signed-in test client with CSRF on: every POST carries the token of a page the client loaded."""

    def __init__(self, client, home: str = "/t/acme/") -> None:
        self.client = client
        self.token = None
        self.home = home
        client.application.config["WTF_CSRF_ENABLED"] = True

    def get(self, path: str, **kwargs):
        response = self.client.get(path, **kwargs)
        match = CSRF_META.search(response.get_data(as_text=True))
        if match:
            self.token = match.group(1)
        return response

    def post(self, path: str, data: dict | None = None, **kwargs):
        if self.token is None:
            self.get(self.home)
        return self.client.post(path, data={**(data or {}), "csrf_token": self.token}, **kwargs)


@pytest.fixture
def oa_admin(make_user, login, app):
    """``oa_admin(tenant, role="tenant_admin")``: a signed-in user of ``tenant`` on a CSRF-checking client."""

    def make(tenant, role: str = "tenant_admin", email: str | None = None) -> CsrfClient:
        user = make_user(email or f"{role}@{tenant.slug}.test", tenant, role=role)
        return CsrfClient(login(user), home=f"/t/{tenant.slug}/")

    yield make
    app.config["WTF_CSRF_ENABLED"] = False


__all__ = ["fire", "make_oa_account", "oa_admin", "oa_client", "oa_sandbox"]
