"""WeCom's Moments limits as platform rules (spec "WeCom platform rules" C: four enterprise Moments per natural
month, one per employee per day), tested at the boundary, in the tenant's days and months, configurable."""

from __future__ import annotations

from datetime import UTC, datetime

from scrm_wecom.moments import service
from scrm_wecom.moments.models import MomentTask
from scrm_wecom.rules import settings as rule_limits
from wecom_foundation_fixtures import *  # noqa: F403
from wecom_moments_fixtures import *  # noqa: F403
from wecom_moments_fixtures import BASE, post_task, tasks
from wecom_sync_fixtures import *  # noqa: F403


def _set_limits(db, tenant_id: int, **values) -> None:
    current = {n: getattr(rule_limits.DEFAULTS, n) for n in rule_limits.NAMES}
    rule_limits.save(db, tenant_id, {**current, **values}, "admin@acme.test")
    db.commit()


def _backdate(db, task_id: int, when: datetime) -> None:
    db.commit()
    task = db.get(MomentTask, task_id)
    task.created_at = when
    db.add(task)
    db.commit()


def test_the_defaults_are_four_a_month_and_one_a_day_per_employee(db, tenant):
    rules = rule_limits.limits(db, tenant.id)
    assert (rules.enterprise_moments_per_month, rules.moments_per_employee_day) == (4, 1)


def test_the_fourth_task_of_the_month_is_accepted_and_the_fifth_refused(db, admin, synced):
    _set_limits(db, synced.tenant_id, moments_per_employee_day=10)
    for _ in range(4):
        assert post_task(admin, db, synced.tenant_id, "zhangsan").status_code == 302
    response = post_task(admin, db, synced.tenant_id, "lisi")
    assert response.status_code == 422
    assert 'data-error="limit"' in response.text
    assert len(tasks(db, synced.tenant_id)) == 4  # nothing written
    _set_limits(db, synced.tenant_id, enterprise_moments_per_month=5, moments_per_employee_day=10)
    assert post_task(admin, db, synced.tenant_id, "lisi").status_code == 302


def test_a_failed_task_does_not_count(db, platform, admin, synced, sandbox):
    _set_limits(db, synced.tenant_id, enterprise_moments_per_month=1)
    post_task(admin, db, synced.tenant_id, "zhangsan")
    assert post_task(admin, db, synced.tenant_id, "lisi").status_code == 422
    from wecom_moments_fixtures import poll

    sandbox[1].fail_next("/cgi-bin/externalcontact/add_moment_task", 40058)
    poll(db, platform, synced.tenant_id)
    assert tasks(db, synced.tenant_id)[0].status == "failed"
    assert post_task(admin, db, synced.tenant_id, "lisi").status_code == 302


def test_one_task_per_employee_per_day_names_the_employee(db, admin, synced):
    assert post_task(admin, db, synced.tenant_id, "zhangsan").status_code == 302
    response = post_task(admin, db, synced.tenant_id, "zhangsan", "lisi")
    assert response.status_code == 422 and "张三" in response.text.split('data-error="employee_ids"')[1][:200]
    assert post_task(admin, db, synced.tenant_id, "lisi").status_code == 302  # 李四 alone is still free today
    _set_limits(db, synced.tenant_id, moments_per_employee_day=2)
    assert post_task(admin, db, synced.tenant_id, "zhangsan").status_code == 302
    assert post_task(admin, db, synced.tenant_id, "zhangsan").status_code == 422


def test_days_and_months_are_the_tenants(db, tenant, synced):
    """2026-11-30 16:30 UTC is 2026-12-01 00:30 in Shanghai: a task then counts for December and for that day."""
    from wecom_sync_fixtures import employee

    zhang = employee(db, tenant.id, "zhangsan")
    values = service.validate(db, tenant.id, service.MomentInput(None, "早安", [zhang.id]),
                              now=datetime(2026, 11, 30, 10, tzinfo=UTC))
    task = service.create(db, tenant.id, values)
    db.commit()
    _backdate(db, task.id, datetime(2026, 11, 30, 16, 30, tzinfo=UTC))
    november = datetime(2026, 11, 30, 15, 59, tzinfo=UTC)  # 23:59 on 30 November in Shanghai
    december = datetime(2026, 12, 1, 15, 0, tzinfo=UTC)  # 23:00 on 1 December in Shanghai
    assert service.month_used(db, tenant.id, november) == 0
    assert service.month_used(db, tenant.id, december) == 1
    assert service.employee_day_used(db, tenant.id, [zhang.id], november) == {}
    assert service.employee_day_used(db, tenant.id, [zhang.id], december) == {zhang.id: 1}


def test_the_list_shows_the_months_use_and_the_limits(db, admin, synced):
    post_task(admin, db, synced.tenant_id, "zhangsan")
    quota = admin.get(f"{BASE}/").text.split('data-testid="moments-quota"')[1].split("</span>")[0]
    assert "1 of 4" in quota and "at most 1 a day" in quota
