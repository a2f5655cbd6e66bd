"""Who is looking at a public page: WeChat web authorisation (网页授权) with ``snsapi_base``, the silent scope that
gives the visitor's openid for the account and nothing else.

The page sends a visitor without a known openid to WeChat's authorisation page
(``https://open.weixin.qq.com/connect/oauth2/authorize?appid=…&redirect_uri=…&response_type=code&scope=snsapi_base
&state=…#wechat_redirect``; an account whose API base is configured, e.g. the sandbox, is authorised there too).
WeChat returns the browser to ``/p/<tenant>/official_account/oauth/<account_id>`` with ``code`` and ``state``; the
code (valid 5 minutes, once) is exchanged server-side at ``/sns/oauth2/access_token`` with the AppSecret, and the
openid kept in the visitor's session for that account. ``state`` is a random value kept in the session with the page
to return to: a return whose state the session did not issue is refused (no login CSRF), and the page returned to
is a path of the same site (the one safe-redirect check). Web authorisation needs a verified service account
(WeChat answers 10005 otherwise): :func:`available` says whether an account has it.
"""

from __future__ import annotations

import secrets
from typing import Any
from urllib.parse import urlencode

from flask import session, url_for

from scrm.sdk import ChannelAccount

from .accounts import DEFAULT_API_BASE, api_base, is_verified_service

OPEN_BASE = "https://open.weixin.qq.com"
SCOPE = "snsapi_base"
SESSION_OPENIDS = "oa_visitor"
SESSION_STATES = "oa_oauth_state"
MAX_PENDING = 5
"""Authorisations started and not returned yet, kept per session (several tabs): older ones are forgotten."""


class OAuthFailed(Exception):
    """The return from WeChat is not one this session started, or WeChat refused the code."""


def available(account: ChannelAccount) -> bool:
    """Whether WeChat offers web authorisation for the account: a verified service account."""
    return is_verified_service(account)


def authorize_base(account: ChannelAccount) -> str:
    """Where the account's authorisation page is: WeChat's, or the configured API base (the sandbox)."""
    base = api_base(account)
    return OPEN_BASE if base == DEFAULT_API_BASE else base


def visitor_openid(account: ChannelAccount) -> str | None:
    """The openid web authorisation gave this browser for ``account``, or None."""
    value = (session.get(SESSION_OPENIDS) or {}).get(str(account.id))
    return value if isinstance(value, str) and value else None


def start(account: ChannelAccount, next_path: str) -> str:
    """The authorisation URL to send the browser to; remembers ``state`` and ``next_path`` in the session."""
    state = secrets.token_urlsafe(16)
    pending = dict(session.get(SESSION_STATES) or {})
    pending[state] = {"account": account.id, "next": next_path}
    session[SESSION_STATES] = dict(list(pending.items())[-MAX_PENDING:])
    redirect_uri = url_for("official_account_public.oauth_return", account_id=account.id, _external=True)
    query = urlencode({"appid": account.external_id, "redirect_uri": redirect_uri, "response_type": "code",
                       "scope": SCOPE, "state": state})
    return f"{authorize_base(account)}/connect/oauth2/authorize?{query}#wechat_redirect"


def pending_return(account: ChannelAccount, state: str) -> str:
    """The page an authorisation of ``account`` with ``state`` returns to (the state is used up), or
    :class:`OAuthFailed` when this session did not start it."""
    pending = dict(session.get(SESSION_STATES) or {})
    started = pending.pop(state or "", None)
    session[SESSION_STATES] = pending
    if not isinstance(started, dict) or started.get("account") != account.id:
        raise OAuthFailed("state")
    return str(started.get("next") or "")


def exchange(client: Any, code: str) -> str:
    """The openid for ``code`` (``GET /sns/oauth2/access_token``, grant ``authorization_code``); raises
    ``WeChatAPIError`` (40029 invalid code, 40163 code used) or ``OAUnavailable``."""
    params = {"appid": client.credentials.appid, "secret": client.credentials.app_secret, "code": code,
              "grant_type": "authorization_code"}
    data = client._send("GET", "/sns/oauth2/access_token", params, None)  # a code is used once: no retry
    openid = str(data.get("openid") or "")
    if not openid:
        raise OAuthFailed("no openid")
    return openid


def remember(account: ChannelAccount, openid: str) -> None:
    openids = dict(session.get(SESSION_OPENIDS) or {})
    openids[str(account.id)] = openid[:64]
    session[SESSION_OPENIDS] = openids
