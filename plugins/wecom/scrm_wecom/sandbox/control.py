"""The sandbox's control API under ``/sandbox/`` (documented in the plugin README): seed corps, tune token TTLs and
rate limits, inject failures, read the calls received, simulate customers adding and deleting employees (and
employees deleting customers), complete transfers
and fire encrypted callbacks."""

from __future__ import annotations

import time
from typing import Any

from flask import Flask, jsonify, request

from .callbacks import CallbackTarget, event_xml, fire_callback
from .contacts_api import settle_transfer
from .state import Corp, SandboxError, SandboxState, new_id


def _json() -> dict[str, Any]:
    data = request.get_json(silent=True)
    return data if isinstance(data, dict) else {}


def seed_corp(state: SandboxState, data: dict[str, Any]) -> Corp:
    """Create or replace a corp from its seed (see the README for the shape)."""
    secrets_by_kind = data.get("secrets") or {}
    corp = Corp(corp_id=str(data["corp_id"]), secrets={v: k for k, v in secrets_by_kind.items() if v},
                agent_id=data.get("agent_id"))
    for dep in data.get("departments") or []:
        corp.departments[int(dep["id"])] = {"name": "", "parentid": 0, "order": 0, **dep, "id": int(dep["id"])}
    for user in data.get("users") or []:
        corp.users[user["userid"]] = {"name": user["userid"], "department": [], "status": 1, **user}
    for contact in data.get("external_contacts") or []:
        contact = dict(contact)
        follows = contact.pop("follow_user", [])
        ext = contact.setdefault("external_userid", new_id("wm", 14))
        corp.contacts[ext] = {"type": 1, "gender": 0, "name": "", **contact}
        corp.follows[ext] = [{"remark": "", "description": "", "createtime": int(time.time()), "tags": [],
                              "state": "", "add_way": 0, **f} for f in follows]
    for group in data.get("tag_groups") or []:
        group_id = group.get("group_id") or new_id("et", 10)
        corp.tag_groups[group_id] = {"group_id": group_id, "group_name": group["group_name"], "order": 0,
                                     "create_time": int(time.time()), "deleted": False,
                                     "tag": [{"id": t.get("id") or new_id("et", 12), "name": t["name"],
                                              "order": t.get("order", 0), "create_time": int(time.time()),
                                              "deleted": False} for t in group.get("tag", [])]}
    for way in data.get("contact_ways") or []:
        corp.contact_ways[way["config_id"]] = dict(way)
    if data.get("follow_users") is not None:
        corp.follow_users = _follow_users(corp, data["follow_users"])
    state.corps[corp.corp_id] = corp
    return corp


def _follow_users(corp: Corp, userids: Any) -> list[str]:
    """A valid ``follow_users`` list: members of the corp (60111 for another userid, 40058 for anything else)."""
    if not isinstance(userids, list) or not all(isinstance(u, str) for u in userids):
        raise SandboxError(40058, "follow_users must be a list of userids")
    unknown = [u for u in userids if u not in corp.users]
    if unknown:
        raise SandboxError(60111, f"userid not found: {', '.join(unknown)}")
    return list(dict.fromkeys(userids))


def add_friend(state: SandboxState, data: dict[str, Any]) -> dict[str, Any]:
    """A customer adds employee ``userid`` (through contact way ``state``): the relation, a welcome code and the
    ``add_external_contact`` (or ``add_half_external_contact``) event XML."""
    corp = state.corp(str(data.get("corp_id")))
    userid = str(data.get("userid") or "")
    if userid not in corp.users:
        raise SandboxError(60111, "userid not found")
    contact = dict(data.get("external_contact") or {})
    ext = contact.setdefault("external_userid", new_id("wm", 14))
    corp.contacts[ext] = {"type": 1, "gender": 0, "name": "", **corp.contacts.get(ext, {}), **contact}
    now = int(time.time())
    follows = corp.follows.setdefault(ext, [])
    if corp.follow(ext, userid) is None:
        follows.append({"userid": userid, "remark": "", "description": "", "createtime": now, "tags": [],
                        "state": str(data.get("state") or ""), "add_way": 1 if data.get("state") else 0})
    code = state.new_welcome_code(corp.corp_id, userid, ext)
    change = "add_half_external_contact" if data.get("half") else "add_external_contact"
    xml = event_xml(corp.corp_id, "change_external_contact", change, create_time=now, UserID=userid,
                    ExternalUserID=ext, State=data.get("state") or None, WelcomeCode=code)
    return {"external_userid": ext, "welcome_code": code, "xml": xml}


def delete_friend(state: SandboxState, data: dict[str, Any]) -> dict[str, Any]:
    """A friendship ends: ``by`` "customer" (the customer deleted employee ``userid``: ``del_follow_user``) or
    "employee" (the employee deleted the customer: ``del_external_contact``). The relation is gone from the corp;
    returns the event XML. 84061 when they are not friends."""
    corp = state.corp(str(data.get("corp_id")))
    userid, ext = str(data.get("userid") or ""), str(data.get("external_userid") or "")
    by = str(data.get("by") or "customer")
    if by not in ("customer", "employee"):
        raise SandboxError(40058, "by must be customer or employee")
    if corp.follow(ext, userid) is None:
        raise SandboxError(84061, "not external contact")
    corp.follows[ext] = [f for f in corp.follows[ext] if f["userid"] != userid]
    change = "del_follow_user" if by == "customer" else "del_external_contact"
    xml = event_xml(corp.corp_id, "change_external_contact", change, create_time=int(time.time()), UserID=userid,
                    ExternalUserID=ext)
    return {"external_userid": ext, "xml": xml}


FAIL_REASONS = {3: "customer_refused", 4: "customer_limit_exceed"}


def complete_transfers(state: SandboxState, corp_id: str, status: int,
                       external_userids: list[str] | None = None) -> list[dict[str, Any]]:
    """Settle the waiting transfers of a corp (or of ``external_userids`` only): 1 taken over (the relation moves),
    3 refused by the customer, 4 the takeover member's customer limit. Returns the transfers settled."""
    if status not in (1, 3, 4):
        raise SandboxError(40058, "status must be 1, 3 or 4")
    corp = state.corp(corp_id)
    settled = []
    for transfer in corp.transfers:
        if transfer["status"] != 2 or (external_userids is not None and transfer["external_userid"] not in
                                       external_userids):
            continue
        settle_transfer(corp, transfer, status)
        settled.append(transfer)
    return settled


def transfer_fail_xml(corp_id: str, transfer: dict[str, Any]) -> str:
    """The ``transfer_fail`` event WeCom sends when an on-the-job transfer is refused or over the limit."""
    return event_xml(corp_id, "change_external_contact", "transfer_fail", create_time=int(time.time()),
                     UserID=transfer["takeover_userid"], ExternalUserID=transfer["external_userid"],
                     FailReason=FAIL_REASONS[transfer["status"]])


def register_control(app: Flask, state: SandboxState) -> None:
    def ok(**data: Any):
        return jsonify({"ok": True, **data})

    @app.errorhandler(SandboxError)
    def sandbox_error(exc: SandboxError):
        return jsonify({"ok": False, "errcode": exc.errcode, "errmsg": exc.errmsg}), 400

    @app.post("/sandbox/reset")
    def reset():
        state.reset()
        return ok()

    @app.post("/sandbox/seed")
    def seed():
        data = _json()
        if not data.get("corp_id"):
            raise SandboxError(41002, "corp_id missing")
        with state.lock:
            corp = seed_corp(state, data)
        return ok(corp_id=corp.corp_id)

    @app.get("/sandbox/corps/<corp_id>")
    def corp_state(corp_id: str):
        with state.lock:
            corp = state.corp(corp_id)
            return ok(corp={k: v for k, v in vars(corp).items() if k != "secrets"})

    @app.post("/sandbox/settings")
    def settings():
        data = _json()
        with state.lock:
            if "token_ttl" in data:
                state.settings.token_ttl = int(data["token_ttl"])
            if "welcome_code_ttl" in data:
                state.settings.welcome_code_ttl = float(data["welcome_code_ttl"])
            if "transfer_takeover_after" in data:
                state.settings.transfer_takeover_after = float(data["transfer_takeover_after"])
            if "api_latency" in data:
                try:
                    latency = float(data["api_latency"])
                except (TypeError, ValueError):
                    latency = -1.0
                if not 0 <= latency <= 10:
                    raise SandboxError(40058, "api_latency must be between 0 and 10 seconds")
                state.settings.api_latency = latency
            return ok(token_ttl=state.settings.token_ttl, welcome_code_ttl=state.settings.welcome_code_ttl,
                      api_latency=state.settings.api_latency)

    @app.post("/sandbox/tokens/expire")
    def expire_tokens():
        data = _json()
        with state.lock:
            return ok(expired=state.expire_tokens(data.get("corp_id"), data.get("kind")))

    @app.post("/sandbox/tokens/invalidate")
    def invalidate_tokens():
        with state.lock:
            return ok(invalidated=state.invalidate_tokens())

    @app.post("/sandbox/rate_limits")
    def rate_limits():
        data = _json()
        with state.lock:
            if data.get("per_minute") is None:
                state.rate_limits.pop(data.get("path"), None)
            else:
                state.rate_limits[str(data["path"])] = int(data["per_minute"])
            return ok(rate_limits=state.rate_limits)

    @app.post("/sandbox/fail_next")
    def fail_next():
        data = _json()
        with state.lock:
            queue = state.fail_next.setdefault(str(data["path"]), [])
            queue.extend([int(data["errcode"])] * int(data.get("times", 1)))
            return ok(pending=len(queue))

    @app.route("/sandbox/calls", methods=["GET", "DELETE"])
    def calls():
        with state.lock:
            if request.method == "DELETE":
                state.calls.clear()
                return ok()
            path = request.args.get("path")
            return ok(calls=[c for c in state.calls if path is None or c["path"] == path])

    @app.post("/sandbox/follow_users")
    def follow_users():
        """Which members have the customer-contact permission: ``{corp_id, userids: [...]}``, or ``null`` for the
        default (every member who has customers)."""
        data = _json()
        with state.lock:
            corp = state.corp(str(data.get("corp_id")))
            userids = data.get("userids")
            corp.follow_users = None if userids is None else _follow_users(corp, userids)
            return ok(follow_user=corp.follow_user_list())

    @app.post("/sandbox/friends")
    def friends():
        data = _json()
        with state.lock:
            result = add_friend(state, data)
        callback = data.get("callback")
        if callback:
            target = CallbackTarget(str(data["corp_id"]), callback["token"], callback["encoding_aes_key"])
            response = fire_callback(callback["url"], target, result["xml"])
            result["callback_status"] = response.status_code
        return ok(**result)

    @app.post("/sandbox/friends/delete")
    def friends_delete():
        data = _json()
        with state.lock:
            result = delete_friend(state, data)
        callback = data.get("callback")
        if callback:
            target = CallbackTarget(str(data["corp_id"]), callback["token"], callback["encoding_aes_key"])
            result["callback_status"] = fire_callback(callback["url"], target, result["xml"]).status_code
        return ok(**result)

    @app.post("/sandbox/transfers/complete", endpoint="customer_transfers_complete")
    def transfers_complete():
        data = _json()
        with state.lock:
            settled = complete_transfers(state, str(data.get("corp_id")), int(data.get("status", 1)),
                                         data.get("external_userids"))
        callback, fired = data.get("callback"), 0
        if callback and int(data.get("status", 1)) in FAIL_REASONS:
            target = CallbackTarget(str(data["corp_id"]), callback["token"], callback["encoding_aes_key"])
            for transfer in settled:
                if not transfer["resigned"]:  # WeCom calls back for on-the-job transfers only
                    fire_callback(callback["url"], target, transfer_fail_xml(target.corp_id, transfer))
                    fired += 1
        return ok(completed=len(settled), callbacks=fired)

    @app.post("/sandbox/callbacks")
    def callbacks():
        data = _json()
        target = CallbackTarget(str(data["corp_id"]), data["token"], data["encoding_aes_key"])
        response = fire_callback(data["url"], target, data["xml"])
        return ok(status=response.status_code, body=response.text)
