"""Sandbox customer group chats: ``externalcontact/groupchat/list``, ``/get``, ``/transfer`` and ``/onjob_transfer``
with WeCom's shapes and codes (40058 invalid parameter, 40050 unknown chat id, 60111 unknown userid, per chat 90500
"the owner of this chat is not resigned"), and the control API that creates chats, lets members join and leave,
renames, dismisses and completes transfers, building (and optionally firing) the ``change_external_chat`` events.

A transfer is asynchronous as in WeCom: ``groupchat/transfer`` records it (list status 2, inheriting) and
``POST /sandbox/groupchats/transfers/complete`` makes the new owner the owner (status 3, inherited).
"""

from __future__ import annotations

import secrets
import time
from typing import Any

from flask import Flask, jsonify, request

from .callbacks import CallbackTarget, event_xml, fire_callback
from .routing import CONTACT, api, require
from .state import Corp, SandboxError, SandboxState, new_id

EC = "/cgi-bin/externalcontact"
MEMBER, EXTERNAL = 1, 2
NORMAL, OWNER_LEFT, INHERITING, INHERITED = 0, 1, 2, 3
MAX_TRANSFER = 100
MAX_OWNER_FILTER = 100


def _chat(corp: Corp, chat_id: Any) -> dict[str, Any]:
    chat = corp.group_chats.get(str(chat_id or ""))
    if chat is None or chat.get("dismissed"):
        raise SandboxError(40050, "invalid group id")
    return chat


def _status(corp: Corp, chat: dict[str, Any]) -> int:
    transfers = [t for t in corp.group_transfers if t["chat_id"] == chat["chat_id"] and t["resigned"]]
    if any(t["status"] == INHERITING for t in transfers):
        return INHERITING
    if corp.users.get(chat["owner"], {}).get("status") == 5:
        return OWNER_LEFT
    if any(t["status"] == INHERITED and t["new_owner"] == chat["owner"] for t in transfers):
        return INHERITED
    return NORMAL


def _member(data: dict[str, Any], corp: Corp, now: int) -> dict[str, Any]:
    member_id = str(data.get("userid") or data.get("external_userid") or "")
    if not member_id:
        raise SandboxError(40058, "member userid missing")
    kind = int(data.get("type") or (MEMBER if member_id in corp.users else EXTERNAL))
    member = {"userid": member_id, "type": kind, "join_time": int(data.get("join_time") or now),
              "join_scene": int(data.get("join_scene") or 1), "group_nickname": str(data.get("group_nickname") or ""),
              "name": str(data.get("name") or corp.users.get(member_id, corp.contacts.get(member_id, {})).get("name")
                          or "")}
    if data.get("invitor"):
        member["invitor"] = {"userid": str(data["invitor"])}
    if kind == EXTERNAL:
        unionid = data.get("unionid") or corp.contacts.get(member_id, {}).get("unionid")
        if unionid:
            member["unionid"] = unionid
    if data.get("state"):
        member["state"] = str(data["state"])
    return member


def create_chat(corp: Corp, data: dict[str, Any]) -> dict[str, Any]:
    """Create or replace a chat of ``corp`` (owner must be a member of the corp: 60111)."""
    owner = str(data.get("owner") or "")
    if owner not in corp.users:
        raise SandboxError(60111, "userid not found")
    now = int(time.time())
    chat_id = str(data.get("chat_id") or new_id("wr", 14))
    members = [_member(m, corp, now) for m in data.get("members") or []]
    if owner not in {m["userid"] for m in members}:
        members.insert(0, _member({"userid": owner, "type": MEMBER, "join_time": data.get("create_time") or now},
                                  corp, now))
    chat = {"chat_id": chat_id, "name": str(data.get("name") or ""), "owner": owner,
            "create_time": int(data.get("create_time") or now), "notice": str(data.get("notice") or ""),
            "member_list": members, "admin_list": [{"userid": u} for u in data.get("admin_list") or []],
            "member_version": secrets.token_hex(16), "dismissed": False}
    corp.group_chats[chat_id] = chat
    return chat


def _public(chat: dict[str, Any], need_name: bool) -> dict[str, Any]:
    members = [m if need_name else {k: v for k, v in m.items() if k != "name"} for m in chat["member_list"]]
    return {**{k: v for k, v in chat.items() if k != "dismissed"}, "member_list": members}


# -- API -----------------------------------------------------------------------------------------------------------------

@api(f"{EC}/groupchat/list", "POST", CONTACT)
def groupchat_list(state: SandboxState, corp: Corp, body: dict[str, Any]) -> dict[str, Any]:
    status_filter = body.get("status_filter", 0)
    if status_filter not in (0, 1, 2, 3):
        raise SandboxError(40058, "status_filter must be 0..3")
    limit = body.get("limit")
    if not isinstance(limit, int) or not 1 <= limit <= 1000:
        raise SandboxError(40058, "limit must be 1..1000")
    owners = (body.get("owner_filter") or {}).get("userid_list") or []
    if len(owners) > MAX_OWNER_FILTER:
        raise SandboxError(40058, "owner_filter.userid_list holds at most 100 userids")
    cursor = str(body.get("cursor") or "")
    if cursor and not cursor.isdigit():
        raise SandboxError(40058, "invalid cursor")
    rows = [{"chat_id": c["chat_id"], "status": _status(corp, c)} for c in corp.group_chats.values()
            if not c["dismissed"] and (not owners or c["owner"] in owners)]
    if status_filter:
        rows = [r for r in rows if r["status"] == status_filter]
    start = int(cursor or 0)
    page = rows[start:start + limit]
    more = start + limit < len(rows)
    return {"group_chat_list": page, "next_cursor": str(start + limit) if more else ""}


@api(f"{EC}/groupchat/get", "POST", CONTACT)
def groupchat_get(state: SandboxState, corp: Corp, body: dict[str, Any]) -> dict[str, Any]:
    require(body, "chat_id")
    return {"group_chat": _public(_chat(corp, body["chat_id"]), bool(body.get("need_name")))}


def _transfer(corp: Corp, body: dict[str, Any], resigned: bool) -> dict[str, Any]:
    require(body, "chat_id_list", "new_owner")
    chat_ids = body["chat_id_list"]
    if not isinstance(chat_ids, list) or len(chat_ids) > MAX_TRANSFER:
        raise SandboxError(40058, "chat_id_list holds 1 to 100 chat ids")
    new_owner = corp.users.get(str(body["new_owner"]))
    if new_owner is None:
        raise SandboxError(60111, "userid not found")
    if new_owner.get("status") not in (1, None):
        raise SandboxError(40058, "new_owner is not active")
    failed = []
    for chat_id in chat_ids:
        chat = corp.group_chats.get(str(chat_id))
        if chat is None or chat["dismissed"]:
            failed.append({"chat_id": chat_id, "errcode": 40050, "errmsg": "invalid group id"})
        elif resigned and corp.users.get(chat["owner"], {}).get("status") != 5:
            failed.append({"chat_id": chat_id, "errcode": 90500, "errmsg": "the owner of this chat is not resigned"})
        else:
            corp.group_transfers.append({"chat_id": chat["chat_id"], "old_owner": chat["owner"],
                                         "new_owner": new_owner["userid"], "status": INHERITING,
                                         "resigned": resigned, "at": time.time()})
    return {"failed_chat_list": failed}


@api(f"{EC}/groupchat/transfer", "POST", CONTACT)
def groupchat_transfer(state: SandboxState, corp: Corp, body: dict[str, Any]) -> dict[str, Any]:
    return _transfer(corp, body, resigned=True)


@api(f"{EC}/groupchat/onjob_transfer", "POST", CONTACT)
def groupchat_onjob_transfer(state: SandboxState, corp: Corp, body: dict[str, Any]) -> dict[str, Any]:
    return _transfer(corp, body, resigned=False)


# -- control -------------------------------------------------------------------------------------------------------------

def _update_xml(corp: Corp, chat: dict[str, Any], detail: str, **fields: Any) -> str:
    return event_xml(corp.corp_id, "change_external_chat", "update", ChatId=chat["chat_id"], UpdateDetail=detail,
                     **fields)


def change_members(corp: Corp, chat: dict[str, Any], data: dict[str, Any]) -> str:
    """Members join (``join``: member dicts) or leave (``leave``: ids); returns the ``update`` event XML."""
    now = int(time.time())
    last = chat["member_version"]
    if data.get("join"):
        joined = [_member({"join_scene": data.get("join_scene", 1), **m}, corp, now) for m in data["join"]]
        present = {m["userid"] for m in chat["member_list"]}
        joined = [m for m in joined if m["userid"] not in present]
        chat["member_list"].extend(joined)
        ids, detail, scene = [m["userid"] for m in joined], "add_member", {"JoinScene": int(data.get("join_scene", 1))}
    else:
        leaving = {str(i) for i in data.get("leave") or []}
        if chat["owner"] in leaving:
            raise SandboxError(40058, "the owner cannot leave the chat")
        ids = [m["userid"] for m in chat["member_list"] if m["userid"] in leaving]
        chat["member_list"] = [m for m in chat["member_list"] if m["userid"] not in leaving]
        detail, scene = "del_member", {"QuitScene": int(data.get("quit_scene", 0))}
    if not ids:
        raise SandboxError(40058, "no member joins or leaves")
    chat["member_version"] = secrets.token_hex(16)
    return _update_xml(corp, chat, detail, create_time=now, **scene, MemChangeCnt=len(ids),
                       MemChangeList={"Item": ids}, LastMemVer=last, CurMemVer=chat["member_version"])


def complete_transfers(corp: Corp) -> list[str]:
    """Settle the corp's pending group transfers: the new owner owns the chat; one ``change_owner`` XML each."""
    xmls = []
    for transfer in corp.group_transfers:
        chat = corp.group_chats.get(transfer["chat_id"])
        if transfer["status"] != INHERITING or chat is None:
            continue
        transfer["status"] = INHERITED
        chat["owner"] = transfer["new_owner"]
        if transfer["new_owner"] not in {m["userid"] for m in chat["member_list"]}:
            chat["member_list"].append(_member({"userid": transfer["new_owner"], "type": MEMBER}, corp,
                                               int(time.time())))
        xmls.append(_update_xml(corp, chat, "change_owner"))
    return xmls


def register_groupchat_control(app: Flask, state: SandboxState) -> None:
    """``/sandbox/groupchats...`` (see the plugin README)."""

    def data() -> dict[str, Any]:
        payload = request.get_json(silent=True)
        return payload if isinstance(payload, dict) else {}

    def fire(payload: dict[str, Any], xmls: list[str]) -> list[int]:
        callback = payload.get("callback")
        if not callback:
            return []
        target = CallbackTarget(str(payload["corp_id"]), callback["token"], callback["encoding_aes_key"])
        return [fire_callback(callback["url"], target, xml).status_code for xml in xmls]

    @app.post("/sandbox/groupchats")
    def create_chats():
        payload = data()
        with state.lock:
            corp = state.corp(str(payload.get("corp_id")))
            chats = [create_chat(corp, c) for c in payload.get("chats") or []]
            xmls = [event_xml(corp.corp_id, "change_external_chat", "create", ChatId=c["chat_id"]) for c in chats]
        return jsonify({"ok": True, "chat_ids": [c["chat_id"] for c in chats], "xml": xmls,
                        "callback_status": fire(payload, xmls)})

    @app.post("/sandbox/groupchats/<chat_id>/members")
    def members(chat_id: str):
        payload = data()
        with state.lock:
            corp = state.corp(str(payload.get("corp_id")))
            xml = change_members(corp, _chat(corp, chat_id), payload)
        return jsonify({"ok": True, "xml": xml, "callback_status": fire(payload, [xml])})

    @app.post("/sandbox/groupchats/<chat_id>/update")
    def update(chat_id: str):
        payload = data()
        xmls = []
        with state.lock:
            corp = state.corp(str(payload.get("corp_id")))
            chat = _chat(corp, chat_id)
            for key, detail in (("name", "change_name"), ("notice", "change_notice")):
                if key in payload:
                    chat[key] = str(payload[key] or "")
                    xmls.append(_update_xml(corp, chat, detail))
        return jsonify({"ok": True, "xml": xmls, "callback_status": fire(payload, xmls)})

    @app.post("/sandbox/groupchats/<chat_id>/dismiss")
    def dismiss(chat_id: str):
        payload = data()
        with state.lock:
            corp = state.corp(str(payload.get("corp_id")))
            _chat(corp, chat_id)["dismissed"] = True
            xml = event_xml(corp.corp_id, "change_external_chat", "dismiss", ChatId=chat_id)
        return jsonify({"ok": True, "xml": xml, "callback_status": fire(payload, [xml])})

    @app.post("/sandbox/groupchats/transfers/complete")
    def transfers_complete():
        payload = data()
        with state.lock:
            xmls = complete_transfers(state.corp(str(payload.get("corp_id"))))
        return jsonify({"ok": True, "completed": len(xmls), "xml": xmls, "callback_status": fire(payload, xmls)})


class GroupChatControl:
    """The group-chat part of the control API over HTTP (wraps a :class:`~scrm_wecom.sandbox.SandboxControl`)."""

    def __init__(self, control: Any, corp_id: str, callback: dict[str, Any] | None = None) -> None:
        self.control, self.corp_id, self.callback = control, corp_id, callback

    def _post(self, path: str, payload: dict[str, Any], fire: bool) -> dict[str, Any]:
        body = {"corp_id": self.corp_id, **payload, "callback": self.callback if fire else None}
        return self.control._call("POST", path, body)

    def create(self, *chats: dict[str, Any], fire: bool = False) -> list[str]:
        return self._post("groupchats", {"chats": list(chats)}, fire)["chat_ids"]

    def join(self, chat_id: str, *members: dict[str, Any], join_scene: int = 1, fire: bool = False) -> dict[str, Any]:
        return self._post(f"groupchats/{chat_id}/members", {"join": list(members), "join_scene": join_scene}, fire)

    def leave(self, chat_id: str, *member_ids: str, quit_scene: int = 0, fire: bool = False) -> dict[str, Any]:
        return self._post(f"groupchats/{chat_id}/members", {"leave": list(member_ids), "quit_scene": quit_scene},
                          fire)

    def update(self, chat_id: str, fire: bool = False, **changes: Any) -> dict[str, Any]:
        return self._post(f"groupchats/{chat_id}/update", changes, fire)

    def dismiss(self, chat_id: str, fire: bool = False) -> dict[str, Any]:
        return self._post(f"groupchats/{chat_id}/dismiss", {}, fire)

    def complete_transfers(self, fire: bool = False) -> dict[str, Any]:
        """``{completed, xml: [change_owner events]}``."""
        return self._post("groupchats/transfers/complete", {}, fire)
