"""Sandbox enterprise Moments (客户朋友圈): ``externalcontact/add_moment_task`` (asynchronous: a ``jobid``, then
``get_moment_task_result``), ``get_moment_list``, ``get_moment_task``, ``get_moment_customer_list``,
``get_moment_send_result`` and ``get_moment_comments`` with WeCom's shapes, and the control API that stands in for
the employees and customers: an employee publishes the task from their WeCom, a customer comments or likes, an
employee posts a personal Moment, and creation jobs are held and completed.

Images and videos are ``media/upload_attachment`` media of attachment type 1 (Moments); any other media id
answers 40007.

Codes: 40058 (invalid parameter: no content, attachments of mixed or too many kinds, unknown jobid or moment_id,
a userid that is not a sender of the Moment), 60111 (unknown userid). Senders that are unknown or have left and
tags the corp does not have are reported in the job result (``invalid_sender_list`` /
``invalid_external_contact_list``), as WeCom does, and the rest of the task is created.
"""

from __future__ import annotations

import hashlib
import time
from typing import Any

from flask import Flask, jsonify, request

from .routing import CONTACT, api, require
from .state import Corp, SandboxError, SandboxState, new_id

EC = "/cgi-bin/externalcontact"
MAX_IMAGES = 9
MAX_TEXT_BYTES = 10_000
MAX_LIST_LIMIT = 20  # get_moment_list: at most 20 a page
MAX_TASK_LIMIT = 1000
MAX_RANGE = 30 * 86400  # get_moment_list: at most one month between start_time and end_time
ENTERPRISE, PERSONAL = 0, 1  # create_type
CREATING, DONE = 2, 3  # get_moment_task_result status (1: started, 2: creating, 3: done)


def _attachments(body: dict[str, Any]) -> list[dict[str, Any]]:
    items = body.get("attachments") or []
    if not isinstance(items, list):
        raise SandboxError(40058, "invalid attachments")
    kinds = {str(item.get("msgtype") or "") for item in items if isinstance(item, dict)}
    if len(kinds) != (1 if items else 0) or not kinds <= {"image", "video", "link"}:
        raise SandboxError(40058, "attachments must be images, one video or one link")
    kind = next(iter(kinds), "")
    if (kind == "image" and len(items) > MAX_IMAGES) or (kind in ("video", "link") and len(items) > 1):
        raise SandboxError(40058, "too many attachments")
    for item in items:
        content = item.get(kind) or {}
        if kind == "link" and not content.get("url"):
            raise SandboxError(40058, "link url missing")
        if kind in ("image", "video") and not content.get("media_id"):
            raise SandboxError(40058, "media_id missing")
    return items


def _check_media(corp: Corp, items: list[dict[str, Any]]) -> None:
    """40007 unless every image and video is a Moments attachment of upload_attachment (temporary media are not)."""
    for item in items:
        kind = item["msgtype"]
        if kind in ("image", "video"):
            media = corp.media.get(str(item[kind]["media_id"]))
            if media is None or media.get("attachment_type") != MOMENTS_ATTACHMENT or media["type"] != kind:
                raise SandboxError(40007, "invalid media_id")


ATTACHMENT_LIMITS = {"image": 10 * 1024 * 1024, "video": 10 * 1024 * 1024}  # upload_attachment sizes
MOMENTS_ATTACHMENT = 1


@api("/cgi-bin/media/upload_attachment", "POST", CONTACT)
def upload_attachment(state: SandboxState, corp: Corp, body: dict[str, Any]) -> dict[str, Any]:
    """``media/upload_attachment?media_type=image|video&attachment_type=1|2`` (multipart ``media``): 40004 invalid
    media type, 40058 invalid attachment_type, 41005 no file, 40006 invalid size, 40005 invalid file type."""
    media_type = str(body.get("media_type") or "")
    if media_type not in ATTACHMENT_LIMITS:
        raise SandboxError(40004, "invalid media type")
    if str(body.get("attachment_type") or "") not in ("1", "2"):
        raise SandboxError(40058, "invalid attachment_type")
    upload = request.files.get("media")
    if upload is None:
        raise SandboxError(41005, "media data missing")
    data = upload.read()
    if len(data) <= 5 or len(data) > ATTACHMENT_LIMITS[media_type]:
        raise SandboxError(40006, "invalid file size")
    image = data.startswith(b"\x89PNG\r\n\x1a\n") or data.startswith(b"\xff\xd8\xff")
    if (media_type == "image" and not image) or (media_type == "video" and data[4:8] != b"ftyp"):
        raise SandboxError(40005, "invalid file type")
    now = int(time.time())
    media_id = new_id("att_", 24)
    corp.media[media_id] = {"type": media_type, "filename": upload.filename or "", "size": len(data),
                            "sha256": hashlib.sha256(data).hexdigest(), "created_at": now,
                            "attachment_type": int(body["attachment_type"])}
    return {"type": media_type, "media_id": media_id, "created_at": now}


def _active(corp: Corp, userid: str) -> bool:
    user = corp.users.get(userid)
    return user is not None and user.get("status", 1) != 5


def _corp_tag_ids(corp: Corp) -> set[str]:
    return {t["id"] for g in corp.tag_groups.values() if not g.get("deleted") for t in g["tag"]
            if not t.get("deleted")}


def visible_customers(corp: Corp, moment: dict[str, Any], userid: str) -> list[str]:
    """The customers of ``userid`` the Moment is visible to: the sender's friends, narrowed to the tag list."""
    tags = set(moment.get("tag_list") or [])
    out = []
    for ext in corp.friends_of(userid):
        follow = corp.follow(ext, userid) or {}
        if not tags or tags & {t.get("tag_id") for t in follow.get("tags") or []}:
            out.append(ext)
    return out


@api(f"{EC}/add_moment_task", "POST", CONTACT)
def add_moment_task(state: SandboxState, corp: Corp, body: dict[str, Any]) -> dict[str, Any]:
    text = str((body.get("text") or {}).get("content") or "")
    attachments = _attachments(body)
    _check_media(corp, attachments)
    if not text and not attachments:
        raise SandboxError(40058, "text and attachments both empty")
    if len(text.encode()) > MAX_TEXT_BYTES:
        raise SandboxError(40058, "text too long")
    visible = body.get("visible_range") or {}
    senders = [str(u) for u in ((visible.get("sender_list") or {}).get("user_list") or [])]
    tags = [str(t) for t in ((visible.get("external_contact_list") or {}).get("tag_list") or [])]
    if not senders:  # no sender list: every member who may contact customers
        senders = [u for u in corp.users if _active(corp, u)]
    valid = [u for u in senders if _active(corp, u)]
    known_tags = _corp_tag_ids(corp)
    moment_id = new_id("mom", 16)
    now = int(time.time())
    corp.moments[moment_id] = {
        "moment_id": moment_id, "creator": "", "create_time": now, "create_type": ENTERPRISE,
        "visible_type": 0 if tags else 1, "text": {"content": text}, "attachments": attachments,
        "tag_list": [t for t in tags if t in known_tags],
        "senders": {u: {"publish_status": 0, "published_at": None} for u in valid},
        "comments": {}, "likes": {}, "ready": False}
    jobid = new_id("job", 16)
    corp.moment_jobs[jobid] = {
        "jobid": jobid, "status": CREATING if corp.moment_jobs_held else DONE, "moment_id": moment_id,
        "invalid_user_list": [u for u in senders if u not in valid],
        "invalid_tag_list": [t for t in tags if t not in known_tags]}
    corp.moments[moment_id]["ready"] = not corp.moment_jobs_held
    return {"jobid": jobid}


@api(f"{EC}/get_moment_task_result", "GET", CONTACT)
def get_moment_task_result(state: SandboxState, corp: Corp, query: dict[str, Any]) -> dict[str, Any]:
    require(query, "jobid")
    job = corp.moment_jobs.get(str(query["jobid"]))
    if job is None:
        raise SandboxError(40058, "invalid jobid")
    if job["status"] != DONE:
        return {"status": job["status"], "type": "add_moment_task"}
    return {"status": DONE, "type": "add_moment_task",
            "result": {"errcode": 0, "errmsg": "ok", "moment_id": job["moment_id"],
                       "invalid_sender_list": {"user_list": job["invalid_user_list"], "department_list": []},
                       "invalid_external_contact_list": {"tag_list": job["invalid_tag_list"]}}}


def _moment(corp: Corp, body: dict[str, Any]) -> dict[str, Any]:
    require(body, "moment_id")
    moment = corp.moments.get(str(body["moment_id"]))
    if moment is None or not moment["ready"]:
        raise SandboxError(40058, "invalid moment_id")
    return moment


def _sender(corp: Corp, moment: dict[str, Any], body: dict[str, Any]) -> dict[str, Any]:
    require(body, "userid")
    userid = str(body["userid"])
    if userid not in corp.users:
        raise SandboxError(60111, "userid not found")
    entry = moment["senders"].get(userid)
    if entry is None:
        raise SandboxError(40058, "userid is not a sender of this moment")
    return entry


def _page(items: list[Any], body: dict[str, Any], maximum: int) -> tuple[list[Any], str]:
    try:
        start = int(body.get("cursor") or 0)
        limit = int(body.get("limit") or maximum)
    except (TypeError, ValueError) as exc:
        raise SandboxError(40058, "invalid cursor or limit") from exc
    if not 1 <= limit <= maximum or start < 0:
        raise SandboxError(40058, "invalid limit")
    chunk = items[start:start + limit]
    return chunk, (str(start + limit) if start + limit < len(items) else "")


@api(f"{EC}/get_moment_list", "POST", CONTACT)
def get_moment_list(state: SandboxState, corp: Corp, body: dict[str, Any]) -> dict[str, Any]:
    require(body, "start_time", "end_time")
    start, end = int(body["start_time"]), int(body["end_time"])
    if end < start or end - start > MAX_RANGE:
        raise SandboxError(40058, "time range over one month")
    kinds = {0: {ENTERPRISE}, 1: {PERSONAL}}.get(int(body.get("filter_type", 2)), {ENTERPRISE, PERSONAL})
    creator = body.get("creator")
    found = [m for m in sorted(corp.moments.values(), key=lambda m: m["create_time"])
             if m["ready"] and start <= m["create_time"] <= end and m["create_type"] in kinds
             and (not creator or m["creator"] == creator)]
    chunk, cursor = _page(found, body, MAX_LIST_LIMIT)
    listed = []
    for m in chunk:
        item = {k: m[k] for k in ("moment_id", "creator", "create_time", "create_type", "visible_type", "text")}
        kind = m["attachments"][0]["msgtype"] if m["attachments"] else ""
        if kind == "image":
            item["image"] = [a["image"] for a in m["attachments"]]
        elif kind:
            item[kind] = m["attachments"][0][kind]
        listed.append(item)
    return {"next_cursor": cursor, "moment_list": listed}


@api(f"{EC}/get_moment_task", "POST", CONTACT)
def get_moment_task(state: SandboxState, corp: Corp, body: dict[str, Any]) -> dict[str, Any]:
    moment = _moment(corp, body)
    tasks = [{"userid": u, "publish_status": s["publish_status"]} for u, s in moment["senders"].items()]
    chunk, cursor = _page(tasks, body, MAX_TASK_LIMIT)
    return {"next_cursor": cursor, "task_list": chunk}


@api(f"{EC}/get_moment_customer_list", "POST", CONTACT)
def get_moment_customer_list(state: SandboxState, corp: Corp, body: dict[str, Any]) -> dict[str, Any]:
    moment = _moment(corp, body)
    _sender(corp, moment, body)
    userid = str(body["userid"])
    rows = [{"userid": userid, "external_userid": ext} for ext in visible_customers(corp, moment, userid)]
    chunk, cursor = _page(rows, body, 1000)
    return {"next_cursor": cursor, "customer_list": chunk}


@api(f"{EC}/get_moment_send_result", "POST", CONTACT)
def get_moment_send_result(state: SandboxState, corp: Corp, body: dict[str, Any]) -> dict[str, Any]:
    moment = _moment(corp, body)
    entry = _sender(corp, moment, body)
    rows = [{"external_userid": ext} for ext in entry.get("sent_to") or []]
    chunk, cursor = _page(rows, body, 5000)
    return {"next_cursor": cursor, "customer_list": chunk}


@api(f"{EC}/get_moment_comments", "POST", CONTACT)
def get_moment_comments(state: SandboxState, corp: Corp, body: dict[str, Any]) -> dict[str, Any]:
    moment = _moment(corp, body)
    _sender(corp, moment, body)
    userid = str(body["userid"])
    return {"comment_list": list(moment["comments"].get(userid, [])), "like_list": list(moment["likes"].get(userid, []))}


# -- control API -------------------------------------------------------------------------------------------------------


def publish(corp: Corp, moment_id: str, userid: str) -> dict[str, Any]:
    """Employee ``userid`` publishes the Moment from their WeCom: it reaches their visible customers."""
    moment = _moment(corp, {"moment_id": moment_id})
    entry = _sender(corp, moment, {"userid": userid})
    if not entry["publish_status"]:
        entry.update(publish_status=1, published_at=int(time.time()),
                     sent_to=visible_customers(corp, moment, userid))
    return {"moment_id": moment_id, "userid": userid, "sent_to": entry["sent_to"]}


def interact(corp: Corp, data: dict[str, Any]) -> dict[str, Any]:
    """A customer (``external_userid``) or a member (``member_userid``) comments on or likes ``userid``'s post."""
    moment = _moment(corp, data)
    entry = _sender(corp, moment, data)
    if not entry["publish_status"]:
        raise SandboxError(40058, "the employee has not published this moment")
    kind = str(data.get("kind") or "")
    if kind not in ("comment", "like"):
        raise SandboxError(40058, "kind must be comment or like")
    userid = str(data["userid"])
    item: dict[str, Any] = {"create_time": int(data.get("create_time") or time.time())}
    if data.get("external_userid"):
        ext = str(data["external_userid"])
        if ext not in entry.get("sent_to", []):
            raise SandboxError(40058, "the customer cannot see this moment")
        item["external_userid"] = ext
    elif data.get("member_userid") in corp.users:
        item["userid"] = str(data["member_userid"])
    else:
        raise SandboxError(40058, "external_userid or member_userid required")
    bucket = moment["comments" if kind == "comment" else "likes"].setdefault(userid, [])
    if kind == "like" and any(i.get("external_userid", i.get("userid")) == item.get("external_userid",
                                                                                     item.get("userid"))
                              for i in bucket):
        return {"added": False}
    bucket.append(item)
    return {"added": True}


def personal_moment(corp: Corp, data: dict[str, Any]) -> dict[str, Any]:
    """Employee ``userid`` posts a Moment of their own (create_type 1), published at once."""
    userid = str(data.get("userid") or "")
    if not _active(corp, userid):
        raise SandboxError(60111, "userid not found")
    moment_id = new_id("mom", 16)
    now = int(data.get("create_time") or time.time())
    corp.moments[moment_id] = {
        "moment_id": moment_id, "creator": userid, "create_time": now, "create_type": PERSONAL, "visible_type": 1,
        "text": {"content": str(data.get("text") or "")}, "attachments": [], "tag_list": [],
        "senders": {userid: {"publish_status": 1, "published_at": now, "sent_to": corp.friends_of(userid)}},
        "comments": {}, "likes": {}, "ready": True}
    return {"moment_id": moment_id}


def register_moments_control(app: Flask, state: SandboxState) -> None:
    def run(action):
        data = request.get_json(silent=True)
        data = data if isinstance(data, dict) else {}
        with state.lock:
            try:
                corp = state.corp(str(data.get("corp_id")))
                return jsonify(ok=True, **action(corp, data))
            except SandboxError as exc:
                return jsonify(ok=False, errcode=exc.errcode, errmsg=exc.errmsg), 400

    @app.post("/sandbox/moments/publish")
    def moments_publish():
        return run(lambda corp, d: publish(corp, str(d.get("moment_id") or ""), str(d.get("userid") or "")))

    @app.post("/sandbox/moments/interact")
    def moments_interact():
        return run(interact)

    @app.post("/sandbox/moments/personal")
    def moments_personal():
        return run(personal_moment)

    @app.post("/sandbox/moments/jobs/hold")
    def moments_hold():
        def hold(corp: Corp, data: dict[str, Any]) -> dict[str, Any]:
            corp.moment_jobs_held = bool(data.get("hold", True))
            return {"held": corp.moment_jobs_held}
        return run(hold)

    @app.post("/sandbox/moments/jobs/complete")
    def moments_complete():
        def complete(corp: Corp, data: dict[str, Any]) -> dict[str, Any]:
            done = 0
            for job in corp.moment_jobs.values():
                if job["status"] != DONE:
                    job["status"] = DONE
                    corp.moments[job["moment_id"]]["ready"] = True
                    done += 1
            return {"completed": done}
        return run(complete)


class MomentsControl:
    """The Moments control requests for one corp, over a :class:`~scrm_wecom.sandbox.SandboxControl`."""

    def __init__(self, control: Any, corp_id: str) -> None:
        self.control, self.corp_id = control, corp_id

    def _post(self, path: str, payload: dict[str, Any]) -> dict[str, Any]:
        return self.control._call("POST", path, {"corp_id": self.corp_id, **payload})

    def publish(self, moment_id: str, userid: str) -> list[str]:
        """``userid`` publishes the Moment; returns the external_userids it reached."""
        return self._post("moments/publish", {"moment_id": moment_id, "userid": userid})["sent_to"]

    def comment(self, moment_id: str, userid: str, external_userid: str, create_time: int | None = None) -> bool:
        return self._post("moments/interact", {"moment_id": moment_id, "userid": userid, "kind": "comment",
                                               "external_userid": external_userid, "create_time": create_time})["added"]

    def like(self, moment_id: str, userid: str, external_userid: str) -> bool:
        return self._post("moments/interact", {"moment_id": moment_id, "userid": userid, "kind": "like",
                                               "external_userid": external_userid})["added"]

    def personal(self, userid: str, text: str) -> str:
        return self._post("moments/personal", {"userid": userid, "text": text})["moment_id"]

    def hold_jobs(self, hold: bool = True) -> None:
        self._post("moments/jobs/hold", {"hold": hold})

    def complete_jobs(self) -> int:
        return self._post("moments/jobs/complete", {})["completed"]
