"""The churned-users and deleted-users lists (spec B §3.5, §3.6, §5; acceptance 18 and 21): columns, "days not
followed up" and its sort, the All / Mine / Subordinates scopes, filters, CSV and XLSX exports of the current
filter, the "Retain" page, and tenant isolation of every page and export."""

from __future__ import annotations

import csv
import io
from datetime import timedelta

import pytest
from openpyxl import load_workbook
from wecom_churn_fixtures import *  # noqa: F403
from wecom_churn_fixtures import churn, delete, employee, losses, signed_in, ts
from wecom_foundation_fixtures import *  # noqa: F403
from wecom_sync_fixtures import *  # noqa: F403
from wecom_sync_fixtures import customer_of

from scrm.sdk import CustomerEvent, utcnow


@pytest.fixture
def churned(db, churn_account, wsgi_http, worker):
    """Alice left lisi (last follow-up 10 days ago), Bob left lisi (3 days ago), Carol left zhangsan (never)."""
    tenant_id = churn_account.tenant_id
    now = utcnow()
    for name, days in (("wmAlice", 10), ("wmBob", 3)):
        customer = customer_of(db, tenant_id, name)
        db.add(CustomerEvent(tenant_id=tenant_id, customer_id=customer.id, plugin="members", kind="note",
                             summary="called", occurred_at=now - timedelta(days=days)))
    db.add(CustomerEvent(tenant_id=tenant_id, customer_id=customer_of(db, tenant_id, "wmCarol").id, plugin="members",
                         kind="stage_changed", summary="Stage: Intending", occurred_at=now))  # not a follow-up
    db.commit()
    churn(wsgi_http, churn_account, "lisi", "wmAlice", at=ts("2026-11-01T10:00:00+08:00"))
    churn(wsgi_http, churn_account, "lisi", "wmBob", at=ts("2026-11-02T10:00:00+08:00"))
    churn(wsgi_http, churn_account, "zhangsan", "wmCarol", at=ts("2026-11-03T10:00:00+08:00"))
    worker.join()
    return churn_account


def names_in(html: str, order: tuple[str, ...] = ("Alice", "Bob", "Carol")) -> list[str]:
    found = [(html.index(n), n) for n in order if n in html.split('data-testid="churned-list"')[-1]]
    return [n for _, n in sorted(found)]


def days_cells(html: str) -> list[str]:
    import re

    return [c.strip() for c in re.findall(r"<td data-days>(.*?)</td>", html)]


def test_the_list_shows_each_churn_with_days_not_followed_up_and_sorts_by_them(db, tenant, churned, client,
                                                                              make_user, login):
    signed_in(make_user, login, tenant, "admin@acme.test")
    html = client.get("/t/acme/wecom/churn/churned?sort=days&dir=desc").get_data(as_text=True)
    assert names_in(html) == ["Alice", "Bob", "Carol"] and days_cells(html) == ["10", "3", ""]
    assert "李四" in html and "2026-11-01 10:00" in html and "3 rows" in html
    html = client.get("/t/acme/wecom/churn/churned?sort=days&dir=asc").get_data(as_text=True)
    assert names_in(html) == ["Bob", "Alice", "Carol"]  # never followed up stays last
    html = client.get("/t/acme/wecom/churn/churned?days_min=5").get_data(as_text=True)
    assert names_in(html) == ["Carol", "Alice"]  # Carol, never followed up, counts from her add in 2023
    html = client.get("/t/acme/wecom/churn/churned?days_max=5").get_data(as_text=True)
    assert names_in(html) == ["Bob"]


def test_filters_by_name_added_by_and_churn_date(db, tenant, churned, client, make_user, login):
    signed_in(make_user, login, tenant, "admin@acme.test")
    assert names_in(client.get("/t/acme/wecom/churn/churned?q=ali").get_data(as_text=True)) == ["Alice"]
    zhangsan = employee(db, tenant.id, "zhangsan").id
    html = client.get(f"/t/acme/wecom/churn/churned?employee_id={zhangsan}").get_data(as_text=True)
    assert names_in(html) == ["Carol"]
    html = client.get("/t/acme/wecom/churn/churned?lost_from=2026-11-02&lost_to=2026-11-02").get_data(as_text=True)
    assert names_in(html) == ["Bob"]
    html = client.get("/t/acme/wecom/churn/churned?added_from=2099-01-01").get_data(as_text=True)
    assert names_in(html) == []


def test_mine_shows_my_rows_and_subordinates_the_rows_of_my_team(db, tenant, churned, client, make_user, login):
    zhangsan, lisi = employee(db, tenant.id, "zhangsan").id, employee(db, tenant.id, "lisi").id
    signed_in(make_user, login, tenant, "zs@acme.test", role="employee", employee_id=zhangsan)
    assert names_in(client.get("/t/acme/wecom/churn/churned?scope=mine").get_data(as_text=True)) == ["Carol"]
    html = client.get("/t/acme/wecom/churn/churned?scope=subordinates").get_data(as_text=True)
    assert sorted(names_in(html)) == ["Alice", "Bob"]  # lisi reports to zhangsan
    signed_in(make_user, login, tenant, "ls@acme.test", role="employee", employee_id=lisi)
    assert sorted(names_in(client.get("/t/acme/wecom/churn/churned?scope=mine").get_data(as_text=True))) == [
        "Alice", "Bob"]
    assert names_in(client.get("/t/acme/wecom/churn/churned?scope=subordinates").get_data(as_text=True)) == []


def test_exports_follow_the_filter_as_csv_and_xlsx(db, tenant, churned, client, make_user, login):
    signed_in(make_user, login, tenant, "admin@acme.test")
    response = client.get("/t/acme/wecom/churn/churned/export.csv?sort=days&dir=desc")
    rows = list(csv.reader(io.StringIO(response.get_data(as_text=True).lstrip("\ufeff"))))
    assert rows[0][0] == "Name" and [r[0] for r in rows[1:]] == ["Alice", "Bob", "Carol"]
    assert [r[-1] for r in rows[1:]] == ["10", "3", ""] and rows[1][2] == "李四"
    response = client.get("/t/acme/wecom/churn/churned/export.xlsx?q=Bob")
    sheet = load_workbook(io.BytesIO(response.data)).active
    assert [c.value for c in next(sheet.iter_rows(min_row=2, max_row=2))][0] == "Bob" and sheet.max_row == 2


def test_the_deleted_list_filters_by_employee_and_time_and_exports(db, tenant, churn_account, client, make_user,
                                                                  login, wsgi_http, worker):
    delete(wsgi_http, churn_account, "zhangsan", "wmCarol", at=ts("2026-11-05T09:00:00+08:00"))
    delete(wsgi_http, churn_account, "lisi", "wmBob", at=ts("2026-11-06T09:00:00+08:00"))
    worker.join()
    signed_in(make_user, login, tenant, "admin@acme.test")
    html = client.get("/t/acme/wecom/churn/deleted").get_data(as_text=True)
    assert "2 rows" in html and "张三" in html and "2026-11-05 09:00" in html
    lisi = employee(db, tenant.id, "lisi").id
    html = client.get(f"/t/acme/wecom/churn/deleted?employee_id={lisi}").get_data(as_text=True)
    assert "1 rows" in html and "Bob" in html and "Carol" not in html
    html = client.get("/t/acme/wecom/churn/deleted?lost_from=2026-11-05&lost_to=2026-11-05").get_data(as_text=True)
    assert "Carol" in html and "Bob" not in html
    rows = list(csv.reader(io.StringIO(client.get("/t/acme/wecom/churn/deleted/export.csv").get_data(
        as_text=True).lstrip("\ufeff"))))
    # the time columns name the tenant's zone, and the times are in it
    assert rows[0] == ["Name", "Operated by", "Deleted at (Asia/Shanghai)", "Added at (Asia/Shanghai)"] and {r[0] for r in rows[1:]} == {"Bob", "Carol"}
    sheet = load_workbook(io.BytesIO(client.get("/t/acme/wecom/churn/deleted/export.xlsx").data)).active
    assert sheet.max_row == 3


def test_the_retain_page_shows_the_customer_to_the_employee_and_the_superior_only(db, tenant, churned, client,
                                                                                 make_user, login):
    alice = next(r for r in losses(db, tenant.id) if r.external_userid == "wmAlice")
    lisi, zhangsan = employee(db, tenant.id, "lisi").id, employee(db, tenant.id, "zhangsan").id
    login(make_user("ls@acme.test", tenant, role="employee", scope="mine", employee_id=lisi))
    html = client.get(f"/t/acme/wecom/churn/retain/{alice.id}").get_data(as_text=True)
    assert "Alice" in html and "2026-11-01 10:00" in html and "What to do" in html and "张三" in html
    login(make_user("zs@acme.test", tenant, role="employee", scope="mine", employee_id=zhangsan))
    assert client.get(f"/t/acme/wecom/churn/retain/{alice.id}").status_code == 200  # lisi's superior
    login(make_user("nobody@acme.test", tenant, role="employee", scope="mine"))
    assert client.get(f"/t/acme/wecom/churn/retain/{alice.id}").status_code == 403


def test_another_tenant_sees_no_row_no_export_line_and_no_retain_page(db, tenant, other_tenant, churned,
                                                                     enable_plugins, client, make_user, login):
    enable_plugins(other_tenant, "wecom")
    login(make_user("admin@globex.test", other_tenant, role="tenant_admin"))
    for kind in ("churned", "deleted"):
        html = client.get(f"/t/{other_tenant.slug}/wecom/churn/{kind}").get_data(as_text=True)
        assert "0 rows" in html and "Alice" not in html
        body = client.get(f"/t/{other_tenant.slug}/wecom/churn/{kind}/export.csv").get_data(as_text=True)
        assert len(body.strip().splitlines()) == 1
        sheet = load_workbook(io.BytesIO(client.get(f"/t/{other_tenant.slug}/wecom/churn/{kind}/export.xlsx").data))
        assert sheet.active.max_row == 1
    loss = losses(db, tenant.id)[0]
    assert client.get(f"/t/{other_tenant.slug}/wecom/churn/retain/{loss.id}").status_code == 404
    assert client.get(f"/t/{tenant.slug}/wecom/churn/churned").status_code in (403, 404)
