"""Web authorisation (网页授权) of an official account's pages, as WeChat runs it for ``snsapi_base`` (silent: the
openid only) and ``snsapi_userinfo``:

* ``GET /connect/oauth2/authorize?appid=&redirect_uri=&response_type=code&scope=&state=`` (WeChat's page; the
  ``#wechat_redirect`` fragment never reaches a server). WeChat's browser knows its user; the sandbox knows the user
  of a browser by a cookie per account (``sbx_wx_<appid>``: the user's openid for that account), set by its chooser
  page (continue as one of the account's fans, or as a new WeChat user who does not follow) or by ``as=<openid>`` in
  the query. Then ``302`` to ``redirect_uri?code=CODE&state=STATE``. Refusals are pages with WeChat's codes: 10012
  appid missing, 10011 redirect_uri missing, 10010 scope missing, 10003 the redirect_uri's domain is not the
  account's web-authorisation domain (``oauth_domain``, checked when set), 10005 the account has no such scope
  (web authorisation needs a verified service account), 40013 unknown appid.
* ``GET /sns/oauth2/access_token?appid=&secret=&code=&grant_type=authorization_code``: ``access_token``,
  ``expires_in`` (7200), ``refresh_token``, ``openid``, ``scope``. A code is valid 5 minutes, once, for its appid:
  40029 invalid code (unknown, expired or another account's), 40163 code been used; 40013 invalid appid, 40125
  invalid appsecret, 40002 invalid grant_type.
"""

from __future__ import annotations

import secrets
from typing import Any
from urllib.parse import urlencode, urlsplit

from flask import Flask, Response, make_response, redirect, render_template_string, request

from .routing import api, dispatch
from .state import SandboxError, SandboxState

CODE_SECONDS = 300
SCOPES = ("snsapi_base", "snsapi_userinfo")
COOKIE = "sbx_wx_"

CHOOSER = """<!doctype html><html lang="zh-CN"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1"><title>微信授权（沙箱）</title></head>
<body style="font-family:sans-serif;max-width:420px;margin:24px auto;padding:0 12px">
<h1 style="font-size:1.1rem">微信网页授权 · 沙箱</h1>
<p>公众号 {{ appid }} 请求获取你的身份（{{ scope }}）。选择这个浏览器所代表的微信用户：</p>
<form method="get" data-testid="sandbox-oauth-chooser">
{% for key, value in query %}<input type="hidden" name="{{ key }}" value="{{ value }}">{% endfor %}
{% for openid, label in fans %}<p><button name="as" value="{{ openid }}" data-openid="{{ openid }}">{{ label }}</button></p>{% endfor %}
<p><button name="as" value="new" data-testid="sandbox-oauth-new">新的微信用户（未关注）</button></p>
</form></body></html>"""

ERROR = """<!doctype html><html lang="zh-CN"><head><meta charset="utf-8"><title>微信授权错误</title></head>
<body><h1 data-errcode="{{ errcode }}">{{ errcode }}</h1><p>{{ errmsg }}</p></body></html>"""


def _codes(state: SandboxState) -> dict[str, dict[str, Any]]:
    return state.area("oauth_codes")


def _refuse(errcode: int, errmsg: str) -> Response:
    return make_response(render_template_string(ERROR, errcode=errcode, errmsg=errmsg), 400)


def _fans(state: SandboxState, appid: str) -> list[tuple[str, str]]:
    """The account's known users for the chooser: openid and a label (nickname when known)."""
    from .fans_api import directory

    listed = directory(state, appid).fans
    labels = [(openid, f"{fan.get('nickname') or openid}（{'已关注' if fan.get('subscribe') else '未关注'}）")
              for openid, fan in listed.items()]
    return labels[:30]


def authorize(state: SandboxState) -> Response:
    args = request.args
    appid, redirect_uri = args.get("appid", ""), args.get("redirect_uri", "")
    scope, oauth_state = args.get("scope", ""), args.get("state", "")
    with state.lock:
        if not appid:
            return _refuse(10012, "appid 不能为空")
        if not redirect_uri:
            return _refuse(10011, "redirect_uri 不能为空")
        if not scope:
            return _refuse(10010, "scope 不能为空")
        account = state.accounts.get(appid)
        if account is None:
            return _refuse(40013, "invalid appid")
        target = urlsplit(redirect_uri)
        if target.scheme not in ("http", "https") or not target.hostname:
            return _refuse(10003, "redirect_uri 参数错误")
        domain = getattr(account, "oauth_domain", "") or ""
        if domain and target.hostname != domain.split(":")[0]:
            return _refuse(10003, "redirect_uri 域名与后台配置不一致")
        if scope not in SCOPES or account.account_type != "service" or not account.verified:
            return _refuse(10005, "此公众号并没有这些 scope 的权限")
        chosen = args.get("as") or request.cookies.get(COOKIE + appid)
        if chosen == "new":
            chosen = "o" + secrets.token_urlsafe(20)[:27]
            account.fan(chosen).subscribed = False
        if not chosen:
            query = [(k, v) for k, v in args.items(multi=True) if k != "as"]
            return make_response(render_template_string(CHOOSER, appid=appid, scope=scope, query=query,
                                                        fans=_fans(state, appid)))
        if chosen not in account.fans:
            account.fan(chosen).subscribed = False  # a WeChat user the account has not met: not a follower
        code = secrets.token_urlsafe(24)
        _codes(state)[code] = {"appid": appid, "openid": chosen, "scope": scope, "issued_at": state.now(),
                               "used": False}
    separator = "&" if target.query else "?"
    response = redirect(f"{redirect_uri}{separator}{urlencode({'code': code, 'state': oauth_state})}", 302)
    response.set_cookie(COOKIE + appid, chosen, path="/", httponly=True, samesite="Lax")
    return response


@api("/sns/oauth2/access_token", "GET", token=False)
def access_token(state: SandboxState, _account, payload: dict[str, Any]) -> dict[str, Any]:
    if payload.get("grant_type") != "authorization_code":
        raise SandboxError(40002, "invalid grant_type")
    appid = str(payload.get("appid") or "")
    account = state.accounts.get(appid)
    if account is None:
        raise SandboxError(40013, "invalid appid")
    if not secrets.compare_digest(account.secret, request.args.get("secret", "")):
        raise SandboxError(40125, "invalid appsecret")
    issued = _codes(state).get(str(payload.get("code") or ""))
    if issued is None or issued["appid"] != appid or state.now() - issued["issued_at"] > CODE_SECONDS:
        raise SandboxError(40029, "invalid code")
    if issued["used"]:
        raise SandboxError(40163, "code been used")
    issued["used"] = True
    return {"access_token": "SBX_WEB_" + secrets.token_urlsafe(24), "expires_in": 7200,
            "refresh_token": "SBX_REFRESH_" + secrets.token_urlsafe(24), "openid": issued["openid"],
            "scope": issued["scope"]}


def register_sandbox_control(app: Flask, state: SandboxState) -> None:
    """The authorisation page and the ``/sns/`` API (WeChat's web-authorisation hosts)."""

    @app.get("/connect/oauth2/authorize")
    def oauth_authorize():
        return authorize(state)

    @app.route("/sns/<path:rest>", methods=["GET", "POST"])
    def sns_api(rest: str):
        return dispatch(state, "/sns/" + rest)
