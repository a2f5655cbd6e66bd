"""The unassigned group chats tab and its records (§3.4, §4.4, acceptance 12–14), the rules the other files leave
out: "查询到 N 个待分配群聊" counts every match, not one page; created time sorts both ways and keeps the filters;
"left today" counts the China-time day; the searchable "接替群主" picker; a superseded re-assignment; a chat
re-assigned after its new owner left appears once per assignment; a dismissed chat is not unassigned; the records
page's breadcrumb reads "待分配用户 > 群聊分配记录"."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from scrm_wecom.groupchats import counters, jobs
from scrm_wecom.groupchats.counters import local_day
from wecom_foundation_fixtures import *  # noqa: F403
from wecom_groupchats_fixtures import *  # noqa: F403
from wecom_groupchats_fixtures import (
    assignments,
    chat_of,
    chat_row,
    chat_rows,
    chat_seeds,
    fire_xml,
    run_group_sync,
)
from wecom_sync_fixtures import *  # noqa: F403
from wecom_sync_fixtures import SEED, employee, fire, seed

BASE = "/t/acme/wecom/groupchats"


def _assign(admin, db, tenant_id, takeover: str, *chat_ids: str):
    ids = [str(chat_of(db, tenant_id, c).id) for c in chat_ids]
    return admin.post(f"{BASE}/assign", data={"chat_ids": ids, "takeover_id": str(employee(db, tenant_id, takeover).id)})


def test_the_count_line_counts_every_matching_chat_not_one_page(db, platform, admin, synced, chats):
    chats.create(*[{"chat_id": f"wrMany{i:03}", "name": f"Outlet {i}", "owner": "wangwu", "create_time": 1600000000 + i}
                   for i in range(60)])
    run_group_sync(db, platform, synced)
    page = admin.get(f"{BASE}/unassigned").text
    assert "Found 62 unassigned group chats" in page
    assert len(chat_rows(page)) == 50 and "Next page" in page
    assert "Found 62 unassigned group chats" in admin.get(f"{BASE}/unassigned?page=2").text  # the same on every page
    assert len(chat_rows(admin.get(f"{BASE}/unassigned?page=2").text)) == 12
    assert "Found 1 unassigned group chat<" in admin.get(f"{BASE}/unassigned?name=Outlet 59").text


def test_created_time_sorts_both_ways_and_keeps_the_filters(db, admin, synced):
    both = admin.get(f"{BASE}/unassigned").text
    assert chat_rows(both) == ["wrLeftB", "wrLeftA"] and "↓" in both  # default: newest first
    link = both.split('data-testid="sort-created"')[0].rsplit('href="', 1)[1].split('"')[0]
    assert "sort=created" in link
    ascending = admin.get(link.replace("&amp;", "&")).text
    assert chat_rows(ascending) == ["wrLeftA", "wrLeftB"] and "↑" in ascending
    back = ascending.split('data-testid="sort-created"')[0].rsplit('href="', 1)[1].split('"')[0]
    assert "sort=-created" in back
    owner = employee(db, synced.tenant_id, "wangwu").id
    filtered = admin.get(f"{BASE}/unassigned?owner={owner}&name=fans&sort=created").text
    sort_link = filtered.split('data-testid="sort-created"')[0].rsplit('href="', 1)[1].split('"')[0]
    assert f"owner={owner}" in sort_link and "name=fans" in sort_link
    assert chat_rows(admin.get(f"{BASE}/unassigned?sort=bogus").text) == ["wrLeftB", "wrLeftA"]
    # the chat index sorts the same way
    assert chat_rows(admin.get(f"{BASE}/?sort=created").text) == ["wrLeftA", "wrLeftB", "wrActive"]
    assert chat_rows(admin.get(f"{BASE}/").text) == ["wrActive", "wrLeftB", "wrLeftA"]


def test_left_today_counts_the_china_day(db, admin, synced, chats, wsgi_http, worker, monkeypatch):
    """At 00:30 in Shanghai (16:30 UTC, the UTC day before) a member leaves: the lists show 1 left today until 23:59
    Shanghai time and 0 from 00:00 the next Shanghai day."""
    utc_day = datetime.now(UTC).date()
    half_past_midnight = datetime(utc_day.year, utc_day.month, utc_day.day, 16, 30, tzinfo=UTC)
    monkeypatch.setattr(counters, "utcnow", lambda: half_past_midnight)
    assert local_day() == utc_day + timedelta(days=1)
    fire_xml(wsgi_http, synced, chats.leave("wrLeftA", "wmBob", quit_scene=0)["xml"])
    worker.join()
    chat = chat_of(db, synced.tenant_id, "wrLeftA")
    assert chat.counter_day == utc_day + timedelta(days=1) and chat.left_today == 1
    row = chat_row(admin.get(f"{BASE}/unassigned").text, "wrLeftA")
    assert 'data-stat="left">1<' in row and 'data-stat="members">4<' in row
    assert 'data-stat="left">1<' in chat_row(admin.get(f"{BASE}/").text, "wrLeftA")
    assert 'data-field="left">1<' in admin.get(f"{BASE}/{chat.id}").text
    # 23:59 in Shanghai: still the same day
    monkeypatch.setattr(counters, "utcnow", lambda: half_past_midnight + timedelta(hours=23, minutes=29))
    assert 'data-stat="left">1<' in chat_row(admin.get(f"{BASE}/unassigned").text, "wrLeftA")
    # 00:01 the next Shanghai day: 0, though nothing ran at midnight
    monkeypatch.setattr(counters, "utcnow", lambda: half_past_midnight + timedelta(hours=23, minutes=31))
    assert 'data-stat="left">0<' in chat_row(admin.get(f"{BASE}/unassigned").text, "wrLeftA")


def test_the_new_owner_picker_searches_active_employees(db, admin, synced):
    page = admin.get(f"{BASE}/unassigned").text
    search = page.split('data-testid="takeover-search"')[0].rsplit("<input", 1)[1] + page.split(
        'data-testid="takeover-search"')[1].split(">", 1)[0]
    assert f'hx-get="{BASE}/employees"' in search and 'hx-target="#takeover_id"' in search
    everyone = admin.get(f"{BASE}/employees").text
    assert "李四 (lisi)" in everyone and "张三 (zhangsan)" in everyone and "王五" not in everyone  # left: not offered
    by_userid = admin.get(f"{BASE}/employees?q=lis").text
    assert "李四 (lisi)" in by_userid and "张三" not in by_userid
    by_name = admin.get(f"{BASE}/employees?q=张").text
    assert "张三 (zhangsan)" in by_name and "李四" not in by_name
    assert "No active employee matches." in admin.get(f"{BASE}/employees?q=nobody").text
    assert "王五" not in admin.get(f"{BASE}/employees?q=wangwu").text
    # after a refused submit the chosen employee stays selected
    lisi = employee(db, synced.tenant_id, "lisi")
    refused = admin.post(f"{BASE}/assign", data={"takeover_id": str(lisi.id)})
    assert refused.status_code == 422 and f'<option value="{lisi.id}" selected>' in refused.text


def test_the_picker_offers_no_employee_of_another_tenant(db, admin, synced, other_tenant, enable_plugins, make_user,
                                                         login):
    enable_plugins(other_tenant, "wecom")
    intruder = login(make_user("admin@globex.test", other_tenant, role="tenant_admin"))
    options = intruder.get("/t/globex/wecom/groupchats/employees?q=li").text
    assert "李四" not in options and "No active employee matches." in options
    assert "李四" not in intruder.get("/t/globex/wecom/groupchats/unassigned").text


def test_a_newer_assignment_supersedes_the_waiting_one(db, admin, synced, sandbox, chats, worker):
    worker.join()
    assert _assign(admin, db, synced.tenant_id, "lisi", "wrLeftA").status_code == 302
    assert _assign(admin, db, synced.tenant_id, "zhangsan", "wrLeftA").status_code == 302
    first, second = assignments(db, synced.tenant_id)
    assert (first.takeover_userid, first.status, first.finished_at is not None) == ("lisi", "failed", True)
    assert (second.takeover_userid, second.status) == ("zhangsan", "waiting")
    records = admin.get(f"{BASE}/records").text
    assert "Found 2 assigned group chats" in records
    row = records.split(f'data-record-id="{first.id}"')[1].split("</tr>")[0]
    assert "Failed" in row and "Superseded by a newer assignment" in row
    assert "Assignment to 张三 pending" in chat_row(admin.get(f"{BASE}/unassigned").text, "wrLeftA")
    chats.complete_transfers()  # WeCom ends with the last new owner
    jobs.track_assignments.send(synced.tenant_id)
    worker.join()
    first, second = assignments(db, synced.tenant_id)
    assert (first.status, second.status) == ("failed", "done")
    assert chat_of(db, synced.tenant_id, "wrLeftA").owner_userid == "zhangsan"
    assert "wrLeftA" not in chat_rows(admin.get(f"{BASE}/unassigned").text)


def _resign_in_sandbox(sandbox, chats, userid: str, chat_id: str) -> None:
    """Make ``userid`` resigned (status 5) in the sandbox corp, still owning ``chat_id`` (the sandbox has no
    "employee resigns" control: the corp is seeded again and the chat re-created with that owner)."""
    users = [dict(u, status=5) if u["userid"] == userid else u for u in SEED["users"]]
    sandbox[1].seed(seed(users=users))
    chats.create(next(dict(c, owner=userid) for c in chat_seeds() if c["chat_id"] == chat_id))


def test_a_chat_reassigned_after_its_new_owner_left_has_one_record_per_assignment(db, admin, synced, sandbox, chats,
                                                                                  wsgi_http, worker):
    """Acceptance 14 continued: G (李四) leaves, the chat is back, and assigning it again keeps both records."""
    worker.join()
    _assign(admin, db, synced.tenant_id, "lisi", "wrLeftA")
    for xml in chats.complete_transfers()["xml"]:
        fire_xml(wsgi_http, synced, xml)
    worker.join()
    _resign_in_sandbox(sandbox, chats, "lisi", "wrLeftA")
    fire(wsgi_http, synced, "delete_user", event="change_contact", UserID="lisi")
    worker.join()
    page = admin.get(f"{BASE}/unassigned").text
    assert "wrLeftA" in chat_rows(page) and "李四 (left)" in chat_row(page, "wrLeftA")
    assert _assign(admin, db, synced.tenant_id, "zhangsan", "wrLeftA").status_code == 302
    records = admin.get(f"{BASE}/records?name=VIP").text
    assert "Found 2 assigned group chats" in records and records.count("VIP group") == 2
    takeovers = [part.split("</td>")[0] for part in records.split('data-field="takeover">')[1:]]
    assert takeovers == ["张三", "李四 (left)"]  # newest first
    first, second = assignments(db, synced.tenant_id)
    assert (first.status, first.handover_userid) == ("done", "wangwu")
    assert (second.status, second.handover_userid) == ("waiting", "lisi")
    detail = admin.get(f"{BASE}/{chat_of(db, synced.tenant_id, 'wrLeftA').id}").text
    assert detail.split('data-testid="chat-assignments"')[1].count("<tr><td>") == 2


def test_a_dismissed_chat_is_not_unassigned(db, platform, admin, synced, chats):
    chats.dismiss("wrLeftB")
    run_group_sync(db, platform, synced)
    assert chat_of(db, synced.tenant_id, "wrLeftB").status == "dismissed"
    page = admin.get(f"{BASE}/unassigned").text
    assert chat_rows(page) == ["wrLeftA"] and "Found 1 unassigned group chat<" in page
    refused = admin.post(f"{BASE}/assign", data={"chat_ids": [str(chat_of(db, synced.tenant_id, "wrLeftB").id)],
                                                 "takeover_id": str(employee(db, synced.tenant_id, "lisi").id)})
    assert refused.status_code == 422 and assignments(db, synced.tenant_id) == []


def test_the_records_breadcrumb_reads_unassigned_users_then_group_chat_records(db, admin, synced):
    html = admin.get(f"{BASE}/records").text
    crumb = html.split('data-testid="breadcrumb">')[1].split("</p>")[0]
    assert 'href="/t/acme/wecom/assignment/"' in crumb
    assert ">Unassigned users</a> &gt; Group chat assignment records" in crumb
