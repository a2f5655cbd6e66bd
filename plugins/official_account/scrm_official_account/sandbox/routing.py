"""The sandbox's request pipeline and its small router: every API answer in WeChat's JSON shape (HTTP 200,
``errcode`` / ``errmsg``), access token checked first (41001 missing, 40001 invalid, 42001 expired), then injected
failures, the handler and the call log.

An area adds endpoints in a module ``scrm_official_account/sandbox/<area>_api.py`` (imported automatically)::

    from .routing import api, require
    from .state import SandboxError

    @api("/cgi-bin/menu/create")                       # POST with the account's access token
    def create_menu(state, account, payload):           # account: state.Account; payload: JSON body or query
        require(payload, "button")
        state.area("menus")[account.appid] = payload
        return {}                                        # merged into {"errcode": 0, "errmsg": "ok"}

``@api(path, method="GET", token=False)`` declares an endpoint called without an access token (``account`` None).
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from flask import Flask, Response, request

from .state import Account, SandboxError, SandboxState

Handler = Callable[[SandboxState, Account | None, dict[str, Any]], dict[str, Any]]


@dataclass(frozen=True)
class Route:
    path: str
    method: str
    token: bool
    handler: Handler


ROUTES: dict[str, Route] = {}


def api(path: str, method: str = "POST", *, token: bool = True) -> Callable[[Handler], Handler]:
    """Declare an official-account API endpoint of the sandbox (``path`` like ``/cgi-bin/menu/create``)."""

    def register(handler: Handler) -> Handler:
        ROUTES[path] = Route(path, method, token, handler)
        return handler

    return register


def require(payload: dict[str, Any], *names: str) -> None:
    """47001 (data format error) unless every name is present and non-empty."""
    missing = [n for n in names if payload.get(n) in (None, "", [], {})]
    if missing:
        raise SandboxError(47001, f"data format error: missing {', '.join(missing)}")


def answer(data: dict[str, Any]) -> Response:
    body = {"errcode": 0, "errmsg": "ok", **data}
    return Response(json.dumps(body, ensure_ascii=False), mimetype="application/json")


def _payload(method: str) -> dict[str, Any]:
    params = {k: v for k, v in request.args.items() if k not in ("access_token", "secret")}
    if method == "GET":
        return params
    if request.mimetype == "multipart/form-data":  # file uploads (material/add_material): handlers read request.files
        return {**params, **request.form.to_dict()}
    raw = request.get_data(as_text=True)
    if not raw.strip():
        return params
    try:
        body = json.loads(raw)
    except ValueError as exc:
        raise SandboxError(47001, "data format error") from exc
    if not isinstance(body, dict):
        raise SandboxError(47001, "data format error")
    return body


def dispatch(state: SandboxState, path: str) -> Response:
    route = ROUTES.get(path)
    entry: dict[str, Any] = {"path": path, "method": request.method, "at": time.time(), "appid": None, "body": None,
                             "query": {k: v for k, v in request.args.items() if k not in ("access_token", "secret")}}
    with state.lock:
        try:
            if route is None:
                raise SandboxError(404, f"unknown api {path}")
            if request.method != route.method:
                raise SandboxError(43002, f"{path} requires {route.method}")
            payload = _payload(route.method)
            entry["body"] = payload if route.method == "POST" else None
            account = None
            if route.token:
                account = state.check_token(request.args.get("access_token"))
                entry["appid"] = account.appid
            failure = state.next_failure(path)
            if failure is not None:
                raise SandboxError(failure, "injected failure")
            data = route.handler(state, account, payload)
        except SandboxError as exc:
            entry["errcode"] = exc.errcode
            state.record(entry)
            return Response(json.dumps({"errcode": exc.errcode, "errmsg": exc.errmsg, **exc.data}),
                            mimetype="application/json")
        entry["errcode"] = 0
        state.record(entry)
        return answer(data)


def register_api(app: Flask, state: SandboxState) -> None:
    @app.route("/cgi-bin/<path:rest>", methods=["GET", "POST"])
    def oa_api(rest: str):
        return dispatch(state, "/cgi-bin/" + rest)
