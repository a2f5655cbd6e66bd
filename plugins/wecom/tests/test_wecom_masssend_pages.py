"""The 群发管理 pages (spec 3.4 / 3.5 Create, Cancel, Details; 4.4 rule 1; acceptance 15, 17, 20): validation with
nothing written, the confirm page, the durable schedule (a scheduled send goes out at its time, a cancelled one
never), the monthly quota, exports through the one writer, CSRF, roles, tenant isolation and the disabled plugin."""

from __future__ import annotations

import csv
import io
import re
from datetime import UTC, datetime, timedelta

import pytest
from openpyxl import load_workbook
from scrm_wecom.masssend import service
from scrm_wecom.masssend.models import MassTask, TaskStatus
from scrm_wecom.rules import settings as rule_limits
from sqlalchemy import func, select
from wecom_foundation_fixtures import *  # noqa: F403
from wecom_masssend_fixtures import *  # noqa: F403
from wecom_masssend_fixtures import build_env, corp_seed, dispatch_now, msgid_of, new_send, poll

from scrm.sdk import local_now

CSRF_META = re.compile(r'name="csrf-token" content="([^"]+)"')
FORM = {"chat_type": "single", "text": "会员日专享：满199减30", "send_type": "immediate"}


def base(env) -> str:
    return f"/t/{env.tenant.slug}/wecom/masssend"


def task_count(db) -> int:
    db.commit()
    return db.execute(select(func.count()).select_from(MassTask)).scalar_one()


def test_create_through_confirm_and_details(db, mass_env, client, wecom_admin):
    wecom_admin(mass_env.tenant)
    confirm = client.post(f"{base(mass_env)}/confirm", data=FORM)
    assert confirm.status_code == 200 and 'data-testid="preview-sendable"' in confirm.get_data(as_text=True)
    assert task_count(db) == 0
    created = client.post(f"{base(mass_env)}/", data=FORM)
    assert created.status_code == 302
    task = db.execute(select(MassTask)).scalar_one()
    assert task.status == TaskStatus.PENDING and task.targeted == 5 and task.created_by == "admin@acme.test"
    listing = client.get(f"{base(mass_env)}/?tab=single").get_data(as_text=True)
    assert f'data-task-id="{task.id}"' in listing
    assert client.get(f"{base(mass_env)}/{task.id}").status_code == 200
    assert client.get(f"{base(mass_env)}/new?tab=group").status_code == 200


@pytest.mark.parametrize(("changes", "field"), [
    ({"text": ""}, "text"),
    ({"text": "字" * 1501}, "text"),
    ({"send_type": "scheduled", "send_at": ""}, "send_at"),
    ({"send_type": "scheduled", "send_at": "2020-01-01T10:00"}, "send_at"),
    ({"send_type": "scheduled", "send_at": "next week"}, "send_at"),
    ({"tag_ids": ["999999"]}, "audience"),
    ({"attachment_ids": ["999999"]}, "attachment_ids"),
])
def test_bad_input_is_refused_with_nothing_written(db, mass_env, client, wecom_admin, changes, field):
    wecom_admin(mass_env.tenant)
    response = client.post(f"{base(mass_env)}/", data={**FORM, **changes})
    assert response.status_code == 422
    assert f'data-testid="error-{field}"' in response.get_data(as_text=True) or field == "attachment_ids"
    assert task_count(db) == 0


def test_text_at_the_limit_is_accepted(db, mass_env):
    data = service.MassSendInput(text="字" * 1333)  # 1,333 characters, 3,999 bytes
    errors, _preview = service.validate(db, mass_env.tenant, data)
    assert "text" not in errors
    errors, _preview = service.validate(db, mass_env.tenant, service.MassSendInput(text="字" * 1334))
    assert "text" in errors  # 4,002 bytes: more than WeCom takes


def test_ten_attachments_are_refused(db, mass_env):
    errors, _preview = service.validate(db, mass_env.tenant, service.MassSendInput(text="", attachment_ids=list(
        range(1, 11))))
    assert "attachment_ids" in errors


def test_an_audience_nobody_matches_is_refused(db, mass_env):
    data = service.MassSendInput(text="你好", audience={"genders": [0]})
    errors, preview = service.validate(db, mass_env.tenant, data)
    assert errors.get("audience") and preview.sendable == 0


def test_audience_by_owner_and_gender(db, mass_env):
    data = service.MassSendInput(text="你好", audience={"owner_ids": [mass_env.employees["zhangsan"].id],
                                                      "genders": [2]})
    errors, preview = service.validate(db, mass_env.tenant, data)
    assert not errors and preview.sendable == 2  # C2 and C3, both women of zhangsan


def test_monthly_quota_of_sends_at_the_boundary(db, mass_env):
    """Acceptance 15 with a quota of 2: the second send of the month is accepted, the third refused; a cancelled
    send does not count; group sends have their own quota."""
    values = {n: getattr(rule_limits.DEFAULTS, n) for n in rule_limits.NAMES}
    rule_limits.save(db, mass_env.tenant.id, {**values, "mass_tasks_per_month": 2, "enterprise_mass_per_day": 10,
                                              "enterprise_mass_per_week": 10, "enterprise_mass_per_month": 40},
                     "admin@acme.test")
    db.commit()
    first = new_send(db, mass_env.tenant)
    new_send(db, mass_env.tenant)
    with pytest.raises(service.MassSendInvalid) as refused:
        new_send(db, mass_env.tenant)
    assert "2" in refused.value.errors[""]
    db.rollback()
    from scrm_wecom.masssend import results

    results.cancel(db, None, db.get(MassTask, first.id))
    new_send(db, mass_env.tenant)  # the cancelled one freed its place


def test_scheduled_send_goes_out_at_its_time_and_a_cancelled_one_never(db, platform, worker, mass_env):
    """Acceptance 20, through the durable schedule and the worker."""
    at = datetime.now(UTC) + timedelta(hours=2)
    kept = new_send(db, mass_env.tenant, send_type="scheduled", send_at=at)
    dropped = new_send(db, mass_env.tenant, send_type="scheduled", send_at=at, text="另一条：周年庆预告")
    from scrm_wecom.masssend import results

    results.cancel(db, platform, db.get(MassTask, dropped.id))
    platform.tick(now=at - timedelta(minutes=1))
    worker.join()
    db.expire_all()
    assert db.get(MassTask, kept.id).status == TaskStatus.PENDING
    platform.tick(now=at + timedelta(minutes=1))
    worker.join()
    db.expire_all()
    assert db.get(MassTask, kept.id).status == TaskStatus.SENT
    dropped = db.get(MassTask, dropped.id)
    assert dropped.status == TaskStatus.CANCELLED and dropped.dispatched_at is None
    senders = {t["text"]["content"] for t in mass_env.groupmsg.templates()}
    assert senders == {kept.text}


def test_cancelled_progress_shows_dashes(db, platform, mass_env, client, wecom_admin):
    task = new_send(db, mass_env.tenant, send_type="scheduled", send_at=datetime.now(UTC) + timedelta(days=1))
    wecom_admin(mass_env.tenant)
    client.post(f"{base(mass_env)}/{task.id}/cancel")
    page = client.get(f"{base(mass_env)}/?tab=single").get_data(as_text=True)
    assert re.search(r'data-testid="progress">--<', page)


def test_export_targets_csv_and_xlsx(db, platform, mass_env, client, wecom_admin):
    mass_env.customers["wmC1"].name = "=HYPERLINK(\"x\")"
    db.commit()
    task = dispatch_now(db, new_send(db, mass_env.tenant))
    mass_env.groupmsg.send(msgid_of(db, task, "zhangsan"), "zhangsan")
    poll(db, platform, task)
    wecom_admin(mass_env.tenant)
    response = client.get(f"{base(mass_env)}/{task.id}/targets.csv")
    assert response.status_code == 200
    rows = list(csv.reader(io.StringIO(response.get_data(as_text=True).lstrip("\ufeff"))))
    assert len(rows) == 6
    assert rows[1][0] == "'=HYPERLINK(\"x\")"
    xlsx = client.get(f"{base(mass_env)}/{task.id}/targets.xlsx")
    sheet = load_workbook(io.BytesIO(xlsx.data)).active
    assert sheet.max_row == 6


def test_remind_and_refresh_pages(db, platform, mass_env, client, wecom_admin):
    task = dispatch_now(db, new_send(db, mass_env.tenant))
    wecom_admin(mass_env.tenant)
    assert client.post(f"{base(mass_env)}/{task.id}/remind").status_code == 302
    assert len(mass_env.control.calls("/cgi-bin/externalcontact/remind_groupmsg_send")) == 3
    mass_env.groupmsg.send_all()
    assert client.post(f"{base(mass_env)}/{task.id}/refresh").status_code == 302
    page = client.get(f"{base(mass_env)}/{task.id}").get_data(as_text=True)
    assert 'data-testid="card-delivered">5<' in page


def test_writes_need_the_csrf_token(app, db, mass_env, client, wecom_admin):
    wecom_admin(mass_env.tenant)
    task = new_send(db, mass_env.tenant, send_type="scheduled", send_at=datetime.now(UTC) + timedelta(days=1))
    app.config["WTF_CSRF_ENABLED"] = True
    try:
        assert client.post(f"{base(mass_env)}/", data=FORM).status_code == 400
        assert client.post(f"{base(mass_env)}/{task.id}/cancel").status_code == 400
        token = CSRF_META.search(client.get(f"{base(mass_env)}/new").get_data(as_text=True)).group(1)
        assert client.post(f"{base(mass_env)}/", data={**FORM, "csrf_token": token}).status_code == 302
        assert client.post(f"{base(mass_env)}/{task.id}/cancel", data={"csrf_token": token}).status_code == 302
    finally:
        app.config["WTF_CSRF_ENABLED"] = False
    db.expire_all()
    assert db.get(MassTask, task.id).status == TaskStatus.CANCELLED


def test_employees_cannot_open_the_pages(db, mass_env, make_user, login, client):
    login(make_user("guide@acme.test", mass_env.tenant, role="employee"))
    assert client.get(f"{base(mass_env)}/").status_code == 403
    assert client.post(f"{base(mass_env)}/", data=FORM).status_code == 403


def test_another_tenant_sees_and_changes_nothing(db, platform, mass_env, make_tenant, enable_plugins, make_account,
                                                 client, wecom_admin):
    task = dispatch_now(db, new_send(db, mass_env.tenant))
    other = make_tenant("globex")
    enable_plugins(other, "members", "wecom")
    wecom_admin(other)
    for path in (f"{task.id}", f"{task.id}/targets.csv", f"{task.id}/targets.xlsx"):
        assert client.get(f"/t/globex/wecom/masssend/{path}").status_code == 404
    for path in ("cancel", "remind", "refresh"):
        assert client.post(f"/t/globex/wecom/masssend/{task.id}/{path}").status_code == 404
    assert f'data-task-id="{task.id}"' not in client.get("/t/globex/wecom/masssend/").get_data(as_text=True)
    # the other tenant's send reaches only its own customers, and its jobs touch only its own rows
    account = make_account(other, mass_env.account.config.get("api_base") or "http://127.0.0.1:9",
                           corp_id="ww00000000000000b2")
    env = build_env(db, other, account, mass_env.control)
    own = new_send(db, other)
    assert own.targeted == 5
    assert db.get(MassTask, task.id).status == TaskStatus.SENT
    assert {r for r in db.execute(select(MassTask.tenant_id)).scalars()} == {mass_env.tenant.id, other.id}
    assert env.customers["wmC1"].tenant_id == other.id


def test_pages_404_when_the_plugin_is_not_enabled(tenant, client, wecom_admin):
    wecom_admin(tenant)
    assert client.get(f"/t/{tenant.slug}/wecom/masssend/").status_code == 404
    assert client.post(f"/t/{tenant.slug}/wecom/masssend/", data=FORM).status_code == 404


def test_times_are_shown_in_the_tenant_zone(db, mass_env, client, wecom_admin):
    at = local_now().replace(second=0, microsecond=0) + timedelta(days=2)
    task = new_send(db, mass_env.tenant, send_type="scheduled", send_at=at)
    wecom_admin(mass_env.tenant)
    page = client.get(f"{base(mass_env)}/{task.id}").get_data(as_text=True)
    assert at.strftime("%Y-%m-%d %H:%M") in page


def test_seed_helper_matches_the_sandbox():
    assert {c["external_userid"] for c in corp_seed()["external_contacts"]} == {f"wmC{i}" for i in range(1, 7)}


def test_jobs_named_with_another_tenant_touch_nothing(db, platform, mass_env, make_tenant):
    """The dispatch and polling jobs read the send through their own tenant: given another tenant's id they find
    nothing, call WeCom for nothing and change nothing."""
    from scrm_wecom.masssend import results as mass_results

    pending = new_send(db, mass_env.tenant, send_type="scheduled", send_at=datetime.now(UTC) + timedelta(hours=1))
    sent = dispatch_now(db, new_send(db, mass_env.tenant, text="另一条"))
    other = make_tenant("globex")
    mass_env.control.clear_calls()
    service.dispatch_task(other.id, task_id=pending.id)
    mass_results.poll_results(other.id, task_id=sent.id)
    db.expire_all()
    assert db.get(MassTask, pending.id).status == TaskStatus.PENDING
    assert db.get(MassTask, sent.id).polled_at is None
    assert mass_env.control.calls() == []
