"""Incremental mirror updates from the ``wecom.group_chat_*`` domain events (called from the plugin's
``domain_event`` hook), in the event's transaction, without HTTP:

* ``created`` → the chat is read after the commit (``refresh_chat``);
* ``updated`` ``add_member`` / ``del_member`` → member rows and today's counters change at once from
  ``MemChangeList`` (``JoinScene`` kept), then the chat is re-read for the members' details; the re-read ignores an
  answer still at the callback's ``LastMemVer`` (WeCom's detail lags its callbacks by a few seconds);
  ``change_owner`` / ``change_name`` / ``change_notice`` → re-read (the owner confirms waiting assignments);
* ``dismissed`` → status dismissed.

Published here, once per callback that changed rows (cheap: no event per member): ``wecom.group_member_joined`` and
``wecom.group_member_left`` with ``account_id``, ``corp_id``, ``chat_id``, ``group_chat_id``, ``join_scene`` /
``quit_scene``, ``at`` (ISO time) and ``members`` ``[{member_id, type, customer_id, employee_id}]``.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlmodel import Session

from scrm.sdk import ChannelAccount, DomainEvent, publish, utcnow

from ..accounts import find_account
from ..welcome.handlers import after_commit
from .mirror import ChatChange, Mirror

CREATED, UPDATED, DISMISSED = "wecom.group_chat_created", "wecom.group_chat_updated", "wecom.group_chat_dismissed"
EVENT_TYPES = frozenset({CREATED, UPDATED, DISMISSED})
MEMBER_JOINED, MEMBER_LEFT = "wecom.group_member_joined", "wecom.group_member_left"


def _when(payload: dict[str, Any]) -> datetime:
    created = payload.get("create_time")
    return datetime.fromtimestamp(int(created), UTC) if isinstance(created, int) and created > 0 else utcnow()


def _int(value: Any) -> int:
    try:
        return int(value)
    except (TypeError, ValueError):
        return 0


def _publish_members(session: Session, account: ChannelAccount, change: ChatChange, payload: dict[str, Any],
                     when: datetime) -> None:
    base = {"account_id": account.id, "corp_id": account.external_id, "chat_id": change.chat.chat_id,
            "group_chat_id": change.chat.id, "at": when.isoformat()}
    for type, rows, extra in ((MEMBER_JOINED, change.joined, {"join_scene": _int(payload.get("join_scene"))}),
                              (MEMBER_LEFT, change.left, {"quit_scene": _int(payload.get("quit_scene"))})):
        if rows:
            members = [{"member_id": r.member_id, "type": r.type, "customer_id": r.customer_id,
                        "employee_id": r.employee_id} for r in rows]
            publish(session, account.tenant_id, type, {**base, **extra, "members": members})


def on_domain_event(event: DomainEvent, session: Session) -> None:
    """Apply one event of :data:`EVENT_TYPES` (others are ignored)."""
    if event.type not in EVENT_TYPES:
        return
    payload = dict(event.payload)
    chat_id = str(payload.get("chat_id") or "")
    account = find_account(session, event.tenant_id, _int(payload.get("account_id")))
    if account is None or not chat_id:
        return
    mirror = Mirror(session, account)
    chat = mirror.chat(chat_id)
    if event.type == DISMISSED:
        if chat is not None:
            mirror.dismiss(chat)
        return
    stale = ""
    if event.type == UPDATED and chat is not None and payload.get("update_detail") in ("add_member", "del_member"):
        ids = [str(m) for m in payload.get("member_userids") or [] if m]
        when = _when(payload)
        added = payload["update_detail"] == "add_member"
        change = mirror.member_change(chat, joined=ids if added else (), left=() if added else ids, when=when,
                                      join_scene=_int(payload.get("join_scene")),
                                      member_version=str(payload.get("cur_mem_ver") or ""))
        _publish_members(session, account, change, payload, when)
        stale = str(payload.get("last_mem_ver") or "")
    from .jobs import refresh_chat

    tenant_id, account_id = event.tenant_id, account.id
    after_commit(session, lambda: refresh_chat.send(tenant_id, account_id=account_id, chat_id=chat_id,
                                                    stale_version=stale))
