"""Churn reminders and deleted-user notifications against the spec's rules (spec B §2.8, §2.9, §4.5, J6–J8;
acceptance 16, 17 and 20): the digest window (what the first and the next digest cover), switching the digest off or
to every event cancels its schedule, no stage reminder without the members plugin, no superior reminder for an
employee without a superior, and the settings forms are for tenant admins only."""

from __future__ import annotations

from datetime import timedelta

import pytest
from scrm_wecom.churn.settings import digest_key, next_digest_at, save_churn_reminder, settings_of
from sqlalchemy import select
from wecom_churn_fixtures import *  # noqa: F403
from wecom_churn_fixtures import (
    app_messages,
    churn,
    delete,
    employee,
    losses,
    set_stage,
    signed_in,
    stage_id,
    to,
    ts,
)
from wecom_foundation_fixtures import *  # noqa: F403
from wecom_sync_fixtures import *  # noqa: F403
from wecom_sync_fixtures import customer_of

from scrm.core.models import AuditLog
from scrm.sdk import ScheduledJob, utcnow

PUBLIC = "https://scrm.acme.test"


@pytest.fixture(autouse=True)
def public_url(monkeypatch):
    monkeypatch.setenv("SCRM_PUBLIC_URL", PUBLIC)


def save_notice(client, tenant, **form):
    return client.post(f"/t/{tenant.slug}/wecom/churn/deleted/settings", data=form)


def digest_on(client, db, tenant) -> list[int]:
    admins = [employee(db, tenant.id, "zhangsan").id]
    assert save_notice(client, tenant, enabled="1", admin_ids=admins, frequency="daily_digest").status_code == 302
    return admins


def descriptions(sandbox, userid: str = "zhangsan") -> list[str]:
    return [m["textcard"]["description"] for m in to(app_messages(sandbox[1]), userid)]


def pending_digest(db, tenant_id: int) -> ScheduledJob | None:
    db.commit()
    db.expire_all()
    return db.execute(select(ScheduledJob).where(ScheduledJob.key == digest_key(tenant_id),
                                                 ScheduledJob.status == "pending")).scalars().first()


def test_the_first_digest_leaves_out_deletions_made_before_it_was_switched_on(
        db, platform, tenant, churn_account, client, make_user, login, sandbox, wsgi_http, worker):
    delete(wsgi_http, churn_account, "lisi", "wmBob", at=ts("2026-11-05T09:00:00+08:00"))
    worker.join()
    signed_in(make_user, login, tenant, "admin@acme.test")
    digest_on(client, db, tenant)
    delete(wsgi_http, churn_account, "zhangsan", "wmCarol", at=ts("2026-11-06T09:00:00+08:00"))
    worker.join()
    platform.tick(now=next_digest_at(utcnow()) + timedelta(minutes=1))
    worker.join()
    [text] = descriptions(sandbox)
    assert "Carol" in text and "Bob" not in text
    assert len(losses(db, tenant.id, "deleted")) == 2  # Bob's deletion is on the list all the same


def test_a_deletion_after_the_first_digest_appears_only_in_the_second(
        db, platform, tenant, churn_account, client, make_user, login, sandbox, wsgi_http, worker):
    signed_in(make_user, login, tenant, "admin@acme.test")
    digest_on(client, db, tenant)
    eight = next_digest_at(utcnow())
    delete(wsgi_http, churn_account, "zhangsan", "wmCarol", at=ts("2026-11-06T09:00:00+08:00"))
    worker.join()
    platform.tick(now=eight + timedelta(minutes=1))
    worker.join()
    delete(wsgi_http, churn_account, "lisi", "wmBob", at=ts("2026-11-07T09:00:00+08:00"))
    worker.join()
    assert len(descriptions(sandbox)) == 1  # nothing at once
    platform.tick(now=eight + timedelta(days=1, minutes=1))
    worker.join()
    first, second = descriptions(sandbox)
    assert "Carol" in first and "Bob" not in first
    assert "Bob" in second and "Carol" not in second


@pytest.mark.parametrize("form", [{"enabled": "1", "frequency": "every_event"}, {"frequency": "daily_digest"}],
                         ids=["every_event", "off"])
def test_switching_the_digest_to_every_event_or_off_cancels_its_schedule(
        db, platform, tenant, churn_account, client, make_user, login, sandbox, wsgi_http, worker, form):
    signed_in(make_user, login, tenant, "admin@acme.test")
    admins = digest_on(client, db, tenant)
    assert pending_digest(db, tenant.id) is not None
    delete(wsgi_http, churn_account, "zhangsan", "wmCarol", at=ts("2026-11-06T09:00:00+08:00"))
    worker.join()
    assert save_notice(client, tenant, admin_ids=admins, **form).status_code == 302
    assert pending_digest(db, tenant.id) is None
    delete(wsgi_http, churn_account, "lisi", "wmBob", at=ts("2026-11-07T09:00:00+08:00"))
    worker.join()
    immediate = len(app_messages(sandbox[1]))
    assert immediate == (1 if form.get("enabled") else 0)  # every event: Bob's deletion at once; off: nothing
    platform.tick(now=next_digest_at(utcnow()) + timedelta(minutes=1))
    worker.join()
    assert len(app_messages(sandbox[1])) == immediate  # no digest at 08:00
    assert pending_digest(db, tenant.id) is None


def test_with_only_wecom_enabled_a_churn_sends_no_stage_reminder(db, tenant, wecom_only_account, sandbox, wsgi_http,
                                                                 worker):
    # reminders saved while members was on name stages that no longer exist for this tenant
    save_churn_reminder(db, tenant.id, enabled=True, employee_stages=[1, 2], superior_stages=[1, 2],
                        known_stages=[1, 2])
    db.commit()
    churn(wsgi_http, wecom_only_account, "lisi", "wmAlice", at=1763600000)
    worker.join()
    assert len(losses(db, tenant.id, "churned")) == 1 and app_messages(sandbox[1]) == []


def test_with_only_wecom_enabled_the_reminder_settings_offer_no_stages_and_say_why(db, tenant, wecom_only_account,
                                                                                  client, make_user, login):
    signed_in(make_user, login, tenant, "admin@acme.test")
    url = f"/t/{tenant.slug}/wecom/churn/churned/settings"
    page = client.get(url).get_data(as_text=True)
    assert 'data-testid="no-stages"' in page and "enable the members plugin" in page
    assert 'name="employee_stages"' not in page and 'name="superior_stages"' not in page
    response = client.post(url, data={"enabled": "1", "employee_stages": ["1"]})
    assert response.status_code == 422 and "no lifecycle stages to remind by" in response.get_data(as_text=True)
    assert settings_of(db, tenant.id).churn_enabled is False


def test_a_superior_reminder_for_an_employee_without_a_superior_sends_nothing_and_is_recorded(
        db, tenant, churn_account, client, make_user, login, sandbox, wsgi_http, worker):
    worker.join()
    set_stage(db, tenant.id, customer_of(db, tenant.id, "wmAlice").id, "意向客户")
    worker.join()
    signed_in(make_user, login, tenant, "admin@acme.test")
    response = client.post(f"/t/{tenant.slug}/wecom/churn/churned/settings",
                           data={"enabled": "1", "superior_stages": [stage_id(db, tenant.id, "意向客户")]})
    assert response.status_code == 302
    churn(wsgi_http, churn_account, "zhangsan", "wmAlice", at=1763600000)  # zhangsan reports to no one
    worker.join()
    [loss] = losses(db, tenant.id, "churned")
    assert app_messages(sandbox[1]) == []
    [entry] = db.execute(select(AuditLog).where(AuditLog.tenant_id == tenant.id,
                                                AuditLog.action == "wecom.churn.superior_reminder_skipped")).scalars()
    assert entry.target == f"churn:{loss.id}" and entry.detail["reason"] == "no superior"


def test_settings_forms_are_for_tenant_admins_only(db, tenant, other_tenant, churn_account, enable_plugins, client,
                                                   make_user, login, worker):
    worker.join()
    intending = stage_id(db, tenant.id, "意向客户")
    zhangsan = employee(db, tenant.id, "zhangsan").id
    forms = {"churned": {"enabled": "1", "employee_stages": [intending]},
             "deleted": {"enabled": "1", "admin_ids": [zhangsan], "frequency": "daily_digest"}}
    login(make_user("zs@acme.test", tenant, role="employee", employee_id=zhangsan))
    for kind, form in forms.items():
        assert client.post(f"/t/{tenant.slug}/wecom/churn/{kind}/settings", data=form).status_code == 403
        assert client.get(f"/t/{tenant.slug}/wecom/churn/{kind}/settings").status_code == 403
    enable_plugins(other_tenant, "wecom")
    login(make_user("admin@globex.test", other_tenant, role="tenant_admin"))
    for kind, form in forms.items():
        assert client.post(f"/t/{tenant.slug}/wecom/churn/{kind}/settings", data=form).status_code in (403, 404)
    db.expire_all()
    row = settings_of(db, tenant.id)
    assert row.id is None and not row.churn_enabled and not row.deleted_enabled
    assert pending_digest(db, tenant.id) is None
