"""Sandbox endpoints: ``gettoken``, the address book (departments, users) and app messages."""

from __future__ import annotations

import time
from typing import Any

from .routing import ADDRESS_BOOK, AGENT, api, require
from .state import Corp, SandboxError, SandboxState, new_id


@api("/cgi-bin/gettoken", "GET", frozenset())
def gettoken(state: SandboxState, _corp: None, q: dict[str, Any]) -> dict[str, Any]:
    if not q.get("corpid"):
        raise SandboxError(41002, "corpid missing")
    corp = state.corp(q["corpid"])
    if not q.get("corpsecret"):
        raise SandboxError(41004, "corpsecret missing")
    kind = corp.secrets.get(q["corpsecret"])
    if kind is None:
        raise SandboxError(40001, "invalid credential: wrong secret")
    token = state.issue_token(corp, kind)
    return {"access_token": token.value, "expires_in": max(0, int(round(token.expires_at - time.time())))}


def _int(value: Any, name: str) -> int:
    try:
        return int(value)
    except (TypeError, ValueError):
        raise SandboxError(40058, f"invalid {name}") from None


def _subtree(corp: Corp, root: int) -> list[int]:
    out, frontier = [root], [root]
    while frontier:
        children = [d for d, dep in corp.departments.items() if dep.get("parentid") in frontier and d not in out]
        out.extend(children)
        frontier = children
    return out


@api("/cgi-bin/department/list", "GET", ADDRESS_BOOK)
def department_list(state: SandboxState, corp: Corp, q: dict[str, Any]) -> dict[str, Any]:
    if q.get("id") not in (None, ""):
        root = _int(q["id"], "department id")
        if root not in corp.departments:
            raise SandboxError(60123, "invalid party id")
        ids = _subtree(corp, root)
    else:
        ids = list(corp.departments)
    return {"department": [corp.departments[d] for d in sorted(ids)]}


@api("/cgi-bin/user/list", "GET", ADDRESS_BOOK)
def user_list(state: SandboxState, corp: Corp, q: dict[str, Any]) -> dict[str, Any]:
    require(q, "department_id")
    root = _int(q["department_id"], "department_id")
    if root not in corp.departments:
        raise SandboxError(60123, "invalid party id")
    wanted = set(_subtree(corp, root)) if str(q.get("fetch_child", "0")) == "1" else {root}
    users = [u for u in corp.users.values() if wanted & set(u.get("department", []))]
    return {"userlist": users}


@api("/cgi-bin/user/get", "GET", ADDRESS_BOOK)
def user_get(state: SandboxState, corp: Corp, q: dict[str, Any]) -> dict[str, Any]:
    require(q, "userid")
    user = corp.users.get(q["userid"])
    if user is None:
        raise SandboxError(60111, "userid not found")
    return dict(user)


@api("/cgi-bin/message/send", "POST", AGENT)
def message_send(state: SandboxState, corp: Corp, body: dict[str, Any]) -> dict[str, Any]:
    require(body, "msgtype", "agentid")
    if corp.agent_id is not None and _int(body["agentid"], "agentid") != corp.agent_id:
        raise SandboxError(40056, "invalid agentid")
    msgtype = body["msgtype"]
    if msgtype == "text":
        require(body.get("text") or {}, "content")
    elif msgtype == "textcard":
        card = body.get("textcard") or {}
        require(card, "title", "description", "url")
        if len(card["title"]) > 128 or len(card["description"]) > 512 or len(card.get("btntxt") or "") > 4:
            raise SandboxError(40058, "textcard field too long")
    else:
        raise SandboxError(40008, "invalid message type")
    users = [u for u in str(body.get("touser") or "").split("|") if u]
    if not users and not body.get("toparty") and not body.get("totag"):
        raise SandboxError(40058, "touser, toparty and totag are all empty")
    invalid = [u for u in users if u != "@all" and u not in corp.users]
    msgid = new_id("msg", 10)
    corp.app_messages.append({**body, "msgid": msgid})
    return {"invaliduser": "|".join(invalid), "invalidparty": "", "invalidtag": "", "unlicenseduser": "",
            "msgid": msgid, "response_code": ""}
