"""Tenant isolation of the Moments and group welcome pages, their writes and the poll job: another brand's admin
gets 404 for every page and write of this brand's rows and never sees them listed; a poll of one tenant reads and
changes only that tenant's tasks. A tenant that disabled the plugin gets 404."""

from __future__ import annotations

from scrm_wecom.group_welcome.models import GroupWelcomeTemplate
from wecom_foundation_fixtures import *  # noqa: F403
from wecom_moments_fixtures import *  # noqa: F403
from wecom_moments_fixtures import BASE, poll, post_task, tasks
from wecom_sync_fixtures import *  # noqa: F403

from scrm.sdk import Employee

OTHER = "/t/globex/wecom"


def _acme_rows(db, admin, synced):
    post_task(admin, db, synced.tenant_id, "zhangsan")
    admin.post("/t/acme/wecom/welcome/group/new", data={"text": "欢迎入群"})
    [task] = tasks(db, synced.tenant_id)
    template = db.query(GroupWelcomeTemplate).filter(GroupWelcomeTemplate.tenant_id == synced.tenant_id).one()
    return task, template


def test_another_brand_gets_404_for_every_page_and_write(db, platform, admin, synced, other_tenant, enable_plugins,
                                                         wecom_admin, sandbox):
    task, template = _acme_rows(db, admin, synced)
    enable_plugins(other_tenant, "wecom")
    other = wecom_admin(other_tenant)
    for path in (f"{OTHER}/moments/{task.id}", f"{OTHER}/welcome/group/{template.id}",
                 f"{OTHER}/welcome/group/{template.id}/edit"):
        assert other.get(path).status_code == 404, path
    for path in (f"{OTHER}/moments/{task.id}/refresh", f"{OTHER}/welcome/group/{template.id}/edit",
                 f"{OTHER}/welcome/group/{template.id}/delete"):
        assert other.post(path, data={"text": "改掉"}).status_code == 404, path
    listed = other.get(f"{OTHER}/moments/")
    assert listed.status_code == 200 and f'data-task-id="{task.id}"' not in listed.text
    listed = other.get(f"{OTHER}/moments/employees")
    acme_ids = [e.id for e in db.query(Employee).filter(Employee.tenant_id == synced.tenant_id)]
    assert listed.status_code == 200 and not any(f'data-employee-id="{i}"' in listed.text for i in acme_ids)
    listed = other.get(f"{OTHER}/welcome/group/")
    assert listed.status_code == 200 and f'data-template-id="{template.id}"' not in listed.text
    # the other brand cannot name this brand's employees or tags in its own task
    acme_staff = [str(e.id) for e in db.query(Employee).filter(Employee.tenant_id == synced.tenant_id)]
    response = other.post(f"{OTHER}/moments/new", data={"text": "早安", "employee_ids": acme_staff})
    assert response.status_code == 422 and 'data-error="employee_ids"' in response.text
    db.expire_all()
    assert db.get(GroupWelcomeTemplate, template.id).text == "欢迎入群"


def test_a_poll_of_one_tenant_leaves_the_other_tenants_tasks_alone(db, platform, admin, synced, other_tenant,
                                                                   sandbox):
    post_task(admin, db, synced.tenant_id, "zhangsan")
    poll(db, platform, other_tenant.id)
    assert tasks(db, synced.tenant_id)[0].status == "queued"
    assert sandbox[1].calls("/cgi-bin/externalcontact/add_moment_task") == []
    poll(db, platform, synced.tenant_id, force_task_id=None)
    assert tasks(db, synced.tenant_id)[0].status == "created"


def test_a_tenant_that_disabled_the_plugin_gets_404(db, app, admin, synced, tenant):
    from scrm.core.plugins.enablement import disable_plugin

    post_task(admin, db, synced.tenant_id, "zhangsan")
    [task] = tasks(db, synced.tenant_id)
    disable_plugin(db, app.extensions["scrm"].registry, db.merge(tenant), "wecom")
    db.commit()
    for path in (f"{BASE}/", f"{BASE}/{task.id}", f"{BASE}/new", "/t/acme/wecom/welcome/group/"):
        assert admin.get(path).status_code == 404, path
