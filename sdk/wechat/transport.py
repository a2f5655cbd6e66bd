"""The HTTP transport the WeChat-family API clients share (official account, WeCom): one pooled connection per
process, WeChat's JSON answers decoded, bounded backoff on rate limits, and one token refresh on a token error.

A plugin's client subclasses :class:`WeChatTransport`, names its own ``unavailable`` exception (a subclass of
:class:`WeChatUnavailable`), the ``errcode`` sets that mean "rate limited" and "token refused" in its protocol, and
whether request bodies go out as UTF-8 JSON; it keeps its token handling and endpoints.
"""

from __future__ import annotations

import json as jsonlib
import os
import random
import threading
import time
from collections.abc import Callable, Mapping, Sequence
from http.cookiejar import CookieJar, DefaultCookiePolicy
from typing import Any, ClassVar

import httpx

from scrm.sdk.wechat.errors import WeChatAPIError

__all__ = ["DEFAULT_BACKOFF", "POOL", "TIMEOUT", "WeChatTransport", "WeChatUnavailable", "shared_http"]

DEFAULT_BACKOFF: tuple[float, ...] = (0.5, 1.0, 2.0)
TIMEOUT = 10.0
POOL = httpx.Limits(max_connections=64, max_keepalive_connections=32, keepalive_expiry=30.0)

_shared: tuple[int, httpx.Client] | None = None
_shared_lock = threading.Lock()


def shared_http() -> httpx.Client:
    """The process's HTTP client for WeChat-family calls, shared by every account's client and every thread (httpx's
    client is thread-safe): one connection pool with keep-alive and one TLS context, so a call reuses an open
    connection instead of building an SSL context and connecting again (measured: the SSL context alone was the
    largest cost of a WeCom welcome job). It keeps no cookies, so nothing passes between accounts but connections.
    A forked process (a gunicorn or worker child) makes its own."""
    global _shared
    shared = _shared
    if shared is not None and shared[0] == os.getpid():
        return shared[1]
    with _shared_lock:
        if _shared is None or _shared[0] != os.getpid():
            jar = CookieJar(policy=DefaultCookiePolicy(allowed_domains=[]))
            _shared = (os.getpid(), httpx.Client(timeout=TIMEOUT, limits=POOL, cookies=jar))
        return _shared[1]


class WeChatUnavailable(Exception):
    """The API (or the configured API base) could not be reached or answered something that is not WeChat JSON."""


class WeChatTransport:
    """Transport and retry policy of one account's client. Thread-safe as long as ``http`` is (httpx's client is).

    Without ``http`` the process's pooled client (:func:`shared_http`) is used and ``close()`` leaves it open; an
    ``http`` client given is the caller's to share, and ``close()`` closes it."""

    unavailable: ClassVar[type[WeChatUnavailable]] = WeChatUnavailable
    rate_limit_errors: ClassVar[frozenset[int]] = frozenset({-1})
    token_errors: ClassVar[frozenset[int]] = frozenset()
    utf8_json: ClassVar[bool] = False
    """Send request bodies as UTF-8 JSON rather than ``\\u`` escapes (WeChat counts byte limits on what it gets)."""
    default_base_url: ClassVar[str] = ""

    def __init__(self, *, account_id: int, credentials: Any, store: Any, base_url: str | None = None,
                 http: httpx.Client | None = None, timeout: float = TIMEOUT,
                 backoff: Sequence[float] = DEFAULT_BACKOFF, sleep: Callable[[float], None] = time.sleep) -> None:
        self.account_id = account_id
        self.credentials = credentials
        self.store = store
        self.base_url = (base_url or self.default_base_url).rstrip("/")
        self._owns_http = http is not None
        self.http = http if http is not None else shared_http()
        self.timeout = timeout
        self.backoff = tuple(backoff)
        self.sleep = sleep

    def _authorised(self, method: str, path: str, params: Mapping[str, Any] | None, json: Mapping[str, Any] | None,
                    token: str, renew: Callable[[str], str], *, files: Mapping[str, Any] | None = None,
                    form: Mapping[str, str] | None = None) -> dict[str, Any]:
        """Call ``path`` with ``token``; on one of :attr:`token_errors` renew the token once (``renew(stale)``) and
        call again, a second refusal is raised. GET calls are idempotent and retried on network failures too.
        ``files`` (and ``form``) make the call a multipart upload (media, materials)."""
        idempotent = method.upper() == "GET"

        def attempt(current: str) -> dict[str, Any]:
            return self._with_backoff(lambda: self._send(method, path, {**(params or {}), "access_token": current},
                                                         json, files=files, form=form), idempotent)

        try:
            return attempt(token)
        except WeChatAPIError as exc:
            if exc.errcode not in self.token_errors:
                raise
        return attempt(renew(token))

    def _with_backoff(self, attempt: Callable[[], dict[str, Any]], idempotent: bool) -> dict[str, Any]:
        for pause in (*self.backoff, None):
            try:
                return attempt()
            except WeChatAPIError as exc:
                if exc.errcode not in self.rate_limit_errors or pause is None:
                    raise
            except WeChatUnavailable:
                if not idempotent or pause is None:
                    raise
            self.sleep(pause * (1 + random.random() / 4))
        raise AssertionError("unreachable")  # pragma: no cover

    def _send(self, method: str, path: str, params: Mapping[str, Any], json: Mapping[str, Any] | None, *,
              files: Mapping[str, Any] | None = None, form: Mapping[str, str] | None = None) -> dict[str, Any]:
        try:
            if files is not None:
                response = self.http.request(method, self.base_url + path, params=dict(params), files=dict(files),
                                             data=dict(form) if form else None, timeout=self.timeout)
            elif json is not None and self.utf8_json:
                content = jsonlib.dumps(json, ensure_ascii=False).encode("utf-8")
                response = self.http.request(method, self.base_url + path, params=dict(params), content=content,
                                             headers={"Content-Type": "application/json; charset=utf-8"},
                                             timeout=self.timeout)
            else:
                response = self.http.request(method, self.base_url + path, params=dict(params), json=json,
                                             timeout=self.timeout)
        except httpx.HTTPError as exc:
            raise self.unavailable(f"{method} {path}: {type(exc).__name__}") from exc
        return self._decoded(method, path, response)

    def _decoded(self, method: str, path: str, response: httpx.Response) -> dict[str, Any]:
        """WeChat's JSON answer, or :attr:`unavailable` (5xx, not JSON) / :class:`WeChatAPIError` (non-zero
        ``errcode``)."""
        if response.status_code >= 500:
            raise self.unavailable(f"{method} {path}: HTTP {response.status_code}")
        try:
            data = response.json()
        except ValueError as exc:
            raise self.unavailable(f"{method} {path}: HTTP {response.status_code}, not JSON") from exc
        if not isinstance(data, dict):
            raise self.unavailable(f"{method} {path}: unexpected body")
        errcode = int(data.get("errcode") or 0)
        if errcode:
            raise WeChatAPIError(errcode, str(data.get("errmsg") or ""), response=data)
        return data

    def close(self) -> None:
        if self._owns_http:
            self.http.close()

    def __enter__(self) -> WeChatTransport:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
