"""Automatic sync of WeCom Moments (自动同步企微朋友圈, spec §2.1.1): while the brand has it on, every day at 00:00 and
12:00 of the brand's time zone a durable schedule (``wecom.moments.autosync:<tenant>``) reads WeCom's Moments list of
every active account and puts each Moment whose creator is an employee here on that employee's Moments page.

The schedule is one recurring job anchored at the next slot and repeated every 12 hours, which lands on 00:00 and
12:00 in every zone without daylight saving (Asia/Shanghai, the default); in a zone with daylight saving it shifts by
the hour of the change until the setting is saved again (saving re-anchors it). Turning the setting off cancels it,
and a job that finds the setting off does nothing."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlmodel import Session, select

from scrm.sdk import ScheduledJob, Tenant, cancel_schedule, local_datetime, local_now, schedule, utcnow
from scrm.sdk.wechat import WeChatAPIError

from ..accounts import AccountNotConfigured, list_accounts
from .models import MomentRecord, MomentsSettings
from .records import fetch, sync_to_history

log = logging.getLogger(__name__)

SYNC_JOB = "scrm_wecom.moments.jobs.auto_sync_moments"
#: the times of day (brand time zone) of the automatic sync, spec §2.1.1
SLOTS = (time(0, 0), time(12, 0))
SYNC_EVERY = 12 * 3600  # seconds between the slots


@dataclass(frozen=True)
class SyncResult:
    read: int
    new: int
    synced: int


def key_of(tenant_id: int) -> str:
    return f"wecom.moments.autosync:{tenant_id}"


def settings_of(session: Session, tenant_id: int) -> MomentsSettings | None:
    return session.exec(select(MomentsSettings).where(MomentsSettings.tenant_id == tenant_id)).first()


def auto_sync_on(session: Session, tenant_id: int) -> bool:
    row = settings_of(session, tenant_id)
    return bool(row and row.auto_sync)


def zone_of(session: Session, tenant_id: int) -> ZoneInfo:
    tenant = session.get(Tenant, tenant_id)
    return ZoneInfo(tenant.timezone if tenant and tenant.timezone else "Asia/Shanghai")


def next_slot(now: datetime, tz: ZoneInfo) -> datetime:
    """The first slot strictly after ``now``, as UTC."""
    here = local_now(now, tz)
    for days in (0, 1):
        day = here.date() + timedelta(days=days)
        for at in SLOTS:
            due = local_datetime(day, at, tz)
            if due > now:
                return due
    raise AssertionError("unreachable")  # pragma: no cover


def arm(session: Session, tenant_id: int, now: datetime | None = None) -> datetime:
    """Schedule the automatic sync of ``tenant_id`` from the next slot (replacing a pending one); returns when."""
    from . import jobs  # noqa: F401  (declares the actor the schedule names)

    due = next_slot(now or utcnow(), zone_of(session, tenant_id))
    schedule(session, SYNC_JOB, due, tenant_id=tenant_id, key=key_of(tenant_id), interval_seconds=SYNC_EVERY)
    return due


def next_run(session: Session, tenant_id: int) -> datetime | None:
    """When the pending automatic sync of ``tenant_id`` runs (None when none is armed)."""
    job = session.exec(select(ScheduledJob).where(ScheduledJob.key == key_of(tenant_id),
                                                  ScheduledJob.status == "pending")).first()
    return job.due_at if job else None


def set_auto_sync(session: Session, tenant_id: int, on: bool, now: datetime | None = None) -> None:
    """Store the setting and arm or cancel the schedule (flushes)."""
    row = settings_of(session, tenant_id) or MomentsSettings(tenant_id=tenant_id)
    row.auto_sync, row.updated_at = on, utcnow()
    session.add(row)
    session.flush()
    if on:
        arm(session, tenant_id, now)
    else:
        cancel_schedule(session, key_of(tenant_id))
        session.flush()


def run(session: Session, platform, tenant_id: int, now: datetime | None = None) -> SyncResult:
    """Read every active account's Moments and sync every unsynced record whose creator is an employee here."""
    from ..client import WeComClient, WeComUnavailable

    now = now or utcnow()
    read = new = 0
    for account in (a for a in list_accounts(session, tenant_id) if a.active):
        try:
            with WeComClient.for_account(account, platform) as client:
                result = fetch(session, client, account, now)
        except (WeComUnavailable, AccountNotConfigured, WeChatAPIError) as exc:
            log.warning("Automatic Moments sync of tenant %s, account %s: %s", tenant_id, account.id, exc)
            continue
        read, new = read + result.read, new + result.new
    ids = list(session.exec(select(MomentRecord.id).where(MomentRecord.tenant_id == tenant_id,
                                                          MomentRecord.synced_at.is_(None),
                                                          MomentRecord.employee_id.is_not(None))))
    return SyncResult(read=read, new=new, synced=sync_to_history(session, tenant_id, ids, now) if ids else 0)
