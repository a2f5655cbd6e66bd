"""The official account server API client: transport, the access token and the retry policy.

Contract of every call (``OAClient.call``):

* the account's access token comes from the token store (cached per account, refreshed a little before
  ``expires_in``, single-flight across threads and processes: :mod:`.tokens`);
* on 40001 / 40014 / 42001 / 41001 (invalid, expired or missing token; 40001 also means a token another process
  replaced, protocols.md §2.2) the token is refreshed and the call retried exactly once; a second failure raises;
* on 45009 / 45011 / -1 (daily or minute quota, system busy) the call is retried after a growing pause, at most
  ``len(backoff)`` times, then raised;
* any other non-zero ``errcode`` is raised at once as ``scrm.sdk.wechat.WeChatAPIError(errcode, errmsg)``;
* network failures raise :class:`OAUnavailable` (GET calls are retried with the same backoff first).

Features extend the client with their endpoints: a mixin class of methods calling ``self.call(method, path, ...)``
listed in :data:`OAClient.__bases__` would need an edit here, so instead each area writes plain functions taking a
client (``def create_menu(client: OAClient, menu: dict) -> dict: return client.post("/cgi-bin/menu/create", menu)``).
"""

from __future__ import annotations

import os
import random
import threading
import time
from collections.abc import Callable, Mapping, Sequence
from http.cookiejar import CookieJar, DefaultCookiePolicy
from typing import Any

import httpx

from scrm.sdk.wechat import WeChatAPIError

from .accounts import DEFAULT_API_BASE, TOKEN_KIND, OACredentials, api_base, credentials_of
from .tokens import TokenStore, token_store

TOKEN_ERRORS = frozenset({40001, 40014, 42001, 41001})
"""Refresh the access token and retry once (protocols.md §2.2, official accounts)."""
RATE_LIMIT_ERRORS = frozenset({45009, 45011, -1})
"""Back off and retry (bounded): daily / minute quota and "system busy"."""
DEFAULT_BACKOFF: tuple[float, ...] = (0.5, 1.0, 2.0)

TIMEOUT = 10.0
POOL = httpx.Limits(max_connections=64, max_keepalive_connections=32, keepalive_expiry=30.0)

_shared: tuple[int, httpx.Client] | None = None
_shared_lock = threading.Lock()


def shared_http() -> httpx.Client:
    """The process's pooled HTTP client for WeChat calls (thread-safe, no cookies; a forked child makes its own)."""
    global _shared
    shared = _shared
    if shared is not None and shared[0] == os.getpid():
        return shared[1]
    with _shared_lock:
        if _shared is None or _shared[0] != os.getpid():
            jar = CookieJar(policy=DefaultCookiePolicy(allowed_domains=[]))
            _shared = (os.getpid(), httpx.Client(timeout=TIMEOUT, limits=POOL, cookies=jar))
        return _shared[1]


class OAUnavailable(Exception):
    """WeChat (or the configured API base) could not be reached or answered something that is not WeChat JSON."""


class OAClient:
    """A client for one official account. Thread-safe (httpx's client is)."""

    def __init__(self, *, account_id: int, credentials: OACredentials, store: TokenStore,
                 base_url: str = DEFAULT_API_BASE, http: httpx.Client | None = None, timeout: float = TIMEOUT,
                 backoff: Sequence[float] = DEFAULT_BACKOFF, sleep: Callable[[float], None] = time.sleep) -> None:
        self.account_id = account_id
        self.credentials = credentials
        self.store = store
        self.base_url = base_url.rstrip("/")
        self._owns_http = http is not None
        self.http = http if http is not None else shared_http()
        self.timeout = timeout
        self.backoff = tuple(backoff)
        self.sleep = sleep

    @classmethod
    def for_account(cls, account: Any, platform: Any, **kwargs: Any) -> OAClient:
        """The client of a ``ChannelAccount`` with the platform's token store and secret box (``platform`` is
        ``scrm.sdk.web.platform()`` in requests, ``current_bus().platform`` in jobs)."""
        store = kwargs.pop("store", None) or token_store(platform, account.tenant_id)
        return cls(account_id=account.id, credentials=credentials_of(platform.secrets, account), store=store,
                   base_url=api_base(account), **kwargs)

    @property
    def appid(self) -> str:
        return self.credentials.appid

    # -- the access token ----------------------------------------------------------------------------------------

    def fetch_token(self) -> tuple[str, int]:
        """``GET /cgi-bin/token?grant_type=client_credential``: ``(access_token, expires_in)``, no cache involved."""
        params = {"grant_type": "client_credential", "appid": self.credentials.appid,
                  "secret": self.credentials.app_secret}
        data = self._with_backoff(lambda: self._send("GET", "/cgi-bin/token", params, None), idempotent=True)
        return str(data["access_token"]), int(data.get("expires_in") or 7200)

    def access_token(self) -> str:
        """The cached token, fetched (single-flight) when missing or due."""
        cached = self.store.read(self.account_id, TOKEN_KIND)
        if cached:
            return cached
        return self.store.refresh(self.account_id, TOKEN_KIND, self.fetch_token)

    def renew_token(self, stale: str | None = None, *, force: bool = False) -> str:
        """Replace the token ``stale`` that WeChat refused (or any token with ``force``)."""
        return self.store.refresh(self.account_id, TOKEN_KIND, self.fetch_token, stale=stale, force=force)

    # -- calls -------------------------------------------------------------------------------------------------------

    def call(self, method: str, path: str, *, params: Mapping[str, Any] | None = None,
             json: Mapping[str, Any] | None = None) -> dict[str, Any]:
        """Call ``path`` (e.g. ``/cgi-bin/user/get``) with the account's token; returns the decoded JSON body."""
        idempotent = method.upper() == "GET"
        token = self.access_token()
        try:
            return self._with_backoff(lambda: self._send(method, path, {**(params or {}), "access_token": token},
                                                         json), idempotent)
        except WeChatAPIError as exc:
            if exc.errcode not in TOKEN_ERRORS:
                raise
        token = self.renew_token(stale=token)
        return self._with_backoff(lambda: self._send(method, path, {**(params or {}), "access_token": token}, json),
                                  idempotent)

    def get(self, path: str, **params: Any) -> dict[str, Any]:
        return self.call("GET", path, params=params)

    def post(self, path: str, body: Mapping[str, Any], **params: Any) -> dict[str, Any]:
        return self.call("POST", path, params=params, json=body)

    # -- the endpoints of the accounts and messages areas -------------------------------------------------------

    def send_custom_message(self, body: Mapping[str, Any]) -> dict[str, Any]:
        """``POST /cgi-bin/message/custom/send`` (a customer-service message within the 48-hour window)."""
        return self.post("/cgi-bin/message/custom/send", body)

    def send_template_message(self, body: Mapping[str, Any]) -> dict[str, Any]:
        """``POST /cgi-bin/message/template/send``: returns ``{"msgid": ...}``."""
        return self.post("/cgi-bin/message/template/send", body)

    # -- transport ---------------------------------------------------------------------------------------------------

    def _with_backoff(self, attempt: Callable[[], dict[str, Any]], idempotent: bool) -> dict[str, Any]:
        for pause in (*self.backoff, None):
            try:
                return attempt()
            except WeChatAPIError as exc:
                if exc.errcode not in RATE_LIMIT_ERRORS or pause is None:
                    raise
            except OAUnavailable:
                if not idempotent or pause is None:
                    raise
            self.sleep(pause * (1 + random.random() / 4))
        raise AssertionError("unreachable")  # pragma: no cover

    def _send(self, method: str, path: str, params: Mapping[str, Any], json: Mapping[str, Any] | None
              ) -> dict[str, Any]:
        try:
            if json is not None:  # WeChat wants UTF-8 JSON, not \u escapes (they count against byte limits)
                import json as _json

                content = _json.dumps(json, ensure_ascii=False).encode("utf-8")
                response = self.http.request(method, self.base_url + path, params=dict(params), content=content,
                                             headers={"Content-Type": "application/json; charset=utf-8"},
                                             timeout=self.timeout)
            else:
                response = self.http.request(method, self.base_url + path, params=dict(params), timeout=self.timeout)
        except httpx.HTTPError as exc:
            raise OAUnavailable(f"{method} {path}: {type(exc).__name__}") from exc
        if response.status_code >= 500:
            raise OAUnavailable(f"{method} {path}: HTTP {response.status_code}")
        try:
            data = response.json()
        except ValueError as exc:
            raise OAUnavailable(f"{method} {path}: HTTP {response.status_code}, not JSON") from exc
        if not isinstance(data, dict):
            raise OAUnavailable(f"{method} {path}: unexpected body")
        errcode = int(data.get("errcode") or 0)
        if errcode:
            raise WeChatAPIError(errcode, str(data.get("errmsg") or ""), response=data)
        return data

    def close(self) -> None:
        if self._owns_http:
            self.http.close()

    def __enter__(self) -> OAClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
