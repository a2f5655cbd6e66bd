"""Churn reminders by lifecycle stage and deleted-user notifications (spec B §2.8, §2.9, §4.5, J6–J8; acceptance 16,
17 and 20), delivered as WeCom app messages the sandbox receives; settings pages validate and stay per tenant."""

from __future__ import annotations

from datetime import timedelta

import pytest
from scrm_wecom.churn.settings import next_digest_at
from wecom_churn_fixtures import *  # noqa: F403
from wecom_churn_fixtures import (
    app_messages,
    churn,
    delete,
    deliveries,
    employee,
    losses,
    set_stage,
    signed_in,
    stage_id,
    to,
)
from wecom_foundation_fixtures import *  # noqa: F403
from wecom_sync_fixtures import *  # noqa: F403
from wecom_sync_fixtures import customer_of

from scrm.sdk import utcnow

PUBLIC = "https://scrm.acme.test"


@pytest.fixture
def public_url(monkeypatch):
    monkeypatch.setenv("SCRM_PUBLIC_URL", PUBLIC)
    return PUBLIC


@pytest.fixture
def staged(db, churn_account, worker):
    """Alice is "意向客户", Carol "初步接触" (the members plugin's sample stages)."""
    worker.join()
    tenant_id = churn_account.tenant_id
    set_stage(db, tenant_id, customer_of(db, tenant_id, "wmAlice").id, "意向客户")
    set_stage(db, tenant_id, customer_of(db, tenant_id, "wmCarol").id, "初步接触")
    worker.join()
    return churn_account


def save_reminder(client, db, tenant, **form):
    response = client.post(f"/t/{tenant.slug}/wecom/churn/churned/settings", data=form)
    assert response.status_code == 302, response.get_data(as_text=True)


def test_a_churned_intending_customer_reminds_the_employee_with_retain_and_initial_contact_sends_nothing(
        db, tenant, staged, client, make_user, login, sandbox, wsgi_http, worker, public_url):
    signed_in(make_user, login, tenant, "admin@acme.test")
    save_reminder(client, db, tenant, enabled="1", employee_stages=[stage_id(db, tenant.id, "意向客户")])
    churn(wsgi_http, staged, "lisi", "wmAlice", at=1763600000)
    churn(wsgi_http, staged, "zhangsan", "wmCarol", at=1763600100)
    worker.join()
    messages = app_messages(sandbox[1])
    [card] = to(messages, "lisi")
    assert len(messages) == 1
    loss = next(r for r in losses(db, tenant.id, "churned") if r.external_userid == "wmAlice")
    assert card["msgtype"] == "textcard" and card["agentid"] == 1000002
    assert card["textcard"]["btntxt"] == "挽留他"  # the manual's "Retain him" button, in Chinese
    assert card["textcard"]["url"] == f"{PUBLIC}/t/{tenant.slug}/wecom/churn/retain/{loss.id}"
    assert "Alice" in card["textcard"]["description"]
    assert [(d.recipient, d.status, d.idempotency_key) for d in deliveries(db, tenant.id)] == [
        ("lisi", "sent", f"wecom.churn:{loss.id}:employee")]


def test_the_superior_reminder_goes_to_the_employees_superior(db, tenant, staged, client, make_user, login, sandbox,
                                                              wsgi_http, worker, public_url):
    signed_in(make_user, login, tenant, "admin@acme.test")
    save_reminder(client, db, tenant, enabled="1", superior_stages=[stage_id(db, tenant.id, "意向客户")])
    churn(wsgi_http, staged, "lisi", "wmAlice", at=1763600000)
    worker.join()
    messages = app_messages(sandbox[1])
    assert to(messages, "lisi") == [] and len(to(messages, "zhangsan")) == 1  # zhangsan is lisi's direct leader
    assert "李四" in to(messages, "zhangsan")[0]["textcard"]["description"]


def test_without_a_public_address_the_reminder_is_text(db, tenant, staged, client, make_user, login, sandbox,
                                                       wsgi_http, worker, monkeypatch):
    monkeypatch.delenv("SCRM_PUBLIC_URL", raising=False)
    staged.config = {k: v for k, v in staged.config.items() if k != "public_url"}
    db.add(staged)
    db.commit()
    from scrm_wecom.churn.settings import save_churn_reminder

    intending = stage_id(db, tenant.id, "意向客户")
    save_churn_reminder(db, tenant.id, enabled=True, employee_stages=[intending], superior_stages=[],
                        known_stages=[intending])
    db.commit()
    churn(wsgi_http, staged, "lisi", "wmAlice", at=1763600000)
    worker.join()
    [text] = to(app_messages(sandbox[1]), "lisi")
    assert text["msgtype"] == "text" and "Alice" in text["text"]["content"]


def test_with_the_reminder_off_nothing_is_sent(db, tenant, staged, client, make_user, login, sandbox, wsgi_http,
                                                worker, public_url):
    signed_in(make_user, login, tenant, "admin@acme.test")
    save_reminder(client, db, tenant, employee_stages=[stage_id(db, tenant.id, "意向客户")])
    churn(wsgi_http, staged, "lisi", "wmAlice", at=1763600000)
    worker.join()
    assert app_messages(sandbox[1]) == [] and len(losses(db, tenant.id)) == 1


def test_reminder_settings_refuse_unknown_stages_and_an_empty_choice_when_on(db, tenant, staged, client, make_user,
                                                                            login):
    signed_in(make_user, login, tenant, "admin@acme.test")
    url = f"/t/{tenant.slug}/wecom/churn/churned/settings"
    assert client.post(url, data={"enabled": "1"}).status_code == 422
    assert client.post(url, data={"employee_stages": ["999999"]}).status_code == 422
    page = client.get(url).get_data(as_text=True)
    assert "意向客户" in page and "Superior reminder" in page


def save_notice(client, tenant, **form):
    return client.post(f"/t/{tenant.slug}/wecom/churn/deleted/settings", data=form)


def test_every_event_gives_each_admin_one_message_per_deletion(db, tenant, churn_account, client, make_user, login,
                                                               sandbox, wsgi_http, worker, public_url):
    signed_in(make_user, login, tenant, "admin@acme.test")
    admins = [employee(db, tenant.id, u).id for u in ("zhangsan", "lisi")]
    assert save_notice(client, tenant, enabled="1", admin_ids=admins, frequency="every_event").status_code == 302
    delete(wsgi_http, churn_account, "zhangsan", "wmCarol", at=1763600000)
    delete(wsgi_http, churn_account, "lisi", "wmBob", at=1763600100)
    worker.join()
    messages = app_messages(sandbox[1])
    assert len(to(messages, "zhangsan")) == 2 and len(to(messages, "lisi")) == 2 and len(messages) == 4
    assert messages[0]["textcard"]["url"] == f"{PUBLIC}/t/{tenant.slug}/wecom/churn/deleted"


def test_the_daily_digest_sends_nothing_at_once_then_one_message_per_admin_at_eight(
        db, platform, tenant, churn_account, client, make_user, login, sandbox, wsgi_http, worker, public_url):
    signed_in(make_user, login, tenant, "admin@acme.test")
    admins = [employee(db, tenant.id, u).id for u in ("zhangsan", "lisi")]
    assert save_notice(client, tenant, enabled="1", admin_ids=admins, frequency="daily_digest").status_code == 302
    delete(wsgi_http, churn_account, "zhangsan", "wmCarol", at=1763600000)
    delete(wsgi_http, churn_account, "lisi", "wmBob", at=1763600100)
    worker.join()
    assert app_messages(sandbox[1]) == []
    eight = next_digest_at(utcnow())
    assert eight.astimezone(__import__("zoneinfo").ZoneInfo("Asia/Shanghai")).hour == 8
    platform.tick(now=eight + timedelta(minutes=1))
    worker.join()
    messages = app_messages(sandbox[1])
    assert len(to(messages, "zhangsan")) == 1 and len(to(messages, "lisi")) == 1 and len(messages) == 2
    assert "2" in messages[0]["textcard"]["description"]
    platform.tick(now=eight + timedelta(days=1, minutes=1))  # nothing deleted since: no second digest
    worker.join()
    assert len(app_messages(sandbox[1])) == 2


def test_with_the_notification_off_nothing_is_sent(db, tenant, churn_account, client, make_user, login, sandbox,
                                                   wsgi_http, worker):
    signed_in(make_user, login, tenant, "admin@acme.test")
    admins = [employee(db, tenant.id, "zhangsan").id]
    assert save_notice(client, tenant, admin_ids=admins, frequency="every_event").status_code == 302
    delete(wsgi_http, churn_account, "zhangsan", "wmCarol", at=1763600000)
    worker.join()
    assert app_messages(sandbox[1]) == [] and len(losses(db, tenant.id)) == 1


def test_notification_settings_need_admins_of_this_tenant(db, tenant, other_tenant, churn_account, enable_plugins,
                                                         client, make_user, login, worker):
    worker.join()
    signed_in(make_user, login, tenant, "admin@acme.test")
    assert save_notice(client, tenant, enabled="1", frequency="every_event").status_code == 422
    enable_plugins(other_tenant, "wecom")
    signed_in(make_user, login, other_tenant, "admin@globex.test")
    foreign = employee(db, tenant.id, "zhangsan").id
    response = save_notice(client, other_tenant, enabled="1", admin_ids=[foreign], frequency="every_event")
    assert response.status_code == 422
    assert client.get(f"/t/{tenant.slug}/wecom/churn/deleted/settings").status_code in (403, 404)


def test_a_digest_covers_its_own_tenants_deletions_only(db, tenant, other_tenant, churn_account, enable_plugins,
                                                        wsgi_http, worker, sandbox):
    from scrm_wecom.churn.alerts import digest
    from scrm_wecom.churn.settings import DeletedNotice, save_deleted_notice

    from scrm.sdk import Employee

    enable_plugins(other_tenant, "wecom")
    boss = Employee(tenant_id=other_tenant.id, userid="boss", name="Boss")
    db.add(boss)
    db.commit()
    save_deleted_notice(db, other_tenant.id, DeletedNotice(True, [boss.id], "daily_digest"))
    save_deleted_notice(db, tenant.id, DeletedNotice(True, [employee(db, tenant.id, "zhangsan").id], "daily_digest"))
    db.commit()
    delete(wsgi_http, churn_account, "zhangsan", "wmCarol", at=1763600000)
    worker.join()
    assert digest(db, other_tenant) == 0  # the other tenant saw no deletion
    assert digest(db, tenant) == 1
    db.commit()
    worker.join()
    assert [m["touser"] for m in app_messages(sandbox[1])] == ["zhangsan"]
