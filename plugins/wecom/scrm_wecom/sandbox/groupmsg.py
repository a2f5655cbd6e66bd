"""Sandbox enterprise mass messages (企业群发, protocols.md §4): the results side of ``add_msg_template``
(``get_groupmsg_list_v2``, ``get_groupmsg_task``, ``get_groupmsg_send_result``, ``remind_groupmsg_send``,
``cancel_groupmsg_send``) and the control API that plays the employee who confirms the task in the WeCom client.

A task (``corp.msg_templates`` entry, written by ``add_msg_template``) has one member task per sender: status 0 until
``POST /sandbox/groupmsg/send`` confirms it (status 2 with ``send_time``), then each target gets WeCom's result:
1 sent, 2 not a friend of the sender (any more), 3 already received an enterprise mass message that day (WeCom's
per-customer / per-chat daily rule, counted over the corp's earlier tasks), unless the control call names targets for
2 or 3 itself. A cancelled member task cannot be sent. Remind: 3 times per task in 24 hours (then 45009).
Answers follow WeCom's shapes: ``task_list`` / ``send_list`` pages with ``next_cursor``.
"""

from __future__ import annotations

import time
from datetime import datetime, timedelta, timezone
from typing import Any

from flask import Flask, jsonify, request

from .routing import CONTACT, api, require
from .state import Corp, SandboxError, SandboxState

EC = "/cgi-bin/externalcontact"
NOT_SENT, SENT = 0, 2
DELIVERED, NOT_FRIEND, LIMIT = 1, 2, 3
REMINDS_PER_DAY = 3
CHINA = timezone(timedelta(hours=8))


def _tasks(corp: Corp, template: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """userid -> {status, send_time, cancelled, targets} (built on first use from the template's request)."""
    if "tasks" not in template:
        failed = set(template.get("fail_list") or [])
        tasks: dict[str, dict[str, Any]] = {}
        if template.get("chat_type") == "group":
            sender = str(template.get("sender") or "")
            chats = list(template.get("chat_id_list") or []) or [
                c["chat_id"] for c in corp.group_chats.values() if c["owner"] == sender and not c.get("dismissed")]
            tasks[sender] = {"targets": chats}
        elif template.get("sender"):
            targets = [t for t in template.get("external_userid") or [] if t not in failed]
            tasks[str(template["sender"])] = {"targets": targets}
        else:
            for ext in template.get("external_userid") or []:
                for follow in corp.follows.get(ext, []):
                    tasks.setdefault(follow["userid"], {"targets": []})["targets"].append(ext)
        for task in tasks.values():
            task.update({"status": NOT_SENT, "send_time": 0, "cancelled": False, "results": {}})
        template["tasks"] = tasks
        template.setdefault("create_time", int(time.time()))
        template.setdefault("reminded", [])
    return template["tasks"]


def _template(corp: Corp, msgid: Any) -> dict[str, Any]:
    for template in corp.msg_templates:
        if template.get("msgid") == str(msgid or ""):
            _tasks(corp, template)
            return template
    raise SandboxError(40058, "invalid msgid")


def _page(rows: list[dict[str, Any]], body: dict[str, Any], maximum: int) -> dict[str, Any]:
    limit = body.get("limit", maximum)
    if not isinstance(limit, int) or not 1 <= limit <= maximum:
        raise SandboxError(40058, f"limit must be 1..{maximum}")
    cursor = str(body.get("cursor") or "")
    if cursor and not cursor.isdigit():
        raise SandboxError(40058, "invalid cursor")
    start = int(cursor or 0)
    return {"rows": rows[start:start + limit], "next_cursor": str(start + limit) if start + limit < len(rows) else ""}


@api(f"{EC}/get_groupmsg_list_v2", "POST", CONTACT)
def get_groupmsg_list_v2(state: SandboxState, corp: Corp, body: dict[str, Any]) -> dict[str, Any]:
    require(body, "chat_type", "start_time", "end_time")
    start, end = int(body["start_time"]), int(body["end_time"])
    if end < start or end - start > 31 * 86400:
        raise SandboxError(40058, "the time range is at most one month")
    rows = []
    for template in corp.msg_templates:
        _tasks(corp, template)
        if (template.get("chat_type") or "single") != body["chat_type"] or \
                not start <= template["create_time"] <= end:
            continue
        if body.get("creator") and template.get("sender") != body["creator"]:
            continue
        rows.append({"msgid": template["msgid"], "creator": template.get("sender") or "", "create_time":
                     template["create_time"], "create_type": 0, "text": template.get("text") or {},
                     "attachments": template.get("attachments") or []})
    page = _page(rows, body, 100)
    return {"group_msg_list": page["rows"], "next_cursor": page["next_cursor"]}


@api(f"{EC}/get_groupmsg_task", "POST", CONTACT)
def get_groupmsg_task(state: SandboxState, corp: Corp, body: dict[str, Any]) -> dict[str, Any]:
    require(body, "msgid")
    tasks = _template(corp, body["msgid"])["tasks"]
    rows = [{"userid": userid, "status": task["status"], **({"send_time": task["send_time"]}
                                                          if task["status"] == SENT else {})}
            for userid, task in tasks.items()]
    page = _page(rows, body, 1000)
    return {"task_list": page["rows"], "next_cursor": page["next_cursor"]}


@api(f"{EC}/get_groupmsg_send_result", "POST", CONTACT)
def get_groupmsg_send_result(state: SandboxState, corp: Corp, body: dict[str, Any]) -> dict[str, Any]:
    require(body, "msgid", "userid")
    template = _template(corp, body["msgid"])
    task = template["tasks"].get(str(body["userid"]))
    if task is None:
        raise SandboxError(60111, "userid not found")
    key = "chat_id" if template.get("chat_type") == "group" else "external_userid"
    rows = []
    for target in task["targets"]:
        result = task["results"].get(target)
        row = {key: target, "userid": body["userid"], "status": result["status"] if result else NOT_SENT}
        if result and result["status"] == DELIVERED:
            row["send_time"] = result["send_time"]
        rows.append(row)
    page = _page(rows, body, 1000)
    return {"send_list": page["rows"], "next_cursor": page["next_cursor"]}


@api(f"{EC}/remind_groupmsg_send", "POST", CONTACT)
def remind_groupmsg_send(state: SandboxState, corp: Corp, body: dict[str, Any]) -> dict[str, Any]:
    require(body, "msgid")
    template = _template(corp, body["msgid"])
    now = time.time()
    recent = [t for t in template["reminded"] if now - t < 86400]
    if len(recent) >= REMINDS_PER_DAY:
        raise SandboxError(45009, "remind at most 3 times in 24 hours")
    template["reminded"] = [*recent, now]
    return {}


@api(f"{EC}/cancel_groupmsg_send", "POST", CONTACT)
def cancel_groupmsg_send(state: SandboxState, corp: Corp, body: dict[str, Any]) -> dict[str, Any]:
    require(body, "msgid")
    for task in _template(corp, body["msgid"])["tasks"].values():
        if task["status"] == NOT_SENT:
            task["cancelled"] = True
    return {}


# -- control: the employee sends -------------------------------------------------------------------------------------


def _day(seconds: float) -> str:
    return datetime.fromtimestamp(seconds, CHINA).date().isoformat()


def received_today(corp: Corp, now: float) -> set[str]:
    """Customers and chats that a sent enterprise mass message reached on ``now``'s day (China time)."""
    today, seen = _day(now), set()
    for template in corp.msg_templates:
        for task in (template.get("tasks") or {}).values():
            for target, result in task["results"].items():
                if result["status"] == DELIVERED and _day(result["send_time"]) == today:
                    seen.add(target)
    return seen


def send(corp: Corp, template: dict[str, Any], userid: str, now: float, reached: set[str],
         not_friend: set[str] = frozenset(), limit: set[str] = frozenset()) -> dict[str, int]:
    """Member ``userid`` confirms the task: results per target (see the module). Returns counts by status."""
    task = template["tasks"].get(userid)
    if task is None:
        raise SandboxError(60111, "userid has no task in this message")
    if task["cancelled"]:
        raise SandboxError(40058, "the task was cancelled")
    if task["status"] == SENT:
        raise SandboxError(40058, "the task was sent already")
    group = template.get("chat_type") == "group"
    counts = {DELIVERED: 0, NOT_FRIEND: 0, LIMIT: 0}
    for target in task["targets"]:
        if target in not_friend:
            status = NOT_FRIEND
        elif target in limit or target in reached:
            status = LIMIT
        elif group:
            chat = corp.group_chats.get(target)
            status = NOT_FRIEND if chat is None or chat.get("dismissed") else DELIVERED
        else:
            status = DELIVERED if corp.follow(target, userid) is not None else NOT_FRIEND
        task["results"][target] = {"status": status, "send_time": int(now)}
        if status == DELIVERED:
            reached.add(target)
        counts[status] += 1
    task["status"], task["send_time"] = SENT, int(now)
    return counts


def register_groupmsg_control(app: Flask, state: SandboxState) -> None:
    """``POST /sandbox/groupmsg/send`` {corp_id, msgid, userid, not_friend?, limit?}: one member sends;
    ``POST /sandbox/groupmsg/send_all`` {corp_id, except?: [userid]}: every open member task is sent;
    ``GET /sandbox/groupmsg?corp_id=``: the corp's tasks with their member tasks."""

    def data() -> dict[str, Any]:
        payload = request.get_json(silent=True)
        return payload if isinstance(payload, dict) else {}

    @app.post("/sandbox/groupmsg/send")
    def groupmsg_send():
        payload = data()
        with state.lock:
            corp = state.corp(str(payload.get("corp_id")))
            template = _template(corp, payload.get("msgid"))
            now = float(payload.get("at") or time.time())
            counts = send(corp, template, str(payload.get("userid") or ""), now, received_today(corp, now),
                          set(payload.get("not_friend") or []), set(payload.get("limit") or []))
        return jsonify({"ok": True, "counts": {str(k): v for k, v in counts.items()}})

    @app.post("/sandbox/groupmsg/send_all")
    def groupmsg_send_all():
        payload = data()
        skip = set(payload.get("except") or [])
        sent = 0
        with state.lock:
            corp = state.corp(str(payload.get("corp_id")))
            now = float(payload.get("at") or time.time())
            reached = received_today(corp, now)
            for template in corp.msg_templates:
                for userid, task in _tasks(corp, template).items():
                    if task["status"] == NOT_SENT and not task["cancelled"] and userid not in skip:
                        send(corp, template, userid, now, reached)
                        sent += 1
        return jsonify({"ok": True, "sent": sent})

    @app.get("/sandbox/groupmsg")
    def groupmsg_list():
        with state.lock:
            corp = state.corp(str(request.args.get("corp_id")))
            rows = [{"msgid": t["msgid"], "chat_type": t.get("chat_type") or "single", "sender": t.get("sender"),
                     "text": t.get("text"), "attachments": t.get("attachments") or [],
                     "reminded": len(t.get("reminded") or []),
                     "tasks": {u: {k: v for k, v in task.items() if k != "results"}
                               for u, task in _tasks(corp, t).items()}}
                    for t in corp.msg_templates]
        return jsonify({"ok": True, "templates": rows})


class GroupMsgControl:
    """The mass-message part of the control API over HTTP (wraps a :class:`~scrm_wecom.sandbox.SandboxControl`)."""

    def __init__(self, control: Any, corp_id: str) -> None:
        self.control, self.corp_id = control, corp_id

    def templates(self) -> list[dict[str, Any]]:
        return self.control._call("GET", "groupmsg", params={"corp_id": self.corp_id})["templates"]

    def send(self, msgid: str, userid: str, *, not_friend: list[str] = (), limit: list[str] = (),
             at: float | None = None) -> dict[str, int]:
        return self.control._call("POST", "groupmsg/send", {
            "corp_id": self.corp_id, "msgid": msgid, "userid": userid, "not_friend": list(not_friend),
            "limit": list(limit), "at": at})["counts"]

    def send_all(self, *, except_userids: list[str] = (), at: float | None = None) -> int:
        return self.control._call("POST", "groupmsg/send_all", {
            "corp_id": self.corp_id, "except": list(except_userids), "at": at})["sent"]
