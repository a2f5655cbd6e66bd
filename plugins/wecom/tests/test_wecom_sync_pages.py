"""The sync page: runs with an htmx-polled progress bar and their results, the daily schedule; 404 when the plugin
is disabled; tenants never see or touch each other's accounts, runs, tags or rows (pages, jobs and callbacks)."""

from __future__ import annotations

import pytest
from scrm_wecom.sandbox import fire_callback
from scrm_wecom.sync import jobs, runner
from scrm_wecom.sync.events import on_domain_event
from scrm_wecom.sync.models import Follow, SyncRun
from sqlalchemy import select
from wecom_foundation_fixtures import *  # noqa: F403
from wecom_sync_fixtures import *  # noqa: F403
from wecom_sync_fixtures import (
    CORP_ID,
    TARGET,
    count,
    customer_of,
    employee,
    fire,
    follows,
    local_count,
    run_full_sync,
)

from scrm.sdk import Customer, DomainEvent, Employee, ScheduledJob, Tag

DAILY_ACTOR = "scrm_wecom.sync.jobs.daily_full_sync"


@pytest.fixture
def admin(tenant, sync_account, wecom_admin):
    return wecom_admin(tenant)


def test_a_full_sync_from_the_page_shows_progress_and_results(db, admin, sync_account, worker):
    page = admin.get("/t/acme/wecom/sync/")
    assert page.status_code == 200 and "Run a full sync" in page.get_data(as_text=True)
    response = admin.post(f"/t/acme/wecom/sync/{sync_account.id}/run", data={"kind": "full"})
    assert response.status_code == 302
    worker.join()
    run = db.execute(select(SyncRun)).scalar_one()
    assert run.status == "done" and run.requested_by == "admin@acme.test"
    partial = admin.get(f"/t/acme/wecom/sync/runs/{run.id}/progress").get_data(as_text=True)
    assert 'data-status="done"' in partial and 'aria-valuenow="100"' in partial and "hx-get" not in partial
    page = admin.get("/t/acme/wecom/sync/").get_data(as_text=True)
    assert "Customers: 3 read, 3 new" in page and "Employees: 5 new" in page


def test_a_running_sync_is_polled_and_not_started_twice(db, admin, sync_account):
    response = admin.post(f"/t/acme/wecom/sync/{sync_account.id}/run", data={"kind": "full"})
    assert response.status_code == 302  # no worker: the run stays queued
    again = admin.post(f"/t/acme/wecom/sync/{sync_account.id}/run", data={"kind": "full"}, follow_redirects=True)
    assert "already running" in again.get_data(as_text=True)
    run = db.execute(select(SyncRun)).scalar_one()
    partial = admin.get(f"/t/acme/wecom/sync/runs/{run.id}/progress").get_data(as_text=True)
    assert 'hx-trigger="every 1s"' in partial and 'data-status="queued"' in partial
    assert admin.post(f"/t/acme/wecom/sync/{sync_account.id}/run", data={"kind": "bogus"}).status_code == 400


def test_the_daily_full_sync_is_a_durable_schedule(db, admin, sync_account):
    assert admin.post(f"/t/acme/wecom/sync/{sync_account.id}/daily", data={"enabled": "1"}).status_code == 302
    job = db.execute(select(ScheduledJob).where(ScheduledJob.actor == DAILY_ACTOR)).scalar_one()
    assert job.interval_seconds == 86400
    assert job.kwargs == {"account_id": sync_account.id} and job.tenant_id == sync_account.tenant_id
    assert ">on<" in admin.get("/t/acme/wecom/sync/").get_data(as_text=True)
    admin.post(f"/t/acme/wecom/sync/{sync_account.id}/daily", data={"enabled": "0"})
    db.commit()
    assert db.execute(select(ScheduledJob.status).where(ScheduledJob.actor == DAILY_ACTOR)).scalar_one() == "cancelled"


def test_the_scheduled_job_runs_a_full_sync(db, sync_account, platform):
    jobs.daily_full_sync(sync_account.tenant_id, account_id=sync_account.id)
    run = db.execute(select(SyncRun)).scalar_one()
    assert run.status == "done" and run.requested_by == "schedule"
    assert count(db, Customer) == 3


@pytest.mark.parametrize("path", ["/t/acme/wecom/sync/", "/t/acme/wecom/sync/tags"])
def test_pages_404_when_the_plugin_is_disabled(tenant, make_user, login, path):
    client = login(make_user("boss@acme.test", tenant, role="tenant_admin"))
    assert client.get(path).status_code == 404


def test_another_tenant_can_neither_see_nor_touch_this_tenants_sync(db, platform, sync_account, other_tenant,
                                                                    enable_plugins, make_user, login):
    run = run_full_sync(db, platform, sync_account)
    tag = db.execute(select(Tag).where(Tag.external_id == "etGold")).scalar_one()
    enable_plugins(other_tenant, "wecom")
    intruder = login(make_user("admin@globex.test", other_tenant, role="tenant_admin"))
    page = intruder.get("/t/globex/wecom/sync/").get_data(as_text=True)
    assert sync_account.external_id not in page and "Gold" not in intruder.get("/t/globex/wecom/sync/tags").text
    gets = [f"/t/globex/wecom/sync/?account={sync_account.id}", f"/t/globex/wecom/sync/runs/{run.id}/progress",
            f"/t/globex/wecom/sync/tags?account={sync_account.id}"]
    for path in gets:
        assert intruder.get(path).status_code == 404, path
    posts = [(f"/t/globex/wecom/sync/{sync_account.id}/run", {"kind": "full"}),
             (f"/t/globex/wecom/sync/{sync_account.id}/daily", {"enabled": "1"}),
             (f"/t/globex/wecom/sync/tags/tag/{tag.id}/rename", {"name": "Hijacked"}),
             (f"/t/globex/wecom/sync/tags/tag/{tag.id}/delete", {})]
    for path, data in posts:
        assert intruder.post(path, data=data).status_code == 404, path
    db.commit()
    assert db.get(Tag, tag.id).name == "Gold"
    assert count(db, SyncRun) == 1
    assert db.execute(select(ScheduledJob).where(ScheduledJob.actor == DAILY_ACTOR)).first() is None


def test_jobs_of_another_tenant_never_touch_this_tenants_rows(db, platform, sync_account, other_tenant,
                                                              enable_plugins):
    enable_plugins(other_tenant, "wecom")
    run, _ = runner.create_run(db, sync_account, runner.FULL, "test")
    db.commit()
    jobs.run_sync(other_tenant.id, run_id=run.id)
    jobs.sync_friend(other_tenant.id, account_id=sync_account.id, external_userid="wmAlice")
    jobs.sync_member(other_tenant.id, account_id=sync_account.id, userid="zhangsan")
    jobs.sync_departments(other_tenant.id, account_id=sync_account.id)
    jobs.reconcile_tags(other_tenant.id, account_id=sync_account.id)
    jobs.daily_full_sync(other_tenant.id, account_id=sync_account.id)
    db.commit()
    assert db.get(SyncRun, run.id).status == "queued"
    assert count(db, Customer) == 0 and count(db, Employee) == 0 and count(db, Tag) == 0 and count(db, SyncRun) == 1


def test_events_and_tag_pushes_of_another_tenant_never_touch_this_tenants_rows(db, platform, sync_account, sandbox,
                                                                               other_tenant, enable_plugins):
    run_full_sync(db, platform, sync_account)
    enable_plugins(other_tenant, "wecom")
    sandbox[1].clear_calls()
    before = sorted((k, f.status) for k, f in follows(db, sync_account.tenant_id).items())
    payload = {"account_id": sync_account.id, "userid": "lisi", "external_userid": "wmBob", "create_time": 1}
    for type_ in ("wecom.friend_added", "wecom.friend_deleted", "wecom.friend_deleted_by_customer",
                  "wecom.employee_deleted"):
        on_domain_event(DomainEvent(f"evt-{type_}", type_, other_tenant.id, payload), db)
    db.commit()
    gold = db.execute(select(Tag).where(Tag.external_id == "etGold")).scalar_one()
    bob = customer_of(db, sync_account.tenant_id, "wmBob")
    jobs.push_customer_tags(other_tenant.id, customer_ids=[bob.id], added_tag_ids=[gold.id], removed_tag_ids=[])
    assert sorted((k, f.status) for k, f in follows(db, sync_account.tenant_id).items()) == before
    assert employee(db, sync_account.tenant_id, "lisi").status == "active"
    assert local_count(db, Follow, other_tenant.id) == 0 and local_count(db, Customer, other_tenant.id) == 0
    assert sandbox[1].calls("/cgi-bin/externalcontact/mark_tag") == []


def test_a_callback_for_one_tenants_account_never_writes_the_others_rows(db, platform, sync_account, other_tenant,
                                                                         enable_plugins, make_account, sandbox,
                                                                         wsgi_http, worker):
    enable_plugins(other_tenant, "wecom")
    make_account(other_tenant, sandbox[0])  # the same corp connected by another tenant
    run_full_sync(db, platform, sync_account)
    added = sandbox[1].add_friend(CORP_ID, "zhangsan", {"external_userid": "wmEve", "name": "Eve"})
    fire_callback(f"http://localhost/callbacks/wecom/{sync_account.id}", TARGET, added["xml"], http=wsgi_http)
    fire(wsgi_http, sync_account, "del_follow_user", UserID="lisi", ExternalUserID="wmBob")
    worker.join()
    assert local_count(db, Follow, other_tenant.id) == 0 and local_count(db, Customer, other_tenant.id) == 0
    assert local_count(db, Employee, other_tenant.id) == 0
    assert local_count(db, Follow, sync_account.tenant_id) == 5 and local_count(db, Customer, sync_account.tenant_id) == 4
