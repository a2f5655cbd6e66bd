"""Sandbox endpoints of customer contact (``/cgi-bin/externalcontact/...``): customers, corp tags, contact ways,
welcome messages, mass-message tasks, on-the-job and resigned transfers."""

from __future__ import annotations

import time
from typing import Any

from .routing import CONTACT, api, require
from .state import Corp, SandboxError, SandboxState, new_id

EC = "/cgi-bin/externalcontact"
PAGE = 100


def _user(corp: Corp, userid: Any) -> dict[str, Any]:
    user = corp.users.get(str(userid or ""))
    if user is None:
        raise SandboxError(60111, "userid not found")
    return user


def _contact(corp: Corp, external_userid: Any) -> dict[str, Any]:
    contact = corp.contacts.get(str(external_userid or ""))
    if contact is None:
        raise SandboxError(40096, "invalid external userid")
    return contact


def _page(items: list[Any], cursor: Any, size: int) -> tuple[list[Any], str]:
    start = int(cursor) if str(cursor or "").isdigit() else 0
    end = start + size
    return items[start:end], (str(end) if end < len(items) else "")


@api(f"{EC}/get_follow_user_list", "GET", CONTACT)
def get_follow_user_list(state: SandboxState, corp: Corp, q: dict[str, Any]) -> dict[str, Any]:
    """The members with the customer-contact permission (客户联系功能), see ``Corp.follow_user_list``."""
    return {"follow_user": corp.follow_user_list()}


@api(f"{EC}/list", "GET", CONTACT)
def list_contacts(state: SandboxState, corp: Corp, q: dict[str, Any]) -> dict[str, Any]:
    _user(corp, q.get("userid"))
    friends = corp.friends_of(q["userid"])
    if not friends:
        raise SandboxError(84061, "not external contact")
    return {"external_userid": friends}


@api(f"{EC}/get", "GET", CONTACT)
def get_contact(state: SandboxState, corp: Corp, q: dict[str, Any]) -> dict[str, Any]:
    contact = _contact(corp, q.get("external_userid"))
    follows, next_cursor = _page(corp.follows.get(contact["external_userid"], []), q.get("cursor"), 500)
    return {"external_contact": contact, "follow_user": follows, "next_cursor": next_cursor}


@api(f"{EC}/batch/get_by_user", "POST", CONTACT)
def batch_get_by_user(state: SandboxState, corp: Corp, body: dict[str, Any]) -> dict[str, Any]:
    userids = body.get("userid_list") or ([body["userid"]] if body.get("userid") else [])
    if not userids or len(userids) > 100:
        raise SandboxError(40058, "userid_list must hold 1 to 100 userids")
    limit = int(body.get("limit") or 50)
    if not 1 <= limit <= 100:
        raise SandboxError(40058, "limit must be 1..100")
    cursor = str(body.get("cursor") or "")
    snapshot_id, _, offset = cursor.rpartition(":")
    rows = state.cursors.get(snapshot_id) if snapshot_id else None
    if rows is None:
        if cursor:
            raise SandboxError(40058, "invalid cursor")
        # one pass over the relations for the whole list (then served page by page, like WeCom's cursor snapshots)
        wanted = {str(u): [] for u in userids}
        for userid in wanted:
            _user(corp, userid)
        for ext, follows in corp.follows.items():
            for follow in follows:
                if follow["userid"] in wanted:
                    wanted[follow["userid"]].append({"external_contact": corp.contacts[ext], "follow_info": follow})
        rows = [row for userid in wanted for row in wanted[userid]]
        snapshot_id, offset = new_id("cur", 8), "0"
    page, next_offset = _page(rows, offset, limit)
    if next_offset:
        state.cursors[snapshot_id] = rows
        while len(state.cursors) > 64:  # forget abandoned snapshots
            state.cursors.pop(next(iter(state.cursors)))
    else:
        state.cursors.pop(snapshot_id, None)
    return {"external_contact_list": page, "next_cursor": f"{snapshot_id}:{next_offset}" if next_offset else ""}


# -- corp tags ---------------------------------------------------------------------------------------------------------

@api(f"{EC}/get_corp_tag_list", "POST", CONTACT)
def get_corp_tag_list(state: SandboxState, corp: Corp, body: dict[str, Any]) -> dict[str, Any]:
    tag_ids, group_ids = set(body.get("tag_id") or []), set(body.get("group_id") or [])
    groups = []
    for group in corp.tag_groups.values():
        if group_ids:
            if group["group_id"] in group_ids:
                groups.append(group)
        elif tag_ids:
            tags = [t for t in group["tag"] if t["id"] in tag_ids]
            if tags:
                groups.append({**group, "tag": tags})
        else:
            groups.append(group)
    return {"tag_group": groups}


@api(f"{EC}/add_corp_tag", "POST", CONTACT)
def add_corp_tag(state: SandboxState, corp: Corp, body: dict[str, Any]) -> dict[str, Any]:
    tags = body.get("tag") or []
    if not tags or any(not (t.get("name") or "").strip() or len(t["name"]) > 30 for t in tags):
        raise SandboxError(40058, "tag names must be 1..30 characters")
    now = int(time.time())
    if body.get("group_id"):
        group = corp.tag_groups.get(body["group_id"])
        if group is None:
            raise SandboxError(40068, "invalid tag group id")
    else:
        name = (body.get("group_name") or "").strip()
        if not name:
            raise SandboxError(40058, "group_id or group_name required")
        group = next((g for g in corp.tag_groups.values() if g["group_name"] == name), None)
        if group is None:
            group = {"group_id": new_id("et", 10), "group_name": name, "create_time": now,
                     "order": int(body.get("order") or 0), "tag": []}
            corp.tag_groups[group["group_id"]] = group
    existing = {t["name"] for t in group["tag"]}
    if any(t["name"] in existing for t in tags):
        raise SandboxError(40071, "tag name exists in this group")
    added = [{"id": new_id("et", 12), "name": t["name"], "create_time": now, "order": int(t.get("order") or 0)}
             for t in tags]
    group["tag"].extend(added)
    return {"tag_group": {**{k: v for k, v in group.items() if k != "tag"}, "tag": added}}


@api(f"{EC}/edit_corp_tag", "POST", CONTACT)
def edit_corp_tag(state: SandboxState, corp: Corp, body: dict[str, Any]) -> dict[str, Any]:
    require(body, "id")
    target = corp.tag_groups.get(body["id"])
    if target is None:
        found = corp.find_tag(body["id"])
        if found is None:
            raise SandboxError(40068, "invalid tag id")
        target = found[1]
    if "name" in body:
        if not (body["name"] or "").strip() or len(body["name"]) > 30:
            raise SandboxError(40058, "name must be 1..30 characters")
        target["group_name" if "group_id" in target else "name"] = body["name"]
    if "order" in body:
        target["order"] = int(body["order"])
    return {}


@api(f"{EC}/del_corp_tag", "POST", CONTACT)
def del_corp_tag(state: SandboxState, corp: Corp, body: dict[str, Any]) -> dict[str, Any]:
    tag_ids, group_ids = list(body.get("tag_id") or []), list(body.get("group_id") or [])
    if not tag_ids and not group_ids:
        raise SandboxError(40058, "tag_id or group_id required")
    for tag_id in tag_ids:
        if corp.find_tag(tag_id) is None:
            raise SandboxError(40068, "invalid tag id")
    for group_id in group_ids:
        if corp.tag_groups.pop(group_id, None) is None:
            raise SandboxError(40068, "invalid tag group id")
    for group in list(corp.tag_groups.values()):
        group["tag"] = [t for t in group["tag"] if t["id"] not in tag_ids]
        if not group["tag"]:  # WeCom deletes a group with its last tag
            corp.tag_groups.pop(group["group_id"], None)
    return {}


@api(f"{EC}/mark_tag", "POST", CONTACT)
def mark_tag(state: SandboxState, corp: Corp, body: dict[str, Any]) -> dict[str, Any]:
    _user(corp, body.get("userid"))
    _contact(corp, body.get("external_userid"))
    follow = corp.follow(body["external_userid"], body["userid"])
    if follow is None:
        raise SandboxError(84061, "not external contact")
    add, remove = list(body.get("add_tag") or []), list(body.get("remove_tag") or [])
    if not add and not remove:
        raise SandboxError(40058, "add_tag and remove_tag are both empty")
    for tag_id in add + remove:
        if corp.find_tag(tag_id) is None:
            raise SandboxError(40068, "invalid tag id")
    tags = [t for t in follow.setdefault("tags", []) if t.get("tag_id") not in remove]
    for tag_id in add:
        if not any(t.get("tag_id") == tag_id for t in tags):
            group, tag = corp.find_tag(tag_id)  # type: ignore[misc]
            tags.append({"group_name": group["group_name"], "tag_name": tag["name"], "tag_id": tag_id, "type": 1})
    follow["tags"] = tags
    return {}


# -- contact ways ------------------------------------------------------------------------------------------------------

def _contact_way_fields(corp: Corp, body: dict[str, Any], way: dict[str, Any]) -> None:
    if "state" in body and len(str(body["state"] or "")) > 30:
        raise SandboxError(40058, "state is longer than 30 characters")
    users = body.get("user", way.get("user", [])) or []
    parties = body.get("party", way.get("party", [])) or []
    for userid in users:
        _user(corp, userid)
    if way["type"] == 1 and len(users) + len(parties) != 1:
        raise SandboxError(40058, "a single-member contact way takes exactly one user")
    if not users and not parties:
        raise SandboxError(40058, "user or party required")
    if len(users) > 100:
        raise SandboxError(40058, "at most 100 members per contact way")
    for key in ("remark", "skip_verify", "state", "style", "is_temp", "expires_in", "chat_expires_in", "unionid",
                "conclusions"):
        if key in body:
            way[key] = body[key]
    way["user"], way["party"] = list(users), list(parties)


@api(f"{EC}/add_contact_way", "POST", CONTACT)
def add_contact_way(state: SandboxState, corp: Corp, body: dict[str, Any]) -> dict[str, Any]:
    require(body, "type", "scene")
    if body["type"] not in (1, 2) or body["scene"] not in (1, 2):
        raise SandboxError(40058, "type and scene must be 1 or 2")
    config_id = new_id("", 16)
    way = {"config_id": config_id, "type": body["type"], "scene": body["scene"], "skip_verify": True}
    _contact_way_fields(corp, body, way)
    if body["scene"] == 2:
        way["qr_code"] = f"https://wework.qpic.cn/wwpic/sandbox/{config_id}/0"
    corp.contact_ways[config_id] = way
    return {"config_id": config_id, **({"qr_code": way["qr_code"]} if "qr_code" in way else {})}


def _way(corp: Corp, body: dict[str, Any]) -> dict[str, Any]:
    way = corp.contact_ways.get(str(body.get("config_id") or ""))
    if way is None:
        raise SandboxError(41044, "invalid config_id")
    return way


@api(f"{EC}/get_contact_way", "POST", CONTACT)
def get_contact_way(state: SandboxState, corp: Corp, body: dict[str, Any]) -> dict[str, Any]:
    return {"contact_way": _way(corp, body)}


@api(f"{EC}/update_contact_way", "POST", CONTACT)
def update_contact_way(state: SandboxState, corp: Corp, body: dict[str, Any]) -> dict[str, Any]:
    way = _way(corp, body)
    updated = dict(way)
    _contact_way_fields(corp, body, updated)
    way.update(updated)
    return {}


@api(f"{EC}/del_contact_way", "POST", CONTACT)
def del_contact_way(state: SandboxState, corp: Corp, body: dict[str, Any]) -> dict[str, Any]:
    corp.contact_ways.pop(_way(corp, body)["config_id"])
    return {}


# -- messages ----------------------------------------------------------------------------------------------------------

#: send_welcome_msg: per attachment type, the required fields (one of a tuple suffices) and the fields WeCom limits
#: in UTF-8 bytes
WELCOME_TEXT_BYTES = 4000
WELCOME_ATTACHMENTS = 9
WELCOME_REQUIRED: dict[str, tuple[tuple[str, ...], ...]] = {
    "image": (("media_id", "pic_url"),),
    "link": (("title",), ("url",)),
    "miniprogram": (("title",), ("pic_media_id",), ("appid",), ("page",)),
    "video": (("media_id",),),
    "file": (("media_id",),),
}
WELCOME_BYTES: dict[tuple[str, str], int] = {("link", "title"): 128, ("link", "desc"): 512, ("link", "url"): 2048,
                                             ("link", "picurl"): 2048, ("miniprogram", "title"): 64}


def _welcome_body(body: dict[str, Any]) -> None:
    """Check a ``send_welcome_msg`` body as WeCom does: 40058 (invalid parameter) naming what is wrong."""
    text = body.get("text")
    if text is not None and (not isinstance(text, dict) or not isinstance(text.get("content"), str)
                             or not text["content"]):
        raise SandboxError(40058, "text.content must be a non-empty string")
    attachments = body.get("attachments") or []
    if not isinstance(attachments, list):
        raise SandboxError(40058, "attachments must be a list")
    if not text and not attachments:
        raise SandboxError(40058, "text or attachments required")
    if text and len(text["content"].encode("utf-8")) > WELCOME_TEXT_BYTES:
        raise SandboxError(40058, f"text.content exceeds {WELCOME_TEXT_BYTES} bytes")
    if len(attachments) > WELCOME_ATTACHMENTS:
        raise SandboxError(40058, f"at most {WELCOME_ATTACHMENTS} attachments")
    for index, item in enumerate(attachments):
        kind = item.get("msgtype") if isinstance(item, dict) else None
        if kind not in WELCOME_REQUIRED:
            raise SandboxError(40058, f"attachments[{index}].msgtype invalid: {kind!r}")
        fields = item.get(kind)
        if not isinstance(fields, dict):
            raise SandboxError(40058, f"attachments[{index}].{kind} missing")
        for names in WELCOME_REQUIRED[kind]:
            if not any(isinstance(fields.get(n), str) and fields[n] for n in names):
                raise SandboxError(40058, f"attachments[{index}].{kind}.{'|'.join(names)} missing")
        for (of_kind, name), limit in WELCOME_BYTES.items():
            if of_kind == kind and len(str(fields.get(name) or "").encode("utf-8")) > limit:
                raise SandboxError(40058, f"attachments[{index}].{kind}.{name} exceeds {limit} bytes")
        if kind == "miniprogram" and not str(fields["page"]).split("?")[0].endswith(".html"):
            raise SandboxError(40058, f"attachments[{index}].miniprogram.page must end with .html")


@api(f"{EC}/send_welcome_msg", "POST", CONTACT)
def send_welcome_msg(state: SandboxState, corp: Corp, body: dict[str, Any]) -> dict[str, Any]:
    require(body, "welcome_code")
    _welcome_body(body)
    entry = state.use_welcome_code(corp.corp_id, body.get("welcome_code"))
    corp.welcome_messages.append({**body, "userid": entry["userid"], "external_userid": entry["external_userid"],
                                  "sent_at": time.time(), "code_age": time.time() - entry["issued_at"]})
    return {}


@api(f"{EC}/add_msg_template", "POST", CONTACT)
def add_msg_template(state: SandboxState, corp: Corp, body: dict[str, Any]) -> dict[str, Any]:
    chat_type = body.get("chat_type") or "single"
    if chat_type not in ("single", "group"):
        raise SandboxError(40058, "chat_type must be single or group")
    if not body.get("text") and not body.get("attachments"):
        raise SandboxError(40058, "text or attachments required")
    if chat_type == "group" and not body.get("sender"):
        raise SandboxError(40058, "sender is required for group messages")
    if body.get("sender"):
        _user(corp, body["sender"])
    targets = list(body.get("external_userid") or [])
    if chat_type == "single" and not targets and not body.get("sender"):
        raise SandboxError(40058, "external_userid and sender cannot both be empty")
    fail = [ext for ext in targets if ext not in corp.contacts
            or (body.get("sender") and corp.follow(ext, body["sender"]) is None)]
    msgid = new_id("msg", 12)
    corp.msg_templates.append({**body, "msgid": msgid, "fail_list": fail, "create_time": int(time.time())})
    return {"fail_list": fail, "msgid": msgid}


# -- transfers ---------------------------------------------------------------------------------------------------------

def _transfer(corp: Corp, body: dict[str, Any], resigned: bool) -> dict[str, Any]:
    require(body, "handover_userid", "takeover_userid", "external_userid")
    handover, takeover = _user(corp, body["handover_userid"]), _user(corp, body["takeover_userid"])
    if resigned != (handover.get("status") == 5):
        raise SandboxError(40058, "handover user must have left" if resigned else "handover user has left")
    if takeover.get("status") not in (1, None):
        raise SandboxError(40058, "takeover user is not active")
    if len(body["external_userid"]) > 100:
        raise SandboxError(40058, "at most 100 customers per call")
    results = []
    for ext in body["external_userid"]:
        if ext not in corp.contacts:
            results.append({"external_userid": ext, "errcode": 40096})
        elif corp.follow(ext, handover["userid"]) is None:
            results.append({"external_userid": ext, "errcode": 84061})
        else:
            corp.transfers.append({"handover_userid": handover["userid"], "takeover_userid": takeover["userid"],
                                   "external_userid": ext, "status": 2, "takeover_time": 0, "resigned": resigned,
                                   "requested_at": time.time()})
            results.append({"external_userid": ext, "errcode": 0})
    return {"customer": results}


def settle_transfer(corp: Corp, transfer: dict[str, Any], status: int) -> None:
    """End a waiting transfer: 1 taken over (the relation moves to the takeover member), 3 refused, 4 limit."""
    transfer["status"], transfer["takeover_time"] = status, int(time.time())
    if status == 1:
        follow = corp.follow(transfer["external_userid"], transfer["handover_userid"])
        if follow is not None:
            follow["userid"] = transfer["takeover_userid"]


def takeover_due(state: SandboxState, corp: Corp) -> None:
    """WeCom's automatic takeover: a transfer waiting longer than ``transfer_takeover_after`` is taken over."""
    limit = time.time() - state.settings.transfer_takeover_after
    for transfer in corp.transfers:
        if transfer["status"] == 2 and transfer.get("requested_at", 0) <= limit:
            settle_transfer(corp, transfer, 1)


def _transfer_result(corp: Corp, body: dict[str, Any], resigned: bool) -> dict[str, Any]:
    require(body, "handover_userid", "takeover_userid")
    rows = [{"external_userid": t["external_userid"], "status": t["status"], "takeover_time": t["takeover_time"]}
            for t in corp.transfers if t["resigned"] == resigned and t["handover_userid"] == body["handover_userid"]
            and t["takeover_userid"] == body["takeover_userid"]]
    page, next_cursor = _page(rows, body.get("cursor"), PAGE)
    return {"customer": page, "next_cursor": next_cursor}


@api(f"{EC}/transfer_customer", "POST", CONTACT)
def transfer_customer(state: SandboxState, corp: Corp, body: dict[str, Any]) -> dict[str, Any]:
    if len(body.get("transfer_success_msg") or "") > 200:
        raise SandboxError(40058, "transfer_success_msg is longer than 200 characters")
    return _transfer(corp, body, resigned=False)


@api(f"{EC}/transfer_result", "POST", CONTACT)
def transfer_result(state: SandboxState, corp: Corp, body: dict[str, Any]) -> dict[str, Any]:
    takeover_due(state, corp)
    return _transfer_result(corp, body, resigned=False)


@api(f"{EC}/resigned/transfer_customer", "POST", CONTACT)
def resigned_transfer_customer(state: SandboxState, corp: Corp, body: dict[str, Any]) -> dict[str, Any]:
    return _transfer(corp, body, resigned=True)


@api(f"{EC}/resigned/transfer_result", "POST", CONTACT)
def resigned_transfer_result(state: SandboxState, corp: Corp, body: dict[str, Any]) -> dict[str, Any]:
    takeover_due(state, corp)
    return _transfer_result(corp, body, resigned=True)


@api(f"{EC}/get_unassigned_list", "POST", CONTACT)
def get_unassigned_list(state: SandboxState, corp: Corp, body: dict[str, Any]) -> dict[str, Any]:
    size = int(body.get("page_size") or 1000)
    if not 1 <= size <= 1000:
        raise SandboxError(40058, "page_size must be 1..1000")
    transferred = {(t["handover_userid"], t["external_userid"]) for t in corp.transfers if t["resigned"]}
    rows = [{"handover_userid": f["userid"], "external_userid": ext,
             "dimission_time": corp.users[f["userid"]].get("dimission_time", 0)}
            for ext, follows in corp.follows.items() for f in follows
            if corp.users.get(f["userid"], {}).get("status") == 5 and (f["userid"], ext) not in transferred]
    page, next_cursor = _page(rows, body.get("cursor"), size)
    return {"info": page, "is_last": not next_cursor, "next_cursor": next_cursor}
