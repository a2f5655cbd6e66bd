"""The churned-users and deleted-users lists against the spec's rules (spec B §3.5, §3.6, §5; acceptance 18, 19 and
21): row order of every sort in both directions, one row per relation (churned) and per deletion (deleted), the
add-date and days filters, the owner and last follow-up columns on the page and in the CSV, "共 N 条", the scopes
of both lists including "All" under a narrow data scope, and the deleted list's Detail action."""

from __future__ import annotations

import csv
import io
import re
import time
from datetime import timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select
from wecom_churn_fixtures import *  # noqa: F403
from wecom_churn_fixtures import churn, delete, employee, losses, re_add, signed_in, ts
from wecom_foundation_fixtures import *  # noqa: F403
from wecom_sync_fixtures import *  # noqa: F403
from wecom_sync_fixtures import CORP_ID, customer_of

from scrm.sdk import CustomerEvent, utcnow

CHINA = ZoneInfo("Asia/Shanghai")
ROW = re.compile(r'<tr data-loss-id="(\d+)">(.*?)</tr>', re.S)
CELL = re.compile(r"<td[^>]*>(.*?)</td>", re.S)
TAG = re.compile(r"<[^>]+>")


def rows_of(html: str, testid: str) -> list[tuple[int, list[str]]]:
    """``[(loss id, [cell texts])]`` of the list's table, in page order."""
    table = html.split(f'data-testid="{testid}"', 1)[1]
    return [(int(i), [TAG.sub("", c).strip() for c in CELL.findall(body)]) for i, body in ROW.findall(table)]


def labels(db, tenant_id: int) -> dict[int, str]:
    """Loss id → ``"<customer>/<userid>"``, e.g. ``"Alice/lisi"``."""
    return {r.id: f"{r.external_userid[2:]}/{r.userid}" for r in losses(db, tenant_id)}


def order(client, db, tenant_id: int, url: str, testid: str = "churned-list") -> list[str]:
    names = labels(db, tenant_id)
    return [names[i] for i, _cells in rows_of(client.get(url).get_data(as_text=True), testid)]


def note(db, tenant_id: int, external_userid: str, days_ago: int) -> None:
    db.add(CustomerEvent(tenant_id=tenant_id, customer_id=customer_of(db, tenant_id, external_userid).id,
                         plugin="members", kind="note", summary="called",
                         occurred_at=utcnow() - timedelta(days=days_ago)))
    db.commit()


@pytest.fixture
def lost(db, churn_account, sandbox, wsgi_http, worker):
    """Alice left lisi and zhangsan, Bob left lisi, Carol zhangsan (all added on 2023-11-15); Dora, added to lisi
    today, left him today. Last follow-ups: Alice 10 days ago, Bob 3, Carol and Dora never."""
    tenant_id = churn_account.tenant_id
    sandbox[1].add_friend(CORP_ID, "lisi", {"external_userid": "wmDora", "name": "Dora"})
    re_add(wsgi_http, churn_account, "lisi", "wmDora", at=int(time.time()))
    worker.join()
    note(db, tenant_id, "wmAlice", 10)
    note(db, tenant_id, "wmBob", 3)
    churn(wsgi_http, churn_account, "lisi", "wmAlice", at=ts("2026-11-01T10:00:00+08:00"))
    churn(wsgi_http, churn_account, "zhangsan", "wmAlice", at=ts("2026-11-02T07:00:00+08:00"))  # 23:00 UTC the day before
    churn(wsgi_http, churn_account, "lisi", "wmBob", at=ts("2026-11-03T10:00:00+08:00"))
    churn(wsgi_http, churn_account, "zhangsan", "wmCarol", at=ts("2026-11-04T10:00:00+08:00"))
    churn(wsgi_http, churn_account, "lisi", "wmDora", at=int(time.time()))
    worker.join()
    return churn_account


CHURNED = "/t/acme/wecom/churn/churned"


@pytest.mark.parametrize(("sort", "expected_desc"), [
    ("lost_at", ["Dora/lisi", "Carol/zhangsan", "Bob/lisi", "Alice/zhangsan", "Alice/lisi"]),
    ("added_at", ["Dora/lisi", "Carol/zhangsan", "Bob/lisi", "Alice/lisi", "Alice/zhangsan"]),
])
def test_the_churned_list_sorts_by_churn_and_add_time_both_ways(db, tenant, lost, client, make_user, login, sort,
                                                                 expected_desc):
    signed_in(make_user, login, tenant, "admin@acme.test")
    assert order(client, db, tenant.id, f"{CHURNED}?sort={sort}&dir=desc") == expected_desc
    assert order(client, db, tenant.id, f"{CHURNED}?sort={sort}&dir=asc") == expected_desc[::-1]


def test_the_churned_list_sorts_by_last_follow_up_with_never_followed_up_last_both_ways(db, tenant, lost, client,
                                                                                        make_user, login):
    signed_in(make_user, login, tenant, "admin@acme.test")
    ids = {label: i for i, label in labels(db, tenant.id).items()}

    def ties(group: list[str], desc: bool) -> list[str]:  # equal follow-up times keep the row order of the sort
        return sorted(group, key=ids.__getitem__, reverse=desc)

    alice, never = ["Alice/lisi", "Alice/zhangsan"], ["Carol/zhangsan", "Dora/lisi"]
    assert order(client, db, tenant.id, f"{CHURNED}?sort=last_follow_up&dir=desc") == [
        "Bob/lisi", *ties(alice, True), *ties(never, True)]
    assert order(client, db, tenant.id, f"{CHURNED}?sort=last_follow_up&dir=asc") == [
        *ties(alice, False), "Bob/lisi", *ties(never, False)]


def test_a_customer_leaving_two_employees_gives_two_rows_and_a_second_churn_of_a_relation_stays_one_row(
        db, tenant, churn_account, client, make_user, login, wsgi_http, worker):
    churn(wsgi_http, churn_account, "lisi", "wmAlice", at=ts("2026-11-01T10:00:00+08:00"))
    churn(wsgi_http, churn_account, "zhangsan", "wmAlice", at=ts("2026-11-02T10:00:00+08:00"))
    worker.join()
    re_add(wsgi_http, churn_account, "lisi", "wmAlice", at=ts("2026-11-05T10:00:00+08:00"))
    worker.join()
    churn(wsgi_http, churn_account, "lisi", "wmAlice", at=ts("2026-11-06T10:00:00+08:00"))
    worker.join()
    assert len(losses(db, tenant.id, "churned")) == 3  # every churn is kept
    signed_in(make_user, login, tenant, "admin@acme.test")
    html = client.get(CHURNED).get_data(as_text=True)
    rows = rows_of(html, "churned-list")
    assert [(cells[0], cells[2], cells[5]) for _i, cells in rows] == [
        ("Alice", "李四", "2026-11-06 10:00"), ("Alice", "张三", "2026-11-02 10:00")]
    assert "2 rows" in html


def test_the_add_date_filter_matches_a_day_and_an_upper_bound(db, tenant, lost, client, make_user, login):
    signed_in(make_user, login, tenant, "admin@acme.test")
    today = utcnow().astimezone(CHINA).date().isoformat()
    url = f"{CHURNED}?sort=added_at&dir=asc"
    assert order(client, db, tenant.id, f"{url}&added_from={today}&added_to={today}") == ["Dora/lisi"]
    assert order(client, db, tenant.id, f"{url}&added_from=2023-11-15&added_to=2023-11-15") == [
        "Alice/zhangsan", "Alice/lisi", "Bob/lisi", "Carol/zhangsan"]
    assert order(client, db, tenant.id, f"{url}&added_to=2023-11-14") == []


def test_the_churn_date_filter_uses_china_days(db, tenant, lost, client, make_user, login):
    signed_in(make_user, login, tenant, "admin@acme.test")
    # 07:00 in Shanghai on 2 November is still 1 November in UTC: the row belongs to the 2nd
    assert order(client, db, tenant.id, f"{CHURNED}?lost_from=2026-11-02&lost_to=2026-11-02") == ["Alice/zhangsan"]
    assert order(client, db, tenant.id, f"{CHURNED}?lost_to=2026-11-01") == ["Alice/lisi"]


def test_owner_and_last_follow_up_are_shown_on_the_page_and_in_the_csv(db, tenant, lost, client, make_user, login):
    signed_in(make_user, login, tenant, "admin@acme.test")
    alice = next(r for r in losses(db, tenant.id) if r.external_userid == "wmAlice" and r.userid == "lisi")
    followed = db.execute(select(CustomerEvent.occurred_at).where(  # the note (WeCom's own entries are no follow-up)
        CustomerEvent.customer_id == alice.customer_id, CustomerEvent.plugin == "members")).scalar_one()
    shown = followed.astimezone(CHINA)
    cells = dict(rows_of(client.get(CHURNED).get_data(as_text=True), "churned-list"))[alice.id]
    assert cells[:7] == ["Alice", "张三", "李四", "2023-11-15 06:21", shown.strftime("%Y-%m-%d %H:%M"),
                         "2026-11-01 10:00", "10"]
    body = client.get(f"{CHURNED}/export.csv?sort=lost_at&dir=asc").get_data(as_text=True)
    rows = list(csv.reader(io.StringIO(body.lstrip("\ufeff"))))
    assert rows[0] == ["Name", "Owner", "Added by", "Added at (Asia/Shanghai)", "Last follow-up (Asia/Shanghai)",
                       "Churned at (Asia/Shanghai)", "Days not followed up"]
    assert rows[1] == ["Alice", "张三", "李四", "2023-11-15 06:21:40", shown.strftime("%Y-%m-%d %H:%M:%S"),
                       "2026-11-01 10:00:00", "10"]


def test_days_filters_count_a_never_followed_up_customer_from_the_day_they_were_added(db, tenant, lost, client,
                                                                                    make_user, login):
    signed_in(make_user, login, tenant, "admin@acme.test")
    url = f"{CHURNED}?sort=lost_at&dir=asc"
    # Carol (added 2023, never followed up) has gone years without a follow-up; Dora (added today) none yet
    assert order(client, db, tenant.id, f"{url}&days_min=5") == ["Alice/lisi", "Alice/zhangsan", "Carol/zhangsan"]
    assert order(client, db, tenant.id, f"{url}&days_max=5") == ["Bob/lisi", "Dora/lisi"]
    assert order(client, db, tenant.id, f"{url}&days_max=0") == ["Dora/lisi"]
    cells = {i: c for i, c in rows_of(client.get(url).get_data(as_text=True), "churned-list")}
    dora = next(r.id for r in losses(db, tenant.id) if r.external_userid == "wmDora")
    assert cells[dora][6] == ""  # the column itself stays empty without a follow-up (§5)


def test_all_follows_the_users_data_scope(db, tenant, lost, client, make_user, login):
    zhangsan = employee(db, tenant.id, "zhangsan").id
    login(make_user("zs@acme.test", tenant, role="employee", scope="mine", employee_id=zhangsan))
    # zhangsan owns Alice and Carol: every row of theirs, Bob's and Dora's rows (lisi's customers) are not his
    assert order(client, db, tenant.id, f"{CHURNED}?scope=all&sort=lost_at&dir=asc") == [
        "Alice/lisi", "Alice/zhangsan", "Carol/zhangsan"]
    body = client.get(f"{CHURNED}/export.csv?scope=all").get_data(as_text=True)
    assert sorted(r[0] for r in list(csv.reader(io.StringIO(body.lstrip("\ufeff"))))[1:]) == [
        "Alice", "Alice", "Carol"]


@pytest.fixture
def deletions(db, churn_account, wsgi_http, worker):
    """zhangsan deleted Alice (twice: re-added in between) and Carol; lisi deleted Bob."""
    delete(wsgi_http, churn_account, "lisi", "wmBob", at=ts("2026-11-05T09:00:00+08:00"))
    delete(wsgi_http, churn_account, "zhangsan", "wmCarol", at=ts("2026-11-06T09:00:00+08:00"))
    delete(wsgi_http, churn_account, "zhangsan", "wmAlice", at=ts("2026-11-07T09:00:00+08:00"))
    worker.join()
    re_add(wsgi_http, churn_account, "zhangsan", "wmAlice", at=ts("2026-11-08T09:00:00+08:00"))
    worker.join()
    delete(wsgi_http, churn_account, "zhangsan", "wmAlice", at=ts("2026-11-09T09:00:00+08:00"))
    worker.join()
    return churn_account


DELETED = "/t/acme/wecom/churn/deleted"


def test_the_deleted_list_shows_every_deletion_with_the_chinese_count(db, tenant, deletions, client, make_user,
                                                                      login):
    signed_in(make_user, login, tenant, "admin@acme.test")
    client.get("/lang/zh_CN")
    html = client.get(DELETED).get_data(as_text=True)
    assert "共 4 条" in html
    rows = rows_of(html, "deleted-list")
    assert [(c[0], c[1], c[2]) for _i, c in rows] == [
        ("Alice", "张三", "2026-11-09 09:00"), ("Alice", "张三", "2026-11-07 09:00"),
        ("Carol", "张三", "2026-11-06 09:00"), ("Bob", "李四", "2026-11-05 09:00")]
    html = client.get(f"{DELETED}?q=&employee_id={employee(db, tenant.id, 'zhangsan').id}").get_data(as_text=True)
    assert "共 3 条" in html


def test_the_deleted_list_sorts_by_delete_time_and_add_friend_time_both_ways(db, tenant, deletions, client,
                                                                             make_user, login):
    signed_in(make_user, login, tenant, "admin@acme.test")
    lost_desc = ["Alice/zhangsan", "Alice/zhangsan", "Carol/zhangsan", "Bob/lisi"]
    assert order(client, db, tenant.id, f"{DELETED}?sort=lost_at&dir=desc", "deleted-list") == lost_desc
    assert order(client, db, tenant.id, f"{DELETED}?sort=lost_at&dir=asc", "deleted-list") == lost_desc[::-1]
    ids = [r.id for r in losses(db, tenant.id, "deleted")]
    added = {r.id: r.added_at for r in losses(db, tenant.id, "deleted")}
    by_added = sorted(ids, key=lambda i: (added[i], i))
    html = client.get(f"{DELETED}?sort=added_at&dir=asc").get_data(as_text=True)
    assert [i for i, _c in rows_of(html, "deleted-list")] == by_added
    html = client.get(f"{DELETED}?sort=added_at&dir=desc").get_data(as_text=True)
    assert [i for i, _c in rows_of(html, "deleted-list")] == sorted(ids, key=lambda i: (added[i], i), reverse=True)
    assert [labels(db, tenant.id)[i] for i in by_added][-1] == "Carol/zhangsan"  # added last (2023-11-15 06:46)


def test_the_deleted_list_has_the_mine_and_subordinates_scopes(db, tenant, deletions, client, make_user, login):
    zhangsan, lisi = employee(db, tenant.id, "zhangsan").id, employee(db, tenant.id, "lisi").id
    login(make_user("zs@acme.test", tenant, role="employee", scope="all", employee_id=zhangsan))
    url = f"{DELETED}?sort=lost_at&dir=asc"
    assert order(client, db, tenant.id, f"{url}&scope=mine", "deleted-list") == [
        "Carol/zhangsan", "Alice/zhangsan", "Alice/zhangsan"]
    assert order(client, db, tenant.id, f"{url}&scope=subordinates", "deleted-list") == ["Bob/lisi"]
    assert 'data-scope="subordinates"' in client.get(DELETED).get_data(as_text=True)
    login(make_user("ls@acme.test", tenant, role="employee", scope="mine", employee_id=lisi))
    assert order(client, db, tenant.id, f"{url}&scope=subordinates", "deleted-list") == []
    assert order(client, db, tenant.id, f"{url}&scope=mine", "deleted-list") == ["Bob/lisi"]


def test_the_deleted_lists_all_scope_follows_the_users_data_scope(db, tenant, deletions, client, make_user, login):
    zhangsan = employee(db, tenant.id, "zhangsan").id
    login(make_user("zs@acme.test", tenant, role="employee", scope="mine", employee_id=zhangsan))
    assert order(client, db, tenant.id, f"{DELETED}?scope=all&sort=lost_at&dir=asc", "deleted-list") == [
        "Carol/zhangsan", "Alice/zhangsan", "Alice/zhangsan"]  # Bob is not zhangsan's customer


def test_the_deleted_rows_detail_opens_the_members_profile_and_offers_no_chat_link(db, tenant, deletions, client,
                                                                                   make_user, login):
    signed_in(make_user, login, tenant, "admin@acme.test")
    html = client.get(DELETED).get_data(as_text=True)
    carol = customer_of(db, tenant.id, "wmCarol")
    assert f'href="/t/acme/members/customers/{carol.id}" data-action="detail"' in html
    assert client.get(f"/t/acme/members/customers/{carol.id}").status_code == 200
    assert "View chat" not in html and "chat" not in html.split('data-testid="deleted-list"', 1)[1].lower()


def test_without_the_members_plugin_a_deleted_row_has_no_detail_link(db, tenant, wecom_only_account, client,
                                                                    make_user, login, wsgi_http, worker):
    delete(wsgi_http, wecom_only_account, "zhangsan", "wmCarol", at=ts("2026-11-06T09:00:00+08:00"))
    worker.join()
    signed_in(make_user, login, tenant, "admin@acme.test")
    html = client.get(DELETED).get_data(as_text=True)
    [(_id, cells)] = rows_of(html, "deleted-list")
    assert cells[0] == "Carol" and 'data-action="detail"' not in html and "/members/" not in html


def test_another_tenant_sees_none_of_these_rows_in_any_scope_or_sort(db, tenant, other_tenant, deletions,
                                                                     enable_plugins, client, make_user, login):
    enable_plugins(other_tenant, "wecom")
    login(make_user("admin@globex.test", other_tenant, role="tenant_admin"))
    for kind in ("churned", "deleted"):
        for query in ("scope=all", "scope=mine", "scope=subordinates", "sort=added_at&dir=asc"):
            html = client.get(f"/t/{other_tenant.slug}/wecom/churn/{kind}?{query}").get_data(as_text=True)
            assert "0 rows" in html and "data-loss-id" not in html
