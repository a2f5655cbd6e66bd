"""WeCom web OAuth for the employee H5 pages (the chat sidebar): ``connect/oauth2/authorize`` (snsapi_base) sends
the employee back with a code, ``auth/getuserinfo`` turns it into the member's userid, and the session remembers the
employee of that tenant.

The authorize page is WeCom's ``https://open.weixin.qq.com`` for an account on WeCom's API host, else the account's
own API base (the sandbox serves both).
"""

from __future__ import annotations

import secrets
from typing import Any
from urllib.parse import urlencode

from flask import session as web_session
from sqlmodel import Session, select

from scrm.sdk import ChannelAccount, Employee, EmployeeStatus

from ..accounts import DEFAULT_API_BASE, SecretKind, api_base

OPEN_BASE = "https://open.weixin.qq.com"
SESSION_KEY = "wecom_h5"


def authorize_url(account: ChannelAccount, redirect_uri: str, agent_id: int | None) -> str:
    """Where to send an unknown visitor; a fresh ``state`` is kept in the session and checked on return."""
    state = secrets.token_urlsafe(12)
    web_session[f"{SESSION_KEY}_state"] = state
    base = OPEN_BASE if api_base(account) == DEFAULT_API_BASE else api_base(account)
    query = {"appid": account.external_id, "redirect_uri": redirect_uri, "response_type": "code",
             "scope": "snsapi_base", "state": state}
    if agent_id:
        query["agentid"] = agent_id
    return f"{base}/connect/oauth2/authorize?{urlencode(query)}#wechat_redirect"


def state_ok(state: str | None) -> bool:
    expected = web_session.pop(f"{SESSION_KEY}_state", None)
    return bool(state) and bool(expected) and secrets.compare_digest(str(state), str(expected))


def userid_for(client: Any, code: str) -> str | None:
    """The member's userid of an OAuth code (None for a code of a non-member, e.g. an external contact)."""
    data = client.call(SecretKind.AGENT, "GET", "/cgi-bin/auth/getuserinfo", params={"code": code})
    return data.get("userid") or data.get("UserId") or None


def sign_in(tenant_id: int, account_id: int, employee_id: int) -> None:
    web_session[SESSION_KEY] = {"tenant": tenant_id, "account": account_id, "employee": employee_id}


def signed_in(session: Session, tenant_id: int) -> tuple[Employee, int] | None:
    """The signed-in active employee of ``tenant_id`` and their account id, or None."""
    held = web_session.get(SESSION_KEY) or {}
    if held.get("tenant") != tenant_id:
        return None
    employee = session.get(Employee, held.get("employee"))
    if employee is None or employee.tenant_id != tenant_id or employee.status != EmployeeStatus.ACTIVE:
        return None
    return employee, int(held.get("account") or 0)


def employee_of(session: Session, tenant_id: int, userid: str) -> Employee | None:
    return session.exec(select(Employee).where(Employee.tenant_id == tenant_id, Employee.userid == userid,
                                               Employee.status == EmployeeStatus.ACTIVE)).first()
