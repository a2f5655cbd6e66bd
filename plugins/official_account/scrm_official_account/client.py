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

from collections.abc import Mapping
from typing import Any

from scrm.sdk.wechat.transport import (
    DEFAULT_BACKOFF,
    TIMEOUT,
    WeChatTransport,
    WeChatUnavailable,
    shared_http,
)

from .accounts import DEFAULT_API_BASE, TOKEN_KIND, api_base, credentials_of
from .tokens import token_store

TOKEN_ERRORS = frozenset({40001, 40014, 42001, 41001})
"""Refresh the access token and retry once (protocols.md §2.2, official accounts)."""
RATE_LIMIT_ERRORS = frozenset({45009, 45011, -1})
"""Back off and retry (bounded): daily / minute quota and "system busy"."""

__all__ = ["DEFAULT_BACKOFF", "OAClient", "OAUnavailable", "RATE_LIMIT_ERRORS", "TIMEOUT", "TOKEN_ERRORS",
           "shared_http"]


class OAUnavailable(WeChatUnavailable):
    """WeChat (or the configured API base) could not be reached or answered something that is not WeChat JSON."""


class OAClient(WeChatTransport):
    """A client for one official account. Thread-safe (httpx's client is)."""

    unavailable = OAUnavailable
    rate_limit_errors = RATE_LIMIT_ERRORS
    token_errors = TOKEN_ERRORS
    utf8_json = True
    default_base_url = DEFAULT_API_BASE

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
        return self._authorised(method, path, params, json, self.access_token(),
                                lambda stale: self.renew_token(stale=stale))

    def upload(self, path: str, params: Mapping[str, Any], files: Mapping[str, Any],
               form: Mapping[str, str] | None = None) -> dict[str, Any]:
        """A multipart POST (materials, media) with the account's token policy."""
        return self._authorised("POST", path, params, None, self.access_token(),
                                lambda stale: self.renew_token(stale=stale), files=files, form=form)

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
