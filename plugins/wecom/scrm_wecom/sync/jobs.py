"""Sync jobs (queue ``wecom``): full and tag runs, the daily schedule, and the incremental updates that callbacks
trigger (one friend, one member, the departments, the corp tags, tags marked locally on WeCom friends)."""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import timedelta
from typing import Any

from sqlmodel import Session, select

from scrm.sdk import Tag, actor, cancel_schedule, current_bus, job_session, schedule, utcnow
from scrm.sdk.wechat import WeChatAPIError

from ..accounts import AccountNotConfigured, find_account, record_config_error
from ..client import WeComClient, WeComUnavailable
from . import permission, wecom_tags
from .contacts import ContactApplier
from .models import Follow, FollowStatus
from .org import OrgResult, apply_departments, apply_users, department_map, mark_left
from .runner import FULL, create_run, customer_merger, execute, find_run

log = logging.getLogger(__name__)

DAILY = 24 * 3600
GONE = frozenset({40096, 84061})  # invalid external_userid, not a friend (any more)
UNKNOWN_USER = 60111


def _client(account) -> WeComClient:
    return WeComClient.for_account(account, current_bus().platform)


@actor(max_retries=0, time_limit=3_600_000)
def run_sync(tenant_id: int, *, run_id: int) -> None:
    """Execute queued sync run ``run_id`` of ``tenant_id`` (full or tags). Failures end the run as failed with the
    error shown on the sync page; the next run (a click or the daily schedule) starts over, idempotently."""
    with job_session() as session:
        run = find_run(session, tenant_id, run_id)
        if run is not None:
            execute(session, current_bus().platform, run)


@actor(max_retries=0, time_limit=3_600_000)
def daily_full_sync(tenant_id: int, *, account_id: int) -> None:
    """The daily full sync of an account (skipped while another run of it is active)."""
    with job_session() as session:
        account = find_account(session, tenant_id, account_id)
        if account is None:
            return
        run, created = create_run(session, account, FULL, "schedule")
        session.commit()
        if created:
            execute(session, current_bus().platform, run)


def schedule_key(tenant_id: int, account_id: int) -> str:
    return f"wecom.sync.daily:{tenant_id}:{account_id}"


def enable_daily(session: Session, tenant_id: int, account_id: int, hour_utc: int = 19) -> None:
    """Schedule the account's daily full sync (durably; by default at 19:00 UTC, 03:00 in China)."""
    now = utcnow()
    due = now.replace(hour=hour_utc, minute=0, second=0, microsecond=0)
    if due <= now:
        due += timedelta(days=1)
    schedule(session, "scrm_wecom.sync.jobs.daily_full_sync", due, tenant_id=tenant_id,
             kwargs={"account_id": account_id}, key=schedule_key(tenant_id, account_id), interval_seconds=DAILY)


def disable_daily(session: Session, tenant_id: int, account_id: int) -> bool:
    return cancel_schedule(session, schedule_key(tenant_id, account_id))


def _guarded(session: Session, account, what: str, fetch: Callable[[WeComClient], Any]) -> Any:
    """``fetch(client)`` for an update a callback triggered; None when WeCom is unreachable or refused (logged;
    configuration errors go on the account's page). Not retried: the next full sync catches up."""
    try:
        with WeComClient.for_account(account, current_bus().platform, backoff=(0.5,)) as client:
            return fetch(client)
    except (WeComUnavailable, AccountNotConfigured) as exc:
        log.warning("WeCom sync of %s skipped: %s", what, exc)
    except WeChatAPIError as exc:
        if exc.errcode not in GONE and not record_config_error(session, account, exc.errcode, exc.errmsg or ""):
            log.warning("WeCom sync of %s refused: %s", what, exc)
    return None


@actor(max_retries=0, time_limit=60_000)
def sync_friend(tenant_id: int, *, account_id: int, external_userid: str) -> None:
    """Re-read one customer (``externalcontact/get``) and apply it: profile, One-ID, every follow relation, tags."""

    def fetch(client: WeComClient):
        answer = client.get_external_contact(external_userid)
        follows, cursor = list(answer["follow_user"]), answer["next_cursor"]
        while cursor:
            more = client.get_external_contact(external_userid, cursor)
            follows.extend(more["follow_user"])
            cursor = more["next_cursor"]
        return dict(answer["external_contact"]) or {"external_userid": external_userid}, follows

    with job_session() as session:
        account = find_account(session, tenant_id, account_id)
        if account is None:
            return
        session.commit()
        entry = _guarded(session, account, f"customer {external_userid}", fetch)
        if entry is not None:
            ContactApplier(session, account, merge=customer_merger(current_bus().platform)).apply(
                [entry], complete=True, publish_event=False)


@actor(max_retries=0, time_limit=60_000)
def sync_member(tenant_id: int, *, account_id: int, userid: str) -> None:
    """Re-read member ``userid`` (``user/get``) into its employee; a member WeCom no longer knows has left. Once the
    tenant has the customer-contact permission data, the list is read again too (one call for all members), so a
    member created since the last full sync gets theirs."""
    follow_users: list[str] | None = None

    def fetch(client: WeComClient):
        nonlocal follow_users
        try:
            user = client.get_user(userid)
        except WeChatAPIError as exc:
            if exc.errcode == UNKNOWN_USER:
                return {}
            raise
        if read_permission:
            try:
                follow_users = client.get_follow_user_list()
            except WeChatAPIError as exc:
                log.warning("customer-contact permission not read for member %s: %s", userid, exc)
        return user

    with job_session() as session:
        account = find_account(session, tenant_id, account_id)
        if account is None:
            return
        read_permission = permission.known(session, tenant_id)
        session.commit()
        user = _guarded(session, account, f"member {userid}", fetch)
        if user == {}:
            mark_left(session, account, userid)
        elif user is not None:
            apply_users(session, account, [user], department_map(session, tenant_id), OrgResult(), complete=False)
            if follow_users is not None:
                permission.apply_follow_users(session, account, follow_users)


@actor(max_retries=0, time_limit=60_000)
def sync_departments(tenant_id: int, *, account_id: int) -> None:
    """Re-read the department list and apply it (created, renamed, moved and deleted departments)."""
    with job_session() as session:
        account = find_account(session, tenant_id, account_id)
        if account is None:
            return
        session.commit()
        departments = _guarded(session, account, "departments", lambda client: client.list_departments())
        if departments is not None:
            apply_departments(session, tenant_id, departments, OrgResult())


@actor(max_retries=0, time_limit=120_000)
def reconcile_tags(tenant_id: int, *, account_id: int) -> None:
    """Re-read WeCom's corp tags and reconcile the local wecom-source tags with them."""
    with job_session() as session:
        account = find_account(session, tenant_id, account_id)
        if account is None:
            return
        session.commit()
        groups = _guarded(session, account, "corp tags", lambda client: client.list_corp_tags())
        if groups is not None:
            wecom_tags.reconcile(session, tenant_id, groups)


@actor(max_retries=3, time_limit=600_000)
def push_customer_tags(tenant_id: int, *, customer_ids: list[int], added_tag_ids: list[int],
                       removed_tag_ids: list[int]) -> None:
    """Mark / unmark corp tags that a local user put on / took off customers, on each of their active WeCom
    relations (``mark_tag``); relations whose account is gone are skipped."""
    with job_session() as session:
        ids = set(added_tag_ids) | set(removed_tag_ids)
        tags = {t.id: t for t in session.exec(select(Tag).where(
            Tag.tenant_id == tenant_id, Tag.id.in_(ids), Tag.source == wecom_tags.SOURCE,
            Tag.external_id.is_not(None)))} if ids else {}
        if not tags:
            return
        add = [tags[i] for i in added_tag_ids if i in tags]
        remove = [tags[i] for i in removed_tag_ids if i in tags]
        follows = list(session.exec(select(Follow).where(
            Follow.tenant_id == tenant_id, Follow.customer_id.in_(customer_ids),
            Follow.status == FollowStatus.ACTIVE.value).order_by(Follow.account_id, Follow.id)))
        clients: dict[int, WeComClient] = {}
        try:
            for follow in follows:
                if follow.account_id not in clients:
                    account = find_account(session, tenant_id, follow.account_id)
                    if account is None:
                        continue
                    clients[follow.account_id] = _client(account)
                try:
                    wecom_tags.mark_tags(session, clients[follow.account_id], follow, add, remove)
                except WeChatAPIError as exc:
                    session.rollback()
                    if exc.errcode not in GONE:
                        log.warning("mark_tag for %s failed: %s", follow.external_userid, exc)
                except WeComUnavailable as exc:
                    log.warning("mark_tag skipped, WeCom unreachable: %s", exc)
                    return
                session.commit()
        finally:
            for client in clients.values():
                client.close()
