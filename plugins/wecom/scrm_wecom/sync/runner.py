"""Running a sync of one account: the ``SyncRun`` row (queued → running → done / failed), its progress, its results.

A full sync reads the address book and the members with the customer-contact permission (one
``get_follow_user_list`` call, stored per member: ``permission.py``), reconciles corp tags (pushing local tags WeCom lacks first), then reads every
active member's customers through ``externalcontact/batch/get_by_user`` (``USERS_PER_CALL`` members per cursor walk,
100 contacts per page) and applies them ``BATCH`` contacts per transaction. No transaction stays open across an HTTP
call. A member's relations that WeCom no longer lists end (status deleted) once all pages were read.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import timedelta
from typing import Any

from sqlmodel import Session, select

from scrm.sdk import ChannelAccount, Customer, Tenant, merge_customers, utcnow
from scrm.sdk.wechat import WeChatAPIError

from ..accounts import AccountNotConfigured, find_account, record_config_error
from ..client import WeComClient, WeComUnavailable
from . import permission, wecom_tags
from .contacts import ContactApplier, ContactResult, end_follows, group_entries
from .models import SyncRun
from .org import fetch_org, sync_org

log = logging.getLogger(__name__)

BATCH = 2000
USERS_PER_CALL = 25
STALE_AFTER = timedelta(hours=2)
QUEUED, RUNNING, DONE, FAILED = "queued", "running", "done", "failed"
FULL, TAGS = "full", "tags"


def active_run(session: Session, tenant_id: int, account_id: int) -> SyncRun | None:
    """The account's queued or running sync, if one started less than ``STALE_AFTER`` ago."""
    run = session.exec(select(SyncRun).where(SyncRun.tenant_id == tenant_id, SyncRun.account_id == account_id,
                                             SyncRun.status.in_((QUEUED, RUNNING))).order_by(SyncRun.id.desc())).first()
    if run is None or run.created_at < utcnow() - STALE_AFTER:
        return None
    return run


def create_run(session: Session, account: ChannelAccount, kind: str, requested_by: str) -> tuple[SyncRun, bool]:
    """A new queued run of ``kind`` (``full`` or ``tags``), or the account's active run (then False). Flushes."""
    existing = active_run(session, account.tenant_id, account.id)
    if existing is not None:
        return existing, False
    run = SyncRun(tenant_id=account.tenant_id, account_id=account.id, kind=kind, requested_by=requested_by[:200])
    session.add(run)
    session.flush()
    return run, True


def latest_runs(session: Session, tenant_id: int, account_id: int, limit: int = 10) -> list[SyncRun]:
    return list(session.exec(select(SyncRun).where(SyncRun.tenant_id == tenant_id, SyncRun.account_id == account_id)
                             .order_by(SyncRun.id.desc()).limit(limit)))


def find_run(session: Session, tenant_id: int, run_id: int) -> SyncRun | None:
    return session.exec(select(SyncRun).where(SyncRun.id == run_id, SyncRun.tenant_id == tenant_id)).first()


def customer_merger(platform: Any) -> Callable[[Session, int, int, int], None]:
    """A merge function for :class:`ContactApplier` that runs the core merge with the tenant's hooks."""

    def merge(session: Session, tenant_id: int, survivor_id: int, merged_id: int) -> None:
        tenant = session.get(Tenant, tenant_id)
        survivor, merged = session.get(Customer, survivor_id), session.get(Customer, merged_id)
        if tenant is None or survivor is None or merged is None:
            return
        merge_customers(session, platform.hooks(session, tenant), survivor, merged, actor="wecom.sync")

    return merge


class RunReporter:
    """Writes a run's phase, progress and statistics; each ``save`` commits the session."""

    def __init__(self, session: Session, run: SyncRun) -> None:
        self.session, self.run = session, run
        self.stats: dict[str, Any] = dict(run.stats or {})

    def save(self, phase: str | None = None, progress: int | None = None, **stats: Any) -> None:
        if phase is not None:
            self.run.phase = phase
        if progress is not None:
            self.run.progress = max(0, min(100, int(progress)))
        self.stats.update(stats)
        self.run.stats = dict(self.stats)
        self.session.add(self.run)
        self.session.commit()

    def finish(self, error: str | None = None) -> None:
        self.run.status = FAILED if error else DONE
        self.run.error = error[:500] if error else None
        self.run.finished_at = utcnow()
        self.save(phase="" if not error else self.run.phase, progress=100 if not error else None)


def _tags(session: Session, client: WeComClient, tenant_id: int) -> dict[str, int]:
    pushed = wecom_tags.push_pending(session, client, tenant_id)
    groups = client.list_corp_tags()
    result = wecom_tags.reconcile(session, tenant_id, groups)
    result.pushed = pushed
    return result.as_dict()


def _contacts(session: Session, client: WeComClient, account: ChannelAccount, userids: list[str],
              reporter: RunReporter, merge: Callable | None) -> ContactResult:
    applier = ContactApplier(session, account, merge=merge)
    session.commit()  # no transaction stays open across the HTTP calls below
    total = ContactResult()
    seen: set[tuple[str, str]] = set()
    chunks = [userids[i:i + USERS_PER_CALL] for i in range(0, len(userids), USERS_PER_CALL)]
    buffer: list[dict[str, Any]] = []

    def flush() -> None:
        if buffer:
            total.add(applier.apply(group_entries(buffer)))
            buffer.clear()

    for index, chunk in enumerate(chunks):
        cursor = ""
        while True:
            rows, cursor = client.batch_get_external_contacts(chunk, cursor, 100)
            for row in rows:
                seen.add((str((row.get("external_contact") or {}).get("external_userid") or ""),
                          str((row.get("follow_info") or {}).get("userid") or "")))
            buffer.extend(rows)
            if len(buffer) >= BATCH:
                flush()
                reporter.save(progress=15 + 80 * index // max(1, len(chunks)), contacts=total.as_dict())
            if not cursor:
                break
        flush()
        reporter.save(progress=15 + 80 * (index + 1) // max(1, len(chunks)), contacts=total.as_dict())
    total.follows_ended += end_follows(session, account, userids, seen)
    total.contacts = len({ext for ext, _userid in seen})  # distinct customers (a batch counts its own)
    return total


def execute(session: Session, platform: Any, run: SyncRun, **client_options: Any) -> None:
    """Run ``run`` (queued) to its end: done with its statistics, or failed with the error. Never raises for WeCom
    errors; configuration errors also go on the account's page."""
    account = find_account(session, run.tenant_id, run.account_id)
    if account is None or run.status != QUEUED:
        return
    run.status, run.started_at, run.phase, run.progress = RUNNING, utcnow(), "org" if run.kind == FULL else "tags", 1
    reporter = RunReporter(session, run)
    reporter.save()
    client = WeComClient.for_account(account, platform, **client_options)
    try:
        with client:
            if run.kind == FULL:
                departments, users = fetch_org(client)
                follow_users = client.get_follow_user_list()
                org = sync_org(session, account, departments, users)
                reporter.save(phase="tags", progress=10, org=org.as_dict(),
                              permission=permission.apply_follow_users(session, account, follow_users))
            reporter.save(tags=_tags(session, client, run.tenant_id), progress=15 if run.kind == FULL else 100,
                          phase="contacts" if run.kind == FULL else "tags")
            if run.kind == FULL:
                active = [str(u["userid"]) for u in users if int(u.get("status") or 1) == 1]
                contacts = _contacts(session, client, account, active, reporter, customer_merger(platform))
                reporter.save(contacts=contacts.as_dict(), phase="", progress=100)
        reporter.finish()
    except WeChatAPIError as exc:
        session.rollback()
        record_config_error(session, account, exc.errcode, exc.errmsg or "")
        reporter.finish(f"WeCom error {exc.errcode}: {exc.errmsg}")
    except (WeComUnavailable, AccountNotConfigured) as exc:
        session.rollback()
        reporter.finish(str(exc))
    except Exception as exc:
        log.exception("WeCom sync run %s failed", run.id)
        session.rollback()
        reporter.finish(f"{type(exc).__name__}: {exc}")
