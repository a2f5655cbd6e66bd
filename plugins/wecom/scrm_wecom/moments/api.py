"""The WeCom calls of enterprise Moments (customer-contact secret), in WeCom's documented shapes.

``add_moment_task`` only starts an asynchronous job: its ``jobid`` is read with ``get_moment_task_result`` until the
status is 3 (created), which gives the ``moment_id`` and the senders and tags WeCom could not use. Paged reads follow
``next_cursor`` to the end.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import Any

from ..accounts import SecretKind

EC = "/cgi-bin/externalcontact"
CONTACT = SecretKind.CONTACT
JOB_DONE = 3


def moment_body(text: str, attachment: dict[str, Any], userids: Sequence[str], tag_ids: Sequence[str]) -> dict[str, Any]:
    """The ``add_moment_task`` body: text, at most one link attachment, senders and customer tags."""
    body: dict[str, Any] = {"visible_range": {"sender_list": {"user_list": list(userids)}}}
    if text:
        body["text"] = {"content": text}
    if attachment.get("type") == "link":
        link = {"title": attachment.get("title") or "", "url": attachment["url"]}
        if attachment.get("media_id"):
            link["media_id"] = attachment["media_id"]
        body["attachments"] = [{"msgtype": "link", "link": link}]
    elif attachment.get("type") in ("image", "video") and attachment.get("media_ids"):
        kind = attachment["type"]
        body["attachments"] = [{"msgtype": kind, kind: {"media_id": m}} for m in attachment["media_ids"]]
    if tag_ids:
        body["visible_range"]["external_contact_list"] = {"tag_list": list(tag_ids)}
    return body


def add_moment_task(client: Any, body: dict[str, Any]) -> str:
    """Start creating a Moments task; returns the ``jobid``."""
    return str(client.call(CONTACT, "POST", f"{EC}/add_moment_task", json=body)["jobid"])


def get_moment_task_result(client: Any, jobid: str) -> dict[str, Any]:
    """``{status, type, result?}``: status 1 started, 2 creating, 3 done (``result`` then holds ``moment_id``,
    ``invalid_sender_list`` and ``invalid_external_contact_list``)."""
    data = client.call(CONTACT, "GET", f"{EC}/get_moment_task_result", params={"jobid": jobid})
    return {k: v for k, v in data.items() if k not in ("errcode", "errmsg")}


def _pages(client: Any, path: str, body: dict[str, Any], key: str) -> Iterator[dict[str, Any]]:
    cursor = ""
    while True:
        data = client.call(CONTACT, "POST", f"{EC}/{path}", json={**body, **({"cursor": cursor} if cursor else {})})
        yield from data.get(key) or []
        cursor = str(data.get("next_cursor") or "")
        if not cursor:
            return


def get_moment_task(client: Any, moment_id: str) -> list[dict[str, Any]]:
    """Every sender of the Moment with ``publish_status`` (0 not published, 1 published)."""
    return list(_pages(client, "get_moment_task", {"moment_id": moment_id, "limit": 1000}, "task_list"))


def get_moment_customer_list(client: Any, moment_id: str, userid: str) -> list[str]:
    """The external_userids the sender's Moment is visible to."""
    rows = _pages(client, "get_moment_customer_list", {"moment_id": moment_id, "userid": userid, "limit": 1000},
                  "customer_list")
    return [str(r["external_userid"]) for r in rows]


def get_moment_send_result(client: Any, moment_id: str, userid: str) -> list[str]:
    """The external_userids the published Moment was sent to."""
    rows = _pages(client, "get_moment_send_result", {"moment_id": moment_id, "userid": userid, "limit": 5000},
                  "customer_list")
    return [str(r["external_userid"]) for r in rows]


def get_moment_comments(client: Any, moment_id: str, userid: str) -> dict[str, list[dict[str, Any]]]:
    """``{comment_list, like_list}``: who (``external_userid`` or member ``userid``) and when (``create_time``)."""
    data = client.call(CONTACT, "POST", f"{EC}/get_moment_comments", json={"moment_id": moment_id, "userid": userid})
    return {"comment_list": list(data.get("comment_list") or []), "like_list": list(data.get("like_list") or [])}


def get_moment_list(client: Any, start_time: int, end_time: int, *, creator: str | None = None,
                    filter_type: int = 2) -> list[dict[str, Any]]:
    """The corp's Moments created between the two times (at most a month apart): enterprise (0), personal (1),
    or both (2)."""
    body: dict[str, Any] = {"start_time": start_time, "end_time": end_time, "filter_type": filter_type, "limit": 20}
    if creator:
        body["creator"] = creator
    return list(_pages(client, "get_moment_list", body, "moment_list"))
