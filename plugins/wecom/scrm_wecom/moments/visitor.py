"""Who opened an employee's Moments page (for the behaviour rules, spec §2.1.2): WeCom's web OAuth (snsapi_base),
as WeCom documents it for a WeChat user who is not a member: ``auth/getuserinfo`` answers their ``openid`` and, for
a customer of one of the corp's members, their ``external_userid``, which names the customer here.

The ``state`` is bound to the browser session and used once; the code is exchanged once; the visitor is remembered
per tenant in the session (a customer id, or 0 for a visitor WeCom could not name), so a page asks WeCom at most
once per session and never loops. Redirects go only to this tenant's own page or to the account's authorize page.
"""

from __future__ import annotations

import logging
import secrets
from urllib.parse import urlencode

from flask import session as web_session
from sqlmodel import Session, select

from scrm.sdk import ChannelAccount, channel_accounts

from ..accounts import DEFAULT_API_BASE, PLUGIN, AccountNotConfigured, SecretKind, api_base
from ..materials.oauth import OPEN_BASE

log = logging.getLogger(__name__)

STATE_KEY = "wecom_moments_state"
VISITOR_KEY = "wecom_moments_visitor"
ANONYMOUS = 0


def known(tenant_id: int) -> int | None:
    """The customer id remembered for this tenant, :data:`ANONYMOUS`, or None (not asked yet)."""
    value = (web_session.get(VISITOR_KEY) or {}).get(str(tenant_id))
    return int(value) if value is not None else None


def remember(tenant_id: int, customer_id: int | None) -> None:
    held = dict(web_session.get(VISITOR_KEY) or {})
    held[str(tenant_id)] = int(customer_id or ANONYMOUS)
    web_session[VISITOR_KEY] = held


def account_for(session: Session, tenant_id: int) -> ChannelAccount | None:
    """The tenant's first WeCom account (its self-built app answers the OAuth codes)."""
    return next(iter(channel_accounts(session, tenant_id, PLUGIN)), None)


def authorize_url(account: ChannelAccount, redirect_uri: str, agent_id: int | None) -> str:
    state = secrets.token_urlsafe(12)
    web_session[STATE_KEY] = state
    base = OPEN_BASE if api_base(account) == DEFAULT_API_BASE else api_base(account)
    query = {"appid": account.external_id, "redirect_uri": redirect_uri, "response_type": "code",
             "scope": "snsapi_base", "state": state}
    if agent_id:
        query["agentid"] = agent_id
    return f"{base}/connect/oauth2/authorize?{urlencode(query)}#wechat_redirect"


def state_ok(state: str | None) -> bool:
    expected = web_session.pop(STATE_KEY, None)
    return bool(state) and bool(expected) and secrets.compare_digest(str(state), str(expected))


def customer_for(session: Session, client, account: ChannelAccount, code: str) -> int | None:
    """The customer named by an OAuth code (its external_userid through the follow rows), or None."""
    from ..sync.models import Follow

    data = client.call(SecretKind.AGENT, "GET", "/cgi-bin/auth/getuserinfo", params={"code": code})
    external_userid = str(data.get("external_userid") or "")
    if not external_userid:
        return None
    return session.exec(select(Follow.customer_id).where(Follow.tenant_id == account.tenant_id,
                                                         Follow.account_id == account.id,
                                                         Follow.external_userid == external_userid,
                                                         Follow.customer_id.is_not(None))).first()


__all__ = ["ANONYMOUS", "AccountNotConfigured", "account_for", "authorize_url", "customer_for", "known", "remember",
           "state_ok"]
