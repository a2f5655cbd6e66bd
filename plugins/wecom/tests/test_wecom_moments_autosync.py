"""Automatic sync of WeCom Moments (spec §2.1.1 自动同步企微朋友圈): on, every day at 00:00 and 12:00 of the brand's
time zone a durable job reads WeCom's Moments and puts each on its creator's Moments page; off, nothing runs."""

from __future__ import annotations

import re
from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo

from scrm_wecom.moments import autosync, pages
from scrm_wecom.moments.models import MomentRecord
from sqlalchemy import select
from wecom_foundation_fixtures import *  # noqa: F403
from wecom_moments_fixtures import *  # noqa: F403
from wecom_moments_fixtures import BASE
from wecom_sync_fixtures import *  # noqa: F403

from scrm.sdk import Employee, ScheduledJob

SETTINGS = f"{BASE}/settings"
SHANGHAI = ZoneInfo("Asia/Shanghai")


def _job(db, tenant_id: int) -> ScheduledJob | None:
    db.commit()
    db.expire_all()
    return db.execute(select(ScheduledJob).where(ScheduledJob.key == f"wecom.moments.autosync:{tenant_id}")
                      ).scalar_one_or_none()


def _utc(job: ScheduledJob) -> datetime:
    return job.due_at.replace(tzinfo=UTC) if job.due_at.tzinfo is None else job.due_at.astimezone(UTC)


def _personal(moments, userid: str, text: str) -> str:
    return moments._post("moments/personal", {"userid": userid, "text": text, "create_time": None})["moment_id"]


def test_the_slots_are_midnight_and_noon_of_the_brand_zone():
    assert autosync.SLOTS == (time(0, 0), time(12, 0))
    # 11:59 in Shanghai (03:59 UTC): the next sync is 12:00 the same day
    assert autosync.next_slot(datetime(2026, 12, 7, 3, 59, tzinfo=UTC), SHANGHAI) == datetime(2026, 12, 7, 4, tzinfo=UTC)
    # at 12:00 exactly, the next is 00:00 of the next day (16:00 UTC)
    assert autosync.next_slot(datetime(2026, 12, 7, 4, tzinfo=UTC), SHANGHAI) == datetime(2026, 12, 7, 16, tzinfo=UTC)
    # 23:30 in Shanghai: 00:00 of the next day
    assert autosync.next_slot(datetime(2026, 12, 7, 15, 30, tzinfo=UTC), SHANGHAI) == datetime(2026, 12, 7, 16,
                                                                                                 tzinfo=UTC)
    # another brand zone: New York midnight in December is 05:00 UTC, noon 17:00 UTC
    new_york = ZoneInfo("America/New_York")
    assert autosync.next_slot(datetime(2026, 12, 7, 4, tzinfo=UTC), new_york) == datetime(2026, 12, 7, 5, tzinfo=UTC)
    assert autosync.next_slot(datetime(2026, 12, 7, 5, tzinfo=UTC), new_york) == datetime(2026, 12, 7, 17, tzinfo=UTC)


def test_turning_it_on_arms_a_durable_job_at_the_next_slot_and_off_cancels_it(db, admin, synced):
    assert 'name="auto_sync"' in admin.get(SETTINGS).text and _job(db, synced.tenant_id) is None
    assert admin.post(f"{SETTINGS}/auto-sync", data={"auto_sync": "1"}).status_code == 302
    job = _job(db, synced.tenant_id)
    assert job.status == "pending" and job.actor == autosync.SYNC_JOB and job.interval_seconds == 12 * 3600
    local = _utc(job).astimezone(SHANGHAI)
    assert (local.hour, local.minute) in ((0, 0), (12, 0)) and _utc(job) - datetime.now(UTC) <= timedelta(hours=12)
    page = admin.get(SETTINGS).text
    assert re.search(r'name="auto_sync" value="1" checked', page) and 'data-stat="next-sync"' in page
    assert admin.post(f"{SETTINGS}/auto-sync", data={}).status_code == 302
    assert _job(db, synced.tenant_id).status == "cancelled"
    assert not autosync.auto_sync_on(db, synced.tenant_id)
    assert 'data-stat="next-sync"' not in admin.get(SETTINGS).text


def test_the_job_syncs_wecom_moments_to_the_creators_page_and_runs_again_12_hours_later(db, platform, admin, synced, moments,
                                                                           worker):
    mid = _personal(moments, "zhangsan", "周末到店试穿羊绒大衣，送围巾一条")
    admin.post(f"{SETTINGS}/auto-sync", data={"auto_sync": "1"})
    job = _job(db, synced.tenant_id)
    due = _utc(job)
    platform.tick(now=due + timedelta(seconds=1))
    worker.join()
    db.expire_all()
    row = db.execute(select(MomentRecord).where(MomentRecord.tenant_id == synced.tenant_id)).scalar_one()
    assert row.moment_id == mid and row.synced_at is not None
    page = pages.page_for(db, db.get(Employee, row.employee_id))
    db.commit()
    assert "周末到店试穿羊绒大衣" in admin.get(f"/p/acme/wecom/moments/{page.token}").text
    job = _job(db, synced.tenant_id)
    assert job.status == "pending" and _utc(job) == due + timedelta(hours=12)


def test_a_job_that_finds_the_setting_off_syncs_nothing(db, platform, admin, synced, moments, worker):
    _personal(moments, "zhangsan", "新品到店")
    admin.post(f"{SETTINGS}/auto-sync", data={"auto_sync": "1"})
    due = _utc(_job(db, synced.tenant_id))
    settings = autosync.settings_of(db, synced.tenant_id)
    settings.auto_sync = False  # turned off without the schedule being cancelled
    db.add(settings)
    db.commit()
    platform.tick(now=due + timedelta(seconds=1))
    worker.join()
    db.expire_all()
    assert db.execute(select(MomentRecord).where(MomentRecord.tenant_id == synced.tenant_id)).first() is None


def test_another_brand_neither_sees_nor_changes_this_setting(db, platform, admin, synced, moments, other_tenant,
                                                           enable_plugins, wecom_admin):
    assert admin.post(f"{SETTINGS}/auto-sync", data={"auto_sync": "1"}).status_code == 302
    enable_plugins(other_tenant, "wecom")
    other = wecom_admin(other_tenant)
    assert not re.search(r'name="auto_sync" value="1" checked', other.get("/t/globex/wecom/moments/settings").text)
    assert other.post("/t/globex/wecom/moments/settings/auto-sync", data={}).status_code == 302
    assert _job(db, synced.tenant_id).status == "pending" and autosync.auto_sync_on(db, synced.tenant_id)
    assert not autosync.auto_sync_on(db, other_tenant.id)
    # a run for the other brand reads and syncs nothing of this brand
    _personal(moments, "zhangsan", "新品到店")
    assert autosync.run(db, platform, other_tenant.id).synced == 0
    assert db.execute(select(MomentRecord).where(MomentRecord.tenant_id == synced.tenant_id)).first() is None


def test_the_write_needs_the_csrf_token(db, app, admin, synced):
    app.config["WTF_CSRF_ENABLED"] = True
    try:
        assert admin.post(f"{SETTINGS}/auto-sync", data={"auto_sync": "1"}).status_code == 400
        assert not autosync.auto_sync_on(db, synced.tenant_id)
        token = re.search(r'name="csrf-token" content="([^"]+)"', admin.get(SETTINGS).text).group(1)
        assert admin.post(f"{SETTINGS}/auto-sync", data={"auto_sync": "1", "csrf_token": token}).status_code == 302
        db.commit()
        assert autosync.auto_sync_on(db, synced.tenant_id)
    finally:
        app.config["WTF_CSRF_ENABLED"] = False
