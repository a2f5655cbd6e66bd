"""Sandbox group chat join ways (客户群「加入群聊」二维码): ``externalcontact/groupchat/add_join_way``,
``/get_join_way``, ``/update_join_way`` (overwrites the configuration) and ``/del_join_way`` with WeCom's shapes.

A join way is scene 1 (mini program plugin) or 2 (QR code, ``qr_code`` returned by ``get_join_way``), 1 to
:data:`MAX_CHATS` chats of the corp (``chat_id_list``), ``auto_create_room`` (default 1: WeCom opens a new chat named
``room_base_name`` + a number from ``room_base_id`` when the last one is full; the name at most
:data:`MAX_ROOM_NAME` UTF-8 characters), ``remark`` and ``state`` (at most :data:`MAX_STATE` characters, echoed per
member by ``groupchat/get``). Codes: 40058 invalid parameter (missing or wrong scene, no chats, more than five, a name
or state too long), 40050 an unknown or dismissed chat, 41044 an unknown ``config_id``.
"""

from __future__ import annotations

from typing import Any

from .routing import CONTACT, api, require
from .state import Corp, SandboxError, SandboxState, new_id

EC = "/cgi-bin/externalcontact/groupchat"
MAX_CHATS = 5
MAX_ROOM_NAME = 40
MAX_STATE = 30
MAX_REMARK = 30


def _fields(corp: Corp, body: dict[str, Any], config_id: str) -> dict[str, Any]:
    require(body, "scene")
    if body["scene"] not in (1, 2):
        raise SandboxError(40058, "scene must be 1 or 2")
    chat_ids = [str(c) for c in body.get("chat_id_list") or []]
    if not chat_ids:
        raise SandboxError(40058, "chat_id_list required")
    if len(chat_ids) > MAX_CHATS:
        raise SandboxError(40058, f"at most {MAX_CHATS} chats per join way")
    for chat_id in chat_ids:
        chat = corp.group_chats.get(chat_id)
        if chat is None or chat.get("dismissed"):
            raise SandboxError(40050, "invalid group id")
    auto_create = int(body.get("auto_create_room", 1))
    if auto_create not in (0, 1):
        raise SandboxError(40058, "auto_create_room must be 0 or 1")
    room_name = str(body.get("room_base_name") or "")
    if len(room_name) > MAX_ROOM_NAME:
        raise SandboxError(40058, f"room_base_name is longer than {MAX_ROOM_NAME} characters")
    state_value = str(body.get("state") or "")
    if len(state_value) > MAX_STATE:
        raise SandboxError(40058, f"state is longer than {MAX_STATE} characters")
    remark = str(body.get("remark") or "")
    if len(remark) > MAX_REMARK:
        raise SandboxError(40058, f"remark is longer than {MAX_REMARK} characters")
    way: dict[str, Any] = {"config_id": config_id, "scene": body["scene"], "remark": remark,
                           "auto_create_room": auto_create, "room_base_name": room_name,
                           "room_base_id": int(body.get("room_base_id") or 0), "chat_id_list": chat_ids,
                           "state": state_value}
    if body["scene"] == 2:
        way["qr_code"] = f"https://wework.qpic.cn/wwpic/sandbox/join/{config_id}/0"
    return way


def _way(corp: Corp, body: dict[str, Any]) -> dict[str, Any]:
    way = corp.join_ways.get(str(body.get("config_id") or ""))
    if way is None:
        raise SandboxError(41044, "invalid config_id")
    return way


@api(f"{EC}/add_join_way", "POST", CONTACT)
def add_join_way(state: SandboxState, corp: Corp, body: dict[str, Any]) -> dict[str, Any]:
    config_id = new_id("", 16)
    corp.join_ways[config_id] = _fields(corp, body, config_id)
    return {"config_id": config_id}


@api(f"{EC}/get_join_way", "POST", CONTACT)
def get_join_way(state: SandboxState, corp: Corp, body: dict[str, Any]) -> dict[str, Any]:
    return {"join_way": dict(_way(corp, body))}


@api(f"{EC}/update_join_way", "POST", CONTACT)
def update_join_way(state: SandboxState, corp: Corp, body: dict[str, Any]) -> dict[str, Any]:
    way = _way(corp, body)
    corp.join_ways[way["config_id"]] = _fields(corp, body, way["config_id"])
    return {}


@api(f"{EC}/del_join_way", "POST", CONTACT)
def del_join_way(state: SandboxState, corp: Corp, body: dict[str, Any]) -> dict[str, Any]:
    corp.join_ways.pop(_way(corp, body)["config_id"])
    return {}
