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

from collections.abc import Mapping
from typing import Any

from scrm.sdk.wechat.transport import (
    DEFAULT_BACKOFF,
    TIMEOUT,
    WeChatTransport,
    WeChatUnavailable,
    shared_http,
)

from .accounts import DEFAULT_API_BASE, SecretKind, api_base, credentials_of
from .endpoints import WeComEndpoints
from .tokens import token_store

TOKEN_ERRORS = frozenset({40014, 42001, 41001})
"""Refresh the access token and retry once (protocols.md §2.2). 40001 is a wrong secret in WeCom: never retried."""
RATE_LIMIT_ERRORS = frozenset({45009, 45033, -1})
"""Back off and retry (bounded): frequency limits and "system busy"."""

__all__ = ["DEFAULT_BACKOFF", "RATE_LIMIT_ERRORS", "TIMEOUT", "TOKEN_ERRORS", "WeComClient", "WeComUnavailable",
           "shared_http"]


class WeComUnavailable(WeChatUnavailable):
    """WeCom (or the configured API base) could not be reached or answered something that is not WeCom JSON."""


class WeComClient(WeComEndpoints, WeChatTransport):
    """A client for one corp account. Thread-safe as long as the given ``http`` client is (httpx's is).

    Without ``http`` it uses the process's pooled client (:func:`shared_http`), which ``close()`` leaves open; an
    ``http`` client given is the caller's to share, and ``close()`` closes it."""

    unavailable = WeComUnavailable
    rate_limit_errors = RATE_LIMIT_ERRORS
    token_errors = TOKEN_ERRORS
    default_base_url = DEFAULT_API_BASE

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
        return self._authorised(method, path, params, json, self.access_token(kind),
                                lambda stale: self.renew_token(kind, stale=stale))

    def upload(self, kind: SecretKind, path: str, files: Mapping[str, Any], *, params: Mapping[str, Any] | None = None,
               form: Mapping[str, str] | None = None) -> dict[str, Any]:
        """A multipart POST (``media/upload``, ``media/uploadimg``) with the token of ``kind`` and its policy."""
        return self._authorised("POST", path, params, None, self.access_token(kind),
                                lambda stale: self.renew_token(kind, stale=stale), files=files, form=form)
