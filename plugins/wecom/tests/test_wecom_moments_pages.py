"""Employees' Moments pages (spec §2.1.3, §5.1): one link per employee on the 员工朋友圈 tab with customer views,
content count and last publish time (sortable, searchable); the public page shows only the Moments the employee
published, counts every visit, and belongs to its brand only; it fits a 375 px phone."""

from __future__ import annotations

import pytest
from scrm_wecom.moments.models import MomentsPage
from wecom_foundation_fixtures import *  # noqa: F403
from wecom_moments_fixtures import *  # noqa: F403
from wecom_moments_fixtures import BASE, poll, post_task, tasks
from wecom_sync_fixtures import *  # noqa: F403
from wecom_sync_fixtures import employee


def _link(admin, db, tenant_id, userid) -> str:
    page = admin.get(f"{BASE}/employees").text
    emp = employee(db, tenant_id, userid)
    row = page.split(f'data-employee-id="{emp.id}"')[1].split("</tr>")[0]
    return row.split('data-testid="moments-link"')[0].rsplit('value="', 1)[1].split('"')[0]


def _published_task(db, platform, admin, tenant_id, moments, text, publish=("zhangsan",)):
    post_task(admin, db, tenant_id, "zhangsan", "lisi", text=text)
    poll(db, platform, tenant_id)
    task = tasks(db, tenant_id)[-1]
    for userid in publish:
        moments.publish(task.moment_id, userid)
    admin.post(f"{BASE}/{task.id}/refresh")
    return task


def test_the_page_shows_only_what_the_employee_published_and_counts_visits(db, platform, admin, synced, moments,
                                                                           client):
    task = _published_task(db, platform, admin, synced.tenant_id, moments, "冬季新品到店")
    zhang, li = _link(admin, db, synced.tenant_id, "zhangsan"), _link(admin, db, synced.tenant_id, "lisi")
    assert zhang.startswith("http://localhost/p/acme/wecom/moments/") and zhang != li
    client.get("/logout")
    page = client.get(zhang.replace("http://localhost", ""))
    assert page.status_code == 200 and f'data-task-id="{task.id}"' in page.text and "冬季新品到店" in page.text
    li_page = client.get(li.replace("http://localhost", "")).text  # 李四 has not published it
    assert 'data-testid="moments-empty"' in li_page and "冬季新品到店" not in li_page
    client.get(zhang.replace("http://localhost", ""))
    db.expire_all()
    views = {p.employee_id: p.views for p in db.query(MomentsPage).all()}
    assert views[employee(db, synced.tenant_id, "zhangsan").id] == 2
    assert views[employee(db, synced.tenant_id, "lisi").id] == 1


def test_the_list_counts_posts_sorts_and_searches(db, platform, admin, synced, moments):
    from scrm_wecom.rules import settings as rule_limits

    rule_limits.save(db, synced.tenant_id, {**{n: getattr(rule_limits.DEFAULTS, n) for n in rule_limits.NAMES},
                                            "moments_per_employee_day": 5}, "t")
    db.commit()
    _published_task(db, platform, admin, synced.tenant_id, moments, "第一条", publish=("zhangsan", "lisi"))
    _published_task(db, platform, admin, synced.tenant_id, moments, "第二条", publish=("zhangsan",))
    page = admin.get(f"{BASE}/employees?sort=posts").text
    zhang, li = (employee(db, synced.tenant_id, u).id for u in ("zhangsan", "lisi"))
    assert page.index(f'data-employee-id="{zhang}"') < page.index(f'data-employee-id="{li}"')
    row = page.split(f'data-employee-id="{zhang}"')[1].split("</tr>")[0]
    assert 'data-stat="posts">2<' in row
    found = admin.get(f"{BASE}/employees?name=李").text
    assert f'data-employee-id="{li}"' in found and f'data-employee-id="{zhang}"' not in found
    assert 'data-testid="moments-page-tabs"' in found


def test_a_link_belongs_to_its_brand(db, admin, synced, client, other_tenant, enable_plugins):
    link = _link(admin, db, synced.tenant_id, "zhangsan").replace("http://localhost", "")
    enable_plugins(other_tenant, "wecom")
    assert client.get(link.replace("/p/acme/", "/p/globex/")).status_code == 404
    assert client.get("/p/acme/wecom/moments/not-a-token").status_code == 404


@pytest.mark.browser
def test_the_page_fits_a_phone_in_chinese(db, platform, synced, moments, page):
    from scrm_wecom.moments import pages, service

    zhang = employee(db, synced.tenant_id, "zhangsan")
    values = service.validate(db, synced.tenant_id, service.MomentInput(
        None, "羊绒大衣新品上市，会员专享 9 折" * 5, [zhang.id], link_title="冬季新品",
        link_url="https://shop.example.com/winter-collection-with-a-rather-long-address-for-small-screens"))
    task = service.create(db, synced.tenant_id, values)
    db.commit()
    poll(db, platform, synced.tenant_id)
    moments.publish(tasks(db, synced.tenant_id)[0].moment_id, "zhangsan")
    poll(db, platform, synced.tenant_id, force_task_id=task.id)
    link = f"/p/acme/wecom/moments/{pages.page_for(db, zhang).token}"
    db.commit()
    page.set_viewport_size({"width": 375, "height": 800})
    page.goto("/lang/zh_CN")
    page.goto(link)
    assert page.locator("h1").inner_text() == "张三的朋友圈"
    assert page.locator("[data-testid=moments-post]").count() == 1
    assert page.evaluate("document.documentElement.scrollWidth") <= 375


def test_the_links_export_as_csv_and_xlsx_formula_escaped(db, admin, synced, tenant):
    import io

    from openpyxl import load_workbook

    zhang = employee(db, tenant.id, "zhangsan")
    zhang.name = '=HYPERLINK("http://evil")'
    db.add(zhang)
    db.commit()
    csv = admin.get(f"{BASE}/employees/links.csv")
    assert csv.status_code == 200 and "attachment" in csv.headers["Content-Disposition"]
    text = csv.data.decode("utf-8-sig")
    assert "/p/acme/wecom/moments/" in text and "'=HYPERLINK" in text and "李四" in text
    xlsx = admin.get(f"{BASE}/employees/links.xlsx?name=李")
    sheet = load_workbook(io.BytesIO(xlsx.data)).active
    values = [[c.value for c in row] for row in sheet.iter_rows()]
    assert len(values) == 2 and values[1][0] == "李四" and values[1][2].startswith("http://localhost/p/acme/")
