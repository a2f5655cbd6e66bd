"""Full sync of an account's customer group chats: page ``groupchat/list`` (``LIST_LIMIT`` per page), read each chat
with ``groupchat/get`` and write them ``BATCH`` chats per transaction; chats WeCom no longer lists are dismissed.
Progress and results live on a ``GroupChatSync`` row (queued → running → done / failed); no transaction stays open
across a WeCom call. A second sync of unchanged chats changes nothing but ``synced_at``.
"""

from __future__ import annotations

import logging
from datetime import timedelta
from typing import Any

from sqlmodel import Session, select

from scrm.sdk import ChannelAccount, utcnow
from scrm.sdk.wechat import WeChatAPIError

from ..accounts import AccountNotConfigured, find_account, record_config_error
from ..client import WeComClient, WeComUnavailable
from ..sync.runner import RunReporter
from .mirror import Mirror, MirrorResult
from .models import GroupChatSync

log = logging.getLogger(__name__)

LIST_LIMIT = 1000
BATCH = 100
STALE_AFTER = timedelta(hours=2)
QUEUED, RUNNING, DONE, FAILED = "queued", "running", "done", "failed"
GONE = 40050  # the chat was dismissed between list and get


def active_sync(session: Session, tenant_id: int, account_id: int) -> GroupChatSync | None:
    run = session.exec(select(GroupChatSync).where(
        GroupChatSync.tenant_id == tenant_id, GroupChatSync.account_id == account_id,
        GroupChatSync.status.in_((QUEUED, RUNNING))).order_by(GroupChatSync.id.desc())).first()
    return run if run is not None and run.created_at >= utcnow() - STALE_AFTER else None


def create_sync(session: Session, account: ChannelAccount, requested_by: str) -> tuple[GroupChatSync, bool]:
    """A queued sync of the account's group chats, or its active one (then False). Flushes."""
    existing = active_sync(session, account.tenant_id, account.id)
    if existing is not None:
        return existing, False
    run = GroupChatSync(tenant_id=account.tenant_id, account_id=account.id, requested_by=requested_by[:200])
    session.add(run)
    session.flush()
    return run, True


def latest_sync(session: Session, tenant_id: int, account_id: int | None = None) -> GroupChatSync | None:
    query = select(GroupChatSync).where(GroupChatSync.tenant_id == tenant_id)
    if account_id is not None:
        query = query.where(GroupChatSync.account_id == account_id)
    return session.exec(query.order_by(GroupChatSync.id.desc())).first()


def find_sync(session: Session, tenant_id: int, run_id: int) -> GroupChatSync | None:
    return session.exec(select(GroupChatSync).where(GroupChatSync.tenant_id == tenant_id,
                                                    GroupChatSync.id == run_id)).first()


def list_chat_ids(client: WeComClient) -> list[str]:
    """Every chat id of the corp (all statuses), in WeCom's order."""
    ids: list[str] = []
    cursor = ""
    while True:
        rows, cursor = client.list_group_chats(cursor, LIST_LIMIT)
        ids.extend(str(r["chat_id"]) for r in rows if r.get("chat_id"))
        if not cursor:
            return list(dict.fromkeys(ids))


def read_chats(client: WeComClient, chat_ids: list[str]) -> list[dict[str, Any]]:
    """``groupchat/get`` of each chat; chats dismissed meanwhile (40050) are left out."""
    details = []
    for chat_id in chat_ids:
        try:
            details.append(client.get_group_chat(chat_id))
        except WeChatAPIError as exc:
            if exc.errcode != GONE:
                raise
    return details


def run_sync(session: Session, platform: Any, run: GroupChatSync, **client_options: Any) -> None:
    """Execute queued ``run`` to its end (done with its results, or failed with the error); never raises for WeCom
    errors; configuration errors also go on the account's page."""
    account = find_account(session, run.tenant_id, run.account_id)
    if account is None or run.status != QUEUED:
        return
    run.status, run.started_at, run.phase, run.progress = RUNNING, utcnow(), "list", 1
    reporter = RunReporter(session, run)  # type: ignore[arg-type]  (same progress columns as a contact sync run)
    reporter.save()
    try:
        with WeComClient.for_account(account, platform, **client_options) as client:
            chat_ids = list_chat_ids(client)
            reporter.save(phase="chats", progress=5, listed=len(chat_ids))
            mirror, total = Mirror(session, account), MirrorResult()
            for start in range(0, len(chat_ids), BATCH):
                session.commit()
                details = read_chats(client, chat_ids[start:start + BATCH])
                for change in mirror.apply(details):
                    total.chats_created += change.created
                    total.chats_updated += not change.created
                    total.members_joined += len(change.joined)
                    total.members_left += len(change.left)
                done = min(len(chat_ids), start + BATCH)
                reporter.save(progress=5 + 94 * done // max(1, len(chat_ids)), read=done, chats=total.as_dict())
            total.chats_dismissed = mirror.dismiss_missing(set(chat_ids))
            reporter.save(chats=total.as_dict())
        reporter.finish()
    except WeChatAPIError as exc:
        session.rollback()
        record_config_error(session, account, exc.errcode, exc.errmsg or "")
        reporter.finish(f"WeCom error {exc.errcode}: {exc.errmsg}")
    except (WeComUnavailable, AccountNotConfigured) as exc:
        session.rollback()
        reporter.finish(str(exc))
    except Exception as exc:
        log.exception("WeCom group chat sync %s failed", run.id)
        session.rollback()
        reporter.finish(f"{type(exc).__name__}: {exc}")
