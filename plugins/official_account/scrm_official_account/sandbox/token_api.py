"""``/cgi-bin/token`` and ``/cgi-bin/stable_token``: AppID + AppSecret → access token (7200 s)."""

from __future__ import annotations

from typing import Any

from flask import request

from .routing import api
from .state import SandboxError, SandboxState


@api("/cgi-bin/token", "GET", token=False)
def token(state: SandboxState, _account, payload: dict[str, Any]) -> dict[str, Any]:
    if payload.get("grant_type") != "client_credential":
        raise SandboxError(40002, "invalid grant_type")
    value, expires_in = state.issue_token(str(payload.get("appid") or ""), request.args.get("secret", ""))
    return {"access_token": value, "expires_in": expires_in}


@api("/cgi-bin/stable_token", "POST", token=False)
def stable_token(state: SandboxState, _account, payload: dict[str, Any]) -> dict[str, Any]:
    if payload.get("grant_type") != "client_credential":
        raise SandboxError(40002, "invalid grant_type")
    value, expires_in = state.issue_token(str(payload.get("appid") or ""), str(payload.get("secret") or ""))
    return {"access_token": value, "expires_in": expires_in}
