"""The sandbox's request pipeline: injected failures and rate limits, access token, secret permissions, the
handler, and the call log — in that order, every answer in WeCom's JSON shape (HTTP 200, ``errcode``/``errmsg``)."""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from flask import Flask, Response, request

from .state import Corp, SandboxError, SandboxState

Handler = Callable[[SandboxState, Corp, dict[str, Any]], dict[str, Any]]


@dataclass(frozen=True)
class Route:
    path: str
    method: str
    kinds: frozenset[str]
    handler: Handler


ROUTES: dict[str, Route] = {}

ADDRESS_BOOK = frozenset({"address_book", "agent"})
CONTACT = frozenset({"contact"})
AGENT = frozenset({"agent"})


def api(path: str, method: str, kinds: frozenset[str]) -> Callable[[Handler], Handler]:
    """Declare a WeCom API endpoint of the sandbox (``path`` like ``/cgi-bin/user/get``)."""

    def register(handler: Handler) -> Handler:
        ROUTES[path] = Route(path, method, kinds, handler)
        return handler

    return register


def answer(data: dict[str, Any]) -> Response:
    body = {"errcode": 0, "errmsg": "ok", **data}
    return Response(json.dumps(body, ensure_ascii=False), mimetype="application/json")


def _payload(method: str) -> dict[str, Any]:
    params = {k: v for k, v in request.args.items() if k != "access_token"}
    if method == "GET":
        return params
    if request.mimetype == "multipart/form-data":  # an upload (media/upload): the handler reads request.files
        return {**params, "files": {name: {"filename": f.filename, "content_type": f.mimetype}
                                    for name, f in request.files.items()}}
    raw = request.get_data(as_text=True)
    if not raw.strip():
        return {}
    try:
        body = json.loads(raw)
    except ValueError as exc:
        raise SandboxError(47001, "data format error") from exc
    if not isinstance(body, dict):
        raise SandboxError(47001, "data format error")
    return body


def dispatch(state: SandboxState, path: str) -> Response:
    """Serve one WeCom API request against ``state``, held back by the ``api_latency`` setting (half before the
    request reaches the simulator, half before the answer leaves, outside the lock as on a network)."""
    latency = state.settings.api_latency
    if latency:
        time.sleep(latency / 2)
    response = _dispatch(state, path)
    if latency:
        time.sleep(latency / 2)
    return response


def _dispatch(state: SandboxState, path: str) -> Response:
    """Serve one WeCom API request against ``state``; every request is logged with its answer's errcode."""
    route = ROUTES.get(path)
    entry: dict[str, Any] = {"path": path, "method": request.method, "at": time.time(), "corp_id": None,
                             "kind": None, "body": None,
                             "query": {k: v for k, v in request.args.items() if k not in ("access_token", "corpsecret")}}
    with state.lock:
        try:
            if route is None:
                raise SandboxError(404, f"unknown api {path}")
            if request.method != route.method:
                raise SandboxError(40058, f"{path} expects {route.method}")
            payload = _payload(route.method)
            entry["body"] = payload if route.method == "POST" else None
            state.check_limits(path)
            corp = None
            if route.kinds:
                token = state.check_token(request.args.get("access_token"))
                entry["corp_id"], entry["kind"] = token.corp_id, token.kind
                if token.kind not in route.kinds:
                    raise SandboxError(48002, "api forbidden")
                corp = state.corp(token.corp_id)
            data = route.handler(state, corp, payload)  # type: ignore[arg-type]
        except SandboxError as exc:
            entry["errcode"] = exc.errcode
            state.record(entry)
            return Response(json.dumps({"errcode": exc.errcode, "errmsg": exc.errmsg}), mimetype="application/json")
        entry["errcode"] = 0
        state.record(entry)
        return answer(data)


def register_api(app: Flask, state: SandboxState) -> None:
    @app.route("/cgi-bin/<path:rest>", methods=["GET", "POST"])
    def wecom_api(rest: str):
        return dispatch(state, "/cgi-bin/" + rest)


def require(payload: dict[str, Any], *names: str) -> None:
    """40058 (invalid parameter) unless every name is present and non-empty."""
    missing = [n for n in names if payload.get(n) in (None, "", [])]
    if missing:
        raise SandboxError(40058, f"missing or invalid parameter: {', '.join(missing)}")
