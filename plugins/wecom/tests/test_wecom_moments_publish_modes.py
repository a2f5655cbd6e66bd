"""Publish modes of Moments posts (spec §2.1.4, §3.1 "Publish a Moment", §4.1 rule 10, §5.1 list counters,
acceptance checks 2 and 3): now, scheduled (待发布 until its time, then out) and backdated (已发布 at once, ordered by
its date on the pages); WeCom tasks or the Moments pages only; deleting a post takes it off every page."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from scrm_wecom.moments import service
from scrm_wecom.moments.models import MomentSender, MomentTask
from sqlalchemy import select
from wecom_foundation_fixtures import *  # noqa: F403
from wecom_moments_fixtures import *  # noqa: F403
from wecom_moments_fixtures import BASE, ids_of, poll, tasks
from wecom_sync_fixtures import *  # noqa: F403
from wecom_sync_fixtures import employee

from scrm.sdk import ScheduledJob

SHANGHAI = ZoneInfo("Asia/Shanghai")


def _local(moment: datetime) -> str:
    """A ``datetime-local`` form value in the brand's zone (Asia/Shanghai)."""
    return moment.astimezone(SHANGHAI).strftime("%Y-%m-%dT%H:%M")


def _post(client, db, tenant_id, *userids, text="冬季新品到店", target="pages", mode="now", at: str = ""):
    return client.post(f"{BASE}/new", data={"text": text, "employee_ids": ids_of(db, tenant_id, *userids),
                                            "target": target, "mode": mode, "publish_at": at})


def _page(admin, client, db, tenant_id, userid) -> str:
    from scrm_wecom.moments import pages

    token = pages.page_for(db, employee(db, tenant_id, userid)).token
    db.commit()
    return client.get(f"/p/acme/wecom/moments/{token}").text


def _job(db, task_id: int) -> ScheduledJob | None:
    db.commit()
    db.expire_all()
    return db.execute(select(ScheduledJob).where(ScheduledJob.key == service.publish_key(task_id))
                      ).scalar_one_or_none()


def _tab_count(page: str, tab: str) -> int:
    return int(page.split(f'data-tab="{tab}"')[1].split("(")[1].split(")")[0])


def test_a_scheduled_post_waits_in_pending_then_goes_on_every_page_at_its_time(db, platform, admin, synced, client,
                                                                                 worker):
    before = admin.get(f"{BASE}/").text
    at = datetime.now(UTC).replace(second=0, microsecond=0) + timedelta(minutes=5)
    response = _post(admin, db, synced.tenant_id, "zhangsan", "lisi", text="圣诞限定礼盒预告", mode="scheduled",
                     at=_local(at))
    assert response.status_code == 302
    task = tasks(db, synced.tenant_id)[-1]
    assert task.status == "scheduled" and task.publish_at.replace(tzinfo=UTC) == at and not task.to_wecom
    listing = admin.get(f"{BASE}/").text
    assert _tab_count(listing, "pending") == _tab_count(before, "pending") + 1
    assert f'data-task-id="{task.id}"' in admin.get(f"{BASE}/?tab=pending").text
    assert f'data-task-id="{task.id}"' not in admin.get(f"{BASE}/?tab=published").text
    assert "圣诞限定礼盒预告" not in _page(admin, client, db, synced.tenant_id, "zhangsan")

    platform.tick(now=at - timedelta(seconds=1))  # not yet due
    worker.join()
    assert tasks(db, synced.tenant_id)[-1].status == "scheduled"
    platform.tick(now=at + timedelta(seconds=1))
    worker.join()
    task = tasks(db, synced.tenant_id)[-1]
    assert task.status == "page"
    assert f'data-task-id="{task.id}"' in admin.get(f"{BASE}/?tab=published").text
    for userid in ("zhangsan", "lisi"):
        assert "圣诞限定礼盒预告" in _page(admin, client, db, synced.tenant_id, userid)
    assert "圣诞限定礼盒预告" not in _page(admin, client, db, synced.tenant_id, "wangwu")


def test_a_scheduled_wecom_task_is_handed_to_wecom_at_its_time(db, platform, admin, synced, sandbox, worker):
    at = datetime.now(UTC).replace(second=0, microsecond=0) + timedelta(minutes=10)
    assert _post(admin, db, synced.tenant_id, "zhangsan", target="wecom", mode="scheduled",
                 at=_local(at)).status_code == 302
    poll(db, platform, synced.tenant_id)  # a poll before the time leaves it alone
    assert tasks(db, synced.tenant_id)[-1].status == "scheduled"
    assert sandbox[1].calls("/cgi-bin/externalcontact/add_moment_task") == []
    platform.tick(now=at + timedelta(seconds=1))
    worker.join()
    poll(db, platform, synced.tenant_id)
    task = tasks(db, synced.tenant_id)[-1]
    assert task.status in ("creating", "created") and task.jobid
    assert len(sandbox[1].calls("/cgi-bin/externalcontact/add_moment_task")) == 1


def test_the_publish_job_run_twice_publishes_once(db, platform, admin, synced):
    at = datetime.now(UTC) + timedelta(minutes=5)
    _post(admin, db, synced.tenant_id, "zhangsan", mode="scheduled", at=_local(at))
    task = tasks(db, synced.tenant_id)[-1]
    assert service.publish_scheduled(db, synced.tenant_id, task.id) is not None
    db.commit()
    assert service.publish_scheduled(db, synced.tenant_id, task.id) is None
    assert service.publish_scheduled(db, synced.tenant_id + 1000, task.id) is None  # another brand's id: nothing


def test_a_backdated_post_is_published_at_once_and_ordered_by_its_date(db, platform, admin, synced, client):
    assert _post(admin, db, synced.tenant_id, "zhangsan", text="今天的新品").status_code == 302
    assert _post(admin, db, synced.tenant_id, "zhangsan", text="2023 年春节门店开业", mode="backdated",
                 at="2023-01-29T00:00").status_code == 302
    old = tasks(db, synced.tenant_id)[-1]
    assert old.status == "page" and old.publish_mode == "backdated"
    assert old.publish_at.replace(tzinfo=UTC) == datetime(2023, 1, 28, 16, 0, tzinfo=UTC)  # 00:00 in Shanghai
    page = _page(admin, client, db, synced.tenant_id, "zhangsan")
    assert page.index("今天的新品") < page.index("2023 年春节门店开业")
    assert "2023-01-29" in page
    listing = admin.get(f"{BASE}/employees").text
    row = listing.split(f'data-employee-id="{employee(db, synced.tenant_id, "zhangsan").id}"')[1].split("</tr>")[0]
    assert 'data-stat="posts">2<' in row


def test_times_on_the_wrong_side_of_now_and_backdated_wecom_tasks_are_refused(db, admin, synced):
    past = _local(datetime.now(UTC) - timedelta(hours=1))
    future = _local(datetime.now(UTC) + timedelta(hours=1))
    cases = [({"mode": "scheduled", "at": past}, "publish_at"), ({"mode": "scheduled", "at": ""}, "publish_at"),
             ({"mode": "backdated", "at": future}, "publish_at"),
             ({"mode": "backdated", "at": past, "target": "wecom"}, "target"),
             ({"mode": "sometime", "at": past}, "mode"), ({"target": "elsewhere"}, "target")]
    for fields, error in cases:
        response = _post(admin, db, synced.tenant_id, "zhangsan", **fields)
        assert response.status_code == 422, fields
        assert f'data-error="{error}"' in response.text, fields
    assert tasks(db, synced.tenant_id) == []
    assert _post(admin, db, synced.tenant_id, "zhangsan", mode="scheduled",
                 at=_local(datetime.now(UTC) + timedelta(minutes=2))).status_code == 302


def test_a_scheduled_wecom_task_counts_in_the_month_it_goes_out(db, admin, synced):
    from scrm_wecom.rules import settings as rule_limits

    rule_limits.save(db, synced.tenant_id, {**{n: getattr(rule_limits.DEFAULTS, n) for n in rule_limits.NAMES},
                                            "enterprise_moments_per_month": 1}, "t")
    db.commit()
    now = datetime.now(UTC)
    next_month = (now.astimezone(SHANGHAI).replace(day=1, hour=12) + timedelta(days=40)).replace(day=3)
    assert _post(admin, db, synced.tenant_id, "zhangsan", target="wecom", mode="scheduled",
                 at=_local(next_month)).status_code == 302
    # next month's slot is used, this month's is free
    assert _post(admin, db, synced.tenant_id, "lisi", target="wecom").status_code == 302
    refused = _post(admin, db, synced.tenant_id, "lisi", target="wecom", mode="scheduled",
                    at=_local(next_month + timedelta(days=1)))
    assert refused.status_code == 422 and 'data-error="limit"' in refused.text
    # pages-only posts are not WeCom's to limit
    assert _post(admin, db, synced.tenant_id, "lisi", target="pages").status_code == 302


def test_deleting_takes_a_post_off_every_page(db, platform, admin, synced, client, worker):
    _post(admin, db, synced.tenant_id, "zhangsan", "lisi", text="要删除的动态")
    task_id = tasks(db, synced.tenant_id)[-1].id
    assert "要删除的动态" in _page(admin, client, db, synced.tenant_id, "lisi")
    assert admin.post(f"{BASE}/{task_id}/delete").status_code == 302
    assert tasks(db, synced.tenant_id) == []
    assert db.execute(select(MomentSender).where(MomentSender.task_id == task_id)).first() is None
    assert "要删除的动态" not in _page(admin, client, db, synced.tenant_id, "lisi")

    at = datetime.now(UTC) + timedelta(minutes=5)
    _post(admin, db, synced.tenant_id, "zhangsan", text="取消的定时动态", mode="scheduled", at=_local(at))
    scheduled = tasks(db, synced.tenant_id)[-1].id
    assert _job(db, scheduled).status == "pending"
    admin.post(f"{BASE}/{scheduled}/delete")
    assert _job(db, scheduled).status == "cancelled" and tasks(db, synced.tenant_id) == []
    platform.tick(now=at + timedelta(seconds=1))
    worker.join()
    assert tasks(db, synced.tenant_id) == []


def test_a_wecom_task_taken_off_the_pages_stays_listed_and_counted(db, platform, admin, synced, moments, client):
    from wecom_moments_fixtures import post_task

    post_task(admin, db, synced.tenant_id, "zhangsan", text="企微任务动态")
    poll(db, platform, synced.tenant_id)
    task = tasks(db, synced.tenant_id)[-1]
    moments.publish(task.moment_id, "zhangsan")
    admin.post(f"{BASE}/{task.id}/refresh")
    assert "企微任务动态" in _page(admin, client, db, synced.tenant_id, "zhangsan")
    assert service.month_used(db, synced.tenant_id) == 1
    assert admin.post(f"{BASE}/{task.id}/delete").status_code == 302
    task = tasks(db, synced.tenant_id)[-1]
    assert task.removed_at is not None and task.status == "created"
    assert "企微任务动态" not in _page(admin, client, db, synced.tenant_id, "zhangsan")
    assert service.month_used(db, synced.tenant_id) == 1
    assert 'data-testid="moments-delete"' not in admin.get(f"{BASE}/{task.id}").text


def test_another_brand_cannot_delete_or_see_a_post(db, admin, synced, other_tenant, enable_plugins, wecom_admin):
    _post(admin, db, synced.tenant_id, "zhangsan", text="本品牌动态")
    task = tasks(db, synced.tenant_id)[-1]
    enable_plugins(other_tenant, "wecom")
    other = wecom_admin(other_tenant)
    other_base = BASE.replace("/t/acme/", f"/t/{other_tenant.slug}/")
    assert other.post(f"{other_base}/{task.id}/delete").status_code == 404
    assert other.get(f"{other_base}/{task.id}").status_code == 404
    assert "本品牌动态" not in other.get(f"{other_base}/").text
    assert db.get(MomentTask, task.id) is not None


def test_publishing_and_deleting_work_with_csrf_on_and_need_the_token(db, app, admin, synced):
    import re

    app.config["WTF_CSRF_ENABLED"] = True
    try:
        assert _post(admin, db, synced.tenant_id, "zhangsan").status_code == 400
        assert tasks(db, synced.tenant_id) == []
        token = re.search(r'name="csrf-token" content="([^"]+)"', admin.get(f"{BASE}/").text).group(1)
        response = admin.post(f"{BASE}/new", data={"text": "CSRF 开启时发布", "target": "pages", "mode": "now",
                                                   "employee_ids": ids_of(db, synced.tenant_id, "zhangsan"),
                                                   "csrf_token": token})
        assert response.status_code == 302
        task = tasks(db, synced.tenant_id)[-1]
        assert admin.post(f"{BASE}/{task.id}/delete").status_code == 400
        assert tasks(db, synced.tenant_id)
        assert admin.post(f"{BASE}/{task.id}/delete", data={"csrf_token": token}).status_code == 302
        assert tasks(db, synced.tenant_id) == []
    finally:
        app.config["WTF_CSRF_ENABLED"] = False


def test_the_text_takes_a_mini_program_link_and_refuses_a_broken_one(db, platform, admin, synced, sandbox):
    broken = _post(admin, db, synced.tenant_id, "zhangsan", target="wecom", text="新品上架 #小程序://零售小商铺")
    assert broken.status_code == 422 and 'data-error="text"' in broken.text
    assert tasks(db, synced.tenant_id) == []
    text = "新品上架，点击直达 #小程序://零售小商铺/首页/Ab12Cd34 立即选购"
    assert _post(admin, db, synced.tenant_id, "zhangsan", target="wecom", text=text).status_code == 302
    poll(db, platform, synced.tenant_id)
    [call] = sandbox[1].calls("/cgi-bin/externalcontact/add_moment_task")
    assert call["body"]["text"]["content"] == text


def test_an_employee_personal_material_cannot_be_attached(db, admin, synced):
    from scrm_wecom.materials import service as materials
    from scrm_wecom.materials.models import ENTERPRISE, LINK, PERSONAL

    material = materials.save_material(db, synced.tenant_id, ENTERPRISE, materials.MaterialValues(
        kind=LINK, title="我的私人链接", url="https://shop.example.com/mine"), "lisi")
    response = admin.post(f"{BASE}/new", data={"text": "带素材", "employee_ids": ids_of(db, synced.tenant_id, "zhangsan"),
                                               "target": "pages", "mode": "now", "material_ids": [str(material.id)]})
    assert response.status_code == 302  # the library's link is fine
    admin.post(f"{BASE}/{tasks(db, synced.tenant_id)[-1].id}/delete")
    material.scope, material.owner_employee_id = PERSONAL, employee(db, synced.tenant_id, "lisi").id
    db.add(material)
    db.commit()
    response = admin.post(f"{BASE}/new", data={"text": "带素材", "employee_ids": ids_of(db, synced.tenant_id, "zhangsan"),
                                               "target": "pages", "mode": "now", "material_ids": [str(material.id)]})
    assert response.status_code == 422 and 'data-error="material_ids"' in response.text
    assert tasks(db, synced.tenant_id) == []
