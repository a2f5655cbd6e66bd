"""The WeCom server API client: transport, access tokens and the retry policy.

Contract of every call (``WeComClient.call``):

* the access token of the call's secret kind comes from the token store (cached per account and kind, refreshed a
  little before ``expires_in``, single-flight);
* on 40014 / 42001 / 41001 (invalid, expired or missing token) the token is refreshed and the call retried exactly
  once; a second failure is raised;
* on 45009 / 45033 / -1 (rate limits, system busy) the call is retried after a growing pause, at most
  ``len(backoff)`` times, then raised;
* any other non-zero ``errcode`` is raised at once as ``WeChatAPIError(errcode, errmsg)``;
* network failures raise :class:`WeComUnavailable` (GET calls are retried with the same backoff first).

The typed endpoint methods live in :mod:`scrm_wecom.endpoints`; ``WeComClient`` combines both.
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

from .accounts import DEFAULT_API_BASE, SecretKind, WeComCredentials, api_base, credentials_of
from .endpoints import WeComEndpoints
from .tokens import TokenStore, token_store

TOKEN_ERRORS = frozenset({40014, 42001, 41001})
"""Refresh the access token and retry once (protocols.md §2.2). 40001 is a wrong secret in WeCom: never retried."""
RATE_LIMIT_ERRORS = frozenset({45009, 45033, -1})
"""Back off and retry (bounded): frequency limits and "system busy"."""
DEFAULT_BACKOFF: tuple[float, ...] = (0.5, 1.0, 2.0)


TIMEOUT = 10.0
POOL = httpx.Limits(max_connections=64, max_keepalive_connections=32, keepalive_expiry=30.0)

_shared: tuple[int, httpx.Client] | None = None
_shared_lock = threading.Lock()


def shared_http() -> httpx.Client:
    """The process's HTTP client for WeCom calls, shared by every account's client and every thread (httpx's client
    is thread-safe): one connection pool with keep-alive and one TLS context, so a call reuses an open connection
    instead of building an SSL context and connecting again (measured: the SSL context alone was the largest cost of
    a welcome job). It keeps no cookies, so nothing passes between accounts but connections. A forked process (a
    gunicorn or worker child) makes its own."""
    global _shared
    shared = _shared
    if shared is not None and shared[0] == os.getpid():
        return shared[1]
    with _shared_lock:
        if _shared is None or _shared[0] != os.getpid():
            jar = CookieJar(policy=DefaultCookiePolicy(allowed_domains=[]))
            _shared = (os.getpid(), httpx.Client(timeout=TIMEOUT, limits=POOL, cookies=jar))
        return _shared[1]


class WeComUnavailable(Exception):
    """WeCom (or the configured API base) could not be reached or answered something that is not WeCom JSON."""


class WeComClient(WeComEndpoints):
    """A client for one corp account. Thread-safe as long as the given ``http`` client is (httpx's is).

    Without ``http`` it uses the process's pooled client (:func:`shared_http`), which ``close()`` leaves open; an
    ``http`` client given is the caller's to share, and ``close()`` closes it."""

    def __init__(self, *, account_id: int, credentials: WeComCredentials, store: TokenStore,
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
    def for_account(cls, account: Any, platform: Any, **kwargs: Any) -> WeComClient:
        """The client of a ``ChannelAccount`` with the platform's token store and secret box.

        ``platform`` is ``scrm.sdk.web.platform()`` in requests and ``current_bus().platform`` in jobs; ``store``
        may be given to override the platform's token store."""
        store = kwargs.pop("store", None) or token_store(platform, account.tenant_id)
        return cls(account_id=account.id, credentials=credentials_of(platform.secrets, account), store=store,
                   base_url=api_base(account), **kwargs)

    @property
    def agent_id(self) -> int | None:
        return self.credentials.agent_id

    # -- tokens ------------------------------------------------------------------------------------------------------

    def fetch_token(self, kind: SecretKind) -> tuple[str, int]:
        """``GET /cgi-bin/gettoken`` for the secret of ``kind``: ``(access_token, expires_in)``, no cache involved.

        Rate limits are retried like any call; every other error (40001 wrong secret, 40013 wrong corpid) is raised.
        """
        params = {"corpid": self.credentials.corp_id, "corpsecret": self.credentials.secret(kind)}
        data = self._with_backoff(lambda: self._send("GET", "/cgi-bin/gettoken", params, None), idempotent=True)
        return str(data["access_token"]), int(data.get("expires_in") or 7200)

    def access_token(self, kind: SecretKind) -> str:
        """The cached token of ``kind``, fetched (single-flight) when missing or due."""
        cached = self.store.read(self.account_id, kind.value)
        if cached:
            return cached
        return self.store.refresh(self.account_id, kind.value, lambda: self.fetch_token(kind))

    def renew_token(self, kind: SecretKind, stale: str | None = None, *, force: bool = False) -> str:
        """Replace the token ``stale`` that WeCom refused (or any token with ``force``)."""
        return self.store.refresh(self.account_id, kind.value, lambda: self.fetch_token(kind), stale=stale,
                                  force=force)

    # -- calls -------------------------------------------------------------------------------------------------------

    def call(self, kind: SecretKind, method: str, path: str, *, params: Mapping[str, Any] | None = None,
             json: Mapping[str, Any] | None = None) -> dict[str, Any]:
        """Call ``path`` (e.g. ``/cgi-bin/user/get``) with the token of ``kind``; returns the decoded body.

        Address-book reads fall back to the agent secret when no address-book secret is configured (a self-built
        app reads the members of its visible range)."""
        if kind is SecretKind.ADDRESS_BOOK and not self.credentials.address_book_secret \
                and self.credentials.agent_secret:
            kind = SecretKind.AGENT
        idempotent = method.upper() == "GET"
        token = self.access_token(kind)
        try:
            return self._with_backoff(lambda: self._send(method, path, {**(params or {}), "access_token": token},
                                                         json), idempotent)
        except WeChatAPIError as exc:
            if exc.errcode not in TOKEN_ERRORS:
                raise
        token = self.renew_token(kind, stale=token)
        return self._with_backoff(lambda: self._send(method, path, {**(params or {}), "access_token": token}, json),
                                  idempotent)

    def _with_backoff(self, attempt: Callable[[], dict[str, Any]], idempotent: bool) -> dict[str, Any]:
        for pause in (*self.backoff, None):
            try:
                return attempt()
            except WeChatAPIError as exc:
                if exc.errcode not in RATE_LIMIT_ERRORS or pause is None:
                    raise
            except WeComUnavailable:
                if not idempotent or pause is None:
                    raise
            self.sleep(pause * (1 + random.random() / 4))
        raise AssertionError("unreachable")  # pragma: no cover

    def _send(self, method: str, path: str, params: Mapping[str, Any], json: Mapping[str, Any] | None
              ) -> dict[str, Any]:
        try:
            response = self.http.request(method, self.base_url + path, params=dict(params), json=json,
                                         timeout=self.timeout)
        except httpx.HTTPError as exc:
            raise WeComUnavailable(f"{method} {path}: {type(exc).__name__}") from exc
        if response.status_code >= 500:
            raise WeComUnavailable(f"{method} {path}: HTTP {response.status_code}")
        try:
            data = response.json()
        except ValueError as exc:
            raise WeComUnavailable(f"{method} {path}: HTTP {response.status_code}, not JSON") from exc
        if not isinstance(data, dict):
            raise WeComUnavailable(f"{method} {path}: unexpected body")
        errcode = int(data.get("errcode") or 0)
        if errcode:
            raise WeChatAPIError(errcode, str(data.get("errmsg") or ""), response=data)
        return data

    def close(self) -> None:
        if self._owns_http:
            self.http.close()

    def __enter__(self) -> WeComClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
