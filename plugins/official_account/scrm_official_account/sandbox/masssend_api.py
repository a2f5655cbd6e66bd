"""Sandbox endpoints of mass sends and template lists (protocols.md 3.3, 3.4):

* ``POST /cgi-bin/message/mass/send`` (by openid list): 48001 for an account that is not a verified service account
  (api unauthorized), 40130 for fewer than 2 or more than 10,000 openids (invalid openid list size), 40008 an
  unknown msgtype, 47001 missing content, 40007 a media_id the account's materials do not have, 45065 a
  ``clientmsgid`` sent before (the answer carries the first send's ``msg_id``), 45067 a ``clientmsgid`` over 64
  characters. It answers ``{"msg_id", "msg_data_id"}`` and keeps the job with its MASSSENDJOBFINISH event: WeChat
  drops the fans who already got 4 mass messages this month (sends made in the OA backend included: the control
  call ``POST /sandbox/mass/received`` sets them), so FilterCount counts the others, openids it does not know are
  ErrorCount;
* ``GET /cgi-bin/template/get_all_private_template``: the account's templates (``POST /sandbox/templates``);
* control: ``GET /sandbox/mass/jobs`` (the jobs, each with ``finish_xml``, the plaintext event to fire).
State: ``state.area("mass")[appid] = {"received": {openid: {month: n}}, "jobs": {msg_id: job}, "clients": {...}}``.
"""

from __future__ import annotations

import time
from typing import Any

from flask import jsonify, request

from .callbacks import message_xml
from .routing import api, require
from .state import SandboxError, SandboxState

MONTHLY = 4
TYPES = frozenset({"mpnews", "text", "voice", "image", "mpvideo", "wxcard"})


def mass_of(state: SandboxState, appid: str) -> dict[str, Any]:
    return state.area("mass").setdefault(appid, {"received": {}, "jobs": {}, "clients": {}})


def month_of(state: SandboxState) -> str:
    return time.strftime("%Y-%m", time.gmtime(state.now() + 8 * 3600))  # WeChat's natural month (Beijing time)


def _known_fans(state: SandboxState, account) -> set[str]:
    known = set(account.fans)
    directory = state.area("fans").get(account.appid)
    for name in ("fans", "users", "followers"):
        found = getattr(directory, name, None)
        if isinstance(found, dict):
            known |= set(found)
    return known


@api("/cgi-bin/message/mass/send")
def mass_send(state: SandboxState, account, payload: dict[str, Any]) -> dict[str, Any]:
    if account.account_type != "service" or not account.verified:
        raise SandboxError(48001, "api unauthorized")
    require(payload, "touser", "msgtype")
    touser = payload["touser"]
    if not isinstance(touser, list) or not 2 <= len(touser) <= 10_000:
        raise SandboxError(40130, "invalid openid list size, at least two openid")
    msgtype = str(payload["msgtype"])
    if msgtype not in TYPES or not isinstance(payload.get(msgtype), dict):
        raise SandboxError(40008, "invalid message type")
    content = payload[msgtype]
    if msgtype == "text":
        require(content, "content")
    elif msgtype != "wxcard":
        require(content, "media_id")
        media = state.area("materials").get(account.appid)
        if media is not None and content["media_id"] not in media.get("media", {}) \
                and content["media_id"] not in media.get("drafts", {}):
            raise SandboxError(40007, "invalid media_id")
    mass = mass_of(state, account.appid)
    client_id = str(payload.get("clientmsgid") or "")
    if len(client_id) > 64:
        raise SandboxError(45067, "clientmsgid size out of limit")
    if client_id and client_id in mass["clients"]:
        first = mass["jobs"][mass["clients"][client_id]]
        raise SandboxError(45065, "clientmsgid exist", {"msg_id": first["msg_id"],
                                                        "msg_data_id": first["msg_data_id"]})
    month, known = month_of(state), _known_fans(state, account)
    openids = [str(o) for o in dict.fromkeys(touser)]
    unknown = [o for o in openids if known and o not in known]
    over = [o for o in openids if o not in unknown and mass["received"].get(o, {}).get(month, 0) >= MONTHLY]
    to_send = [o for o in openids if o not in unknown and o not in over]
    for openid in to_send:
        counts = mass["received"].setdefault(openid, {})
        counts[month] = counts.get(month, 0) + 1
    msg_id = state.next_msg_id()
    msg_data_id = 2_000_000_000 + msg_id
    finish = message_xml(account.original_id or account.appid, "oa_mass_system", "event",
                         Event="MASSSENDJOBFINISH", MsgID=msg_id, Status="send success",
                         TotalCount=len(openids), FilterCount=len(to_send) + len(unknown),
                         SentCount=len(to_send), ErrorCount=len(unknown))
    job = {"msg_id": msg_id, "msg_data_id": msg_data_id, "msgtype": msgtype, "touser": openids, "sent": to_send,
           "over_limit": over, "unknown": unknown, "body": payload, "finish_xml": finish}
    mass["jobs"][str(msg_id)] = job
    if client_id:
        mass["clients"][client_id] = str(msg_id)
    state.sent.append({"kind": "mass", "appid": account.appid, "msg_id": msg_id, "touser": openids,
                       "msgtype": msgtype, "body": payload})
    return {"errmsg": "send job submission success", "msg_id": msg_id, "msg_data_id": msg_data_id}


@api("/cgi-bin/template/get_all_private_template", "GET")
def templates(state: SandboxState, account, payload: dict[str, Any]) -> dict[str, Any]:
    if account.account_type != "service" or not account.verified:
        raise SandboxError(48001, "api unauthorized")
    listed = state.area("template_list").get(account.appid)
    if listed is None:
        listed = [{"template_id": t, "title": t, "content": "{{thing1.DATA}}", "example": "",
                   "primary_industry": "", "deputy_industry": ""} for t in sorted(account.templates)]
    return {"template_list": listed}


def register_sandbox_control(app, state: SandboxState) -> None:
    """``/sandbox/mass/jobs``, ``/sandbox/mass/received`` and ``/sandbox/templates``."""

    @app.get("/sandbox/mass/jobs")
    def mass_jobs():
        appid = request.args.get("appid")
        with state.lock:
            jobs = [job for key, area in state.area("mass").items() if not appid or key == appid
                    for job in area["jobs"].values()]
        return jsonify({"ok": True, "jobs": jobs})

    @app.post("/sandbox/mass/received")
    def mass_received():
        data = request.get_json(silent=True) or {}
        with state.lock:
            mass = mass_of(state, str(data["appid"]))
            month = str(data.get("month") or month_of(state))
            for openid in data.get("openids") or ():
                mass["received"].setdefault(str(openid), {})[month] = int(data.get("count") or 0)
        return jsonify({"ok": True})

    @app.post("/sandbox/templates")
    def set_templates():
        data = request.get_json(silent=True) or {}
        with state.lock:
            account = state.account(str(data["appid"]))
            rows = list(data.get("templates") or [])
            state.area("template_list")[account.appid] = rows
            account.templates |= {str(row["template_id"]) for row in rows}
        return jsonify({"ok": True, "count": len(rows)})
