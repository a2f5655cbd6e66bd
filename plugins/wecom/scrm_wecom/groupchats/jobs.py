"""Group chat jobs (queue ``wecom``): the full sync, the re-read of one chat after a callback, and the tracker of
waiting assignments (J3: re-reads the owners until WeCom shows the new one, scheduled durably after an assignment)."""

from __future__ import annotations

import logging
from datetime import timedelta

from sqlmodel import Session, select

from scrm.sdk import actor, cancel_schedule, current_bus, job_session, schedule, utcnow
from scrm.sdk.wechat import WeChatAPIError

from ..accounts import AccountNotConfigured, find_account, record_config_error
from ..client import WeComClient, WeComUnavailable
from .assignment import expire_waiting
from .mirror import Mirror
from .models import AssignmentStatus, GroupAssignment, GroupChat
from .sync import GONE, find_sync, run_sync

log = logging.getLogger(__name__)

TRACK_EVERY = 600  # seconds between two re-reads of the chats with a waiting assignment


@actor(max_retries=0, time_limit=3_600_000)
def sync_group_chats(tenant_id: int, *, run_id: int) -> None:
    """Execute queued group chat sync ``run_id`` (see :mod:`scrm_wecom.groupchats.sync`)."""
    with job_session() as session:
        run = find_sync(session, tenant_id, run_id)
        if run is not None:
            run_sync(session, current_bus().platform, run)


def refresh(session: Session, client: WeComClient, mirror: Mirror, chat_id: str, stale_version: str = "") -> None:
    """Re-read one chat into the mirror (commits). A chat WeCom no longer knows (40050) is dismissed; an answer still
    at ``stale_version`` (WeCom lags behind its callback) updates the chat's own fields but not its members."""
    session.commit()
    try:
        detail = client.get_group_chat(chat_id)
    except WeChatAPIError as exc:
        if exc.errcode != GONE:
            raise
        chat = mirror.chat(chat_id)
        if chat is not None:
            mirror.dismiss(chat)
        session.commit()
        return
    stale = bool(stale_version) and detail.get("member_version") == stale_version
    mirror.apply([detail], members=not stale)
    session.commit()


@actor(max_retries=0, time_limit=60_000)
def refresh_chat(tenant_id: int, *, account_id: int, chat_id: str, stale_version: str = "") -> None:
    """Re-read chat ``chat_id`` after a callback (name, notice, owner, members and their details)."""
    with job_session() as session:
        account = find_account(session, tenant_id, account_id)
        if account is None:
            return
        try:
            with WeComClient.for_account(account, current_bus().platform, backoff=(0.5,)) as client:
                refresh(session, client, Mirror(session, account), chat_id, stale_version)
        except (WeComUnavailable, AccountNotConfigured) as exc:
            log.warning("WeCom group chat %s not re-read: %s", chat_id, exc)
        except WeChatAPIError as exc:
            session.rollback()
            if not record_config_error(session, account, exc.errcode, exc.errmsg or ""):
                log.warning("WeCom group chat %s not re-read: %s", chat_id, exc)
            session.commit()


def tracker_key(tenant_id: int) -> str:
    return f"wecom.groupchats.track:{tenant_id}"


def schedule_tracker(session: Session, tenant_id: int) -> None:
    """Re-read waiting assignments every ``TRACK_EVERY`` seconds, starting then (the job stops itself when none is
    left)."""
    schedule(session, "scrm_wecom.groupchats.jobs.track_assignments", utcnow() + timedelta(seconds=TRACK_EVERY),
             tenant_id=tenant_id, key=tracker_key(tenant_id), interval_seconds=TRACK_EVERY)


@actor(max_retries=0, time_limit=600_000)
def track_assignments(tenant_id: int) -> None:
    """J3: re-read the owner of every chat with a waiting assignment (done when it is the takeover employee), then
    fail the ones still waiting longer than the tracking window, and stop the schedule when nothing waits any more."""
    with job_session() as session:
        track(session, tenant_id)


def track(session: Session, tenant_id: int) -> None:
    """Re-read first, expire after: a chat WeCom handed over before the 24-hour mark but read after it is done, not
    failed; the waiting chats of an account that could not be read are not expired this time."""
    started = utcnow()
    rows = session.exec(select(GroupChat.account_id, GroupChat.chat_id).join(
        GroupAssignment, GroupAssignment.group_chat_id == GroupChat.id).where(
        GroupAssignment.tenant_id == tenant_id, GroupAssignment.status == AssignmentStatus.WAITING).distinct())
    by_account: dict[int, list[str]] = {}
    for account_id, chat_id in rows:
        by_account.setdefault(account_id, []).append(chat_id)
    session.commit()
    unchecked: set[int] = set()
    for account_id, chat_ids in by_account.items():
        account = find_account(session, tenant_id, account_id)
        if account is None:
            continue
        try:
            with WeComClient.for_account(account, current_bus().platform) as client:
                mirror = Mirror(session, account)
                for chat_id in chat_ids:
                    refresh(session, client, mirror, chat_id)
        except (WeComUnavailable, AccountNotConfigured, WeChatAPIError) as exc:
            session.rollback()
            unchecked.add(account_id)
            log.warning("waiting group chat assignments of account %s not checked: %s", account_id, exc)
    expire_waiting(session, tenant_id, now=started, skip_accounts=unchecked)
    session.commit()
    waiting = session.exec(select(GroupAssignment.id).where(GroupAssignment.tenant_id == tenant_id,
                                                            GroupAssignment.status == AssignmentStatus.WAITING)).first()
    if waiting is None:
        cancel_schedule(session, tracker_key(tenant_id))
    session.commit()
