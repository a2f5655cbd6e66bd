"""Unassigned group chats (acceptance checks 12–14): only chats whose owner left, with member count and today's joins
and leaves; assigning them through ``groupchat/transfer`` (≤ 100 ids per call) writes waiting records that WeCom's
confirmation turns done and takes the chat off the list; a new owner who leaves brings it back and the records say
"(left)". Records page, filters, CSV / XLSX export, the tracker job, and tenant isolation."""

from __future__ import annotations

import csv
import io
from datetime import timedelta

from openpyxl import load_workbook
from scrm_wecom.groupchats import jobs
from scrm_wecom.groupchats.assignment import TRACK_FOR
from scrm_wecom.groupchats.models import GroupAssignment, GroupChat
from scrm_wecom.sandbox import GroupChatControl
from sqlalchemy import select
from wecom_foundation_fixtures import *  # noqa: F403
from wecom_groupchats_fixtures import *  # noqa: F403
from wecom_groupchats_fixtures import assignments, chat_of, chat_rows, fire_xml, run_group_sync
from wecom_sync_fixtures import *  # noqa: F403
from wecom_sync_fixtures import CORP_ID, count, employee, fire

from scrm.sdk import ChannelAccount, ScheduledJob, utcnow

BASE = "/t/acme/wecom/groupchats"


def _assign(admin, db, tenant_id, takeover: str, *chat_ids: str, **extra):
    ids = [str(chat_of(db, tenant_id, c).id) for c in chat_ids]
    return admin.post(f"{BASE}/assign", data={"chat_ids": ids, "takeover_id": str(employee(db, tenant_id, takeover).id),
                                              **extra})


def test_only_chats_whose_owner_left_are_listed_with_their_counters(db, admin, synced):
    page = admin.get(f"{BASE}/unassigned")
    html = page.text
    assert page.status_code == 200 and "2 unassigned group chats" in html
    assert chat_rows(html) == ["wrLeftB", "wrLeftA"]  # newest first
    row = html.split('data-chat-id="wrLeftA"')[1].split("</tr>")[0]
    assert "王五 (left)" in row and 'data-stat="members">5<' in row
    assert 'data-stat="joined">2<' in row and 'data-stat="left">0<' in row
    assert chat_rows(admin.get(f"{BASE}/unassigned?sort=created").text) == ["wrLeftA", "wrLeftB"]
    assert chat_rows(admin.get(f"{BASE}/unassigned?name=fans").text) == ["wrLeftB"]
    owner = employee(db, synced.tenant_id, "wangwu").id
    assert chat_rows(admin.get(f"{BASE}/unassigned?owner={owner}").text) == ["wrLeftB", "wrLeftA"]


def test_the_counters_reset_at_midnight(db, admin, synced):
    chat = chat_of(db, synced.tenant_id, "wrLeftA")
    chat.counter_day = chat.counter_day - timedelta(days=1)
    db.add(chat)
    db.commit()
    row = admin.get(f"{BASE}/unassigned").text.split('data-chat-id="wrLeftA"')[1].split("</tr>")[0]
    assert 'data-stat="joined">0<' in row and 'data-stat="left">0<' in row


def test_assigning_needs_a_chat_and_an_active_employee(db, admin, synced):
    chat = chat_of(db, synced.tenant_id, "wrLeftA")
    no_employee = admin.post(f"{BASE}/assign", data={"chat_ids": [str(chat.id)]})
    assert no_employee.status_code == 422 and "Choose the employee who takes the group chats over." in no_employee.text
    lisi = employee(db, synced.tenant_id, "lisi")
    no_chat = admin.post(f"{BASE}/assign", data={"takeover_id": str(lisi.id)})
    assert no_chat.status_code == 422 and "Select at least one group chat." in no_chat.text
    left = _assign(admin, db, synced.tenant_id, "wangwu", "wrLeftA")
    assert left.status_code == 422 and "must be an active employee" in left.text
    active_owner = _assign(admin, db, synced.tenant_id, "lisi", "wrActive")  # not unassigned
    assert active_owner.status_code == 422
    assert assignments(db, synced.tenant_id) == []


def test_assign_confirm_and_reappear_when_the_new_owner_leaves(db, admin, synced, sandbox, chats, wsgi_http, worker):
    """Acceptance 13 and 14."""
    worker.join()
    sandbox[1].clear_calls()
    response = _assign(admin, db, synced.tenant_id, "lisi", "wrLeftA", "wrLeftB")
    assert response.status_code == 302
    page = admin.get(f"{BASE}/unassigned").text
    assert "being assigned" in page and "refresh this page later" in page
    [call] = sandbox[1].calls("/cgi-bin/externalcontact/groupchat/transfer")
    assert sorted(call["body"]["chat_id_list"]) == ["wrLeftA", "wrLeftB"] and call["body"]["new_owner"] == "lisi"
    records = assignments(db, synced.tenant_id)
    lisi = employee(db, synced.tenant_id, "lisi")
    assert {(r.chat_name, r.status, r.takeover_employee_id, r.member_count, r.operator) for r in records} == {
        ("VIP group", "waiting", lisi.id, 5, "admin@acme.test"), ("Store fans", "waiting", lisi.id, 2,
                                                                  "admin@acme.test")}
    # asynchronous: still listed, marked pending, until WeCom confirms
    assert chat_rows(page) == ["wrLeftB", "wrLeftA"] and "Assignment to 李四 pending" in page
    worker.join()
    completed = chats.complete_transfers()
    assert completed["completed"] == 2
    for xml in completed["xml"]:
        fire_xml(wsgi_http, synced, xml)
    worker.join()
    assert {r.status for r in assignments(db, synced.tenant_id)} == {"done"}
    assert chat_of(db, synced.tenant_id, "wrLeftA").owner_userid == "lisi"
    assert "0 unassigned group chats" in admin.get(f"{BASE}/unassigned").text
    # G (李四) leaves: the chats come back and the records say so
    fire(wsgi_http, synced, "delete_user", event="change_contact", UserID="lisi")
    worker.join()
    page = admin.get(f"{BASE}/unassigned").text
    assert "2 unassigned group chats" in page and "李四 (left)" in page
    records = admin.get(f"{BASE}/records").text
    assert "2 assigned group chats" in records and records.count("李四 (left)") >= 2


def test_failed_chats_are_recorded_with_wecom_s_code(db, admin, synced, sandbox, chats):
    """A chat WeCom refuses (its owner in WeCom has not left, the mirror is behind) is recorded as failed."""
    assert sandbox[1].corp(CORP_ID)["group_chats"]["wrLeftB"]["owner"] == "wangwu"
    chats.create({"chat_id": "wrLeftB", "name": "Store fans", "owner": "zhangsan", "create_time": 1710000000})
    response = _assign(admin, db, synced.tenant_id, "lisi", "wrLeftA", "wrLeftB")
    assert response.status_code == 302
    page = admin.get(f"{BASE}/unassigned").text
    assert "WeCom refused 1 group chats" in page
    by_name = {r.chat_name: r for r in assignments(db, synced.tenant_id)}
    assert by_name["Store fans"].status == "failed" and by_name["Store fans"].errcode == 90500
    assert by_name["VIP group"].status == "waiting"


def test_more_than_100_chats_go_in_chunks_of_100(db, platform, admin, synced, sandbox, chats):
    many = [{"chat_id": f"wrMany{i:03}", "name": f"Group {i}", "owner": "wangwu"} for i in range(150)]
    chats.create(*many)
    run_group_sync(db, platform, synced)
    sandbox[1].clear_calls()
    response = _assign(admin, db, synced.tenant_id, "zhangsan", *[c["chat_id"] for c in many])
    assert response.status_code == 302
    calls = sandbox[1].calls("/cgi-bin/externalcontact/groupchat/transfer")
    assert [len(c["body"]["chat_id_list"]) for c in calls] == [100, 50]
    assert count(db, GroupAssignment, GroupAssignment.status == "waiting") == 150


def _age(db, tenant_id: int, chat_name: str, age: timedelta) -> None:
    record = next(r for r in assignments(db, tenant_id) if r.chat_name == chat_name)
    record.assigned_at = utcnow() - age
    db.add(record)
    db.commit()


def test_the_tracker_confirms_without_a_callback(db, admin, synced, sandbox, worker):
    worker.join()
    assert _assign(admin, db, synced.tenant_id, "lisi", "wrLeftA").status_code == 302
    key = jobs.tracker_key(synced.tenant_id)
    db.commit()
    assert db.execute(select(ScheduledJob.status).where(ScheduledJob.key == key)).scalar_one() == "pending"
    GroupChatControl(sandbox[1], CORP_ID).complete_transfers()  # no callback fired
    jobs.track_assignments.send(synced.tenant_id)
    worker.join()
    assert [r.status for r in assignments(db, synced.tenant_id)] == ["done"]
    db.expire_all()
    assert db.execute(select(ScheduledJob.status).where(ScheduledJob.key == key)).scalar_one() == "cancelled"


def test_a_chat_confirmed_before_24_hours_but_read_after_them_is_done(db, admin, synced, sandbox, worker):
    """The tracker re-reads before it expires: WeCom handed the chat over in time, the mirror only saw it late."""
    worker.join()
    assert _assign(admin, db, synced.tenant_id, "lisi", "wrLeftA").status_code == 302
    GroupChatControl(sandbox[1], CORP_ID).complete_transfers()
    _age(db, synced.tenant_id, "VIP group", TRACK_FOR + timedelta(minutes=1))
    jobs.track_assignments.send(synced.tenant_id)
    worker.join()
    [record] = assignments(db, synced.tenant_id)
    assert record.status == "done" and record.error == ""
    assert chat_of(db, synced.tenant_id, "wrLeftA").owner_userid == "lisi"


def test_a_chat_wecom_did_not_confirm_within_24_hours_fails(db, admin, synced, sandbox, worker):
    worker.join()
    assert _assign(admin, db, synced.tenant_id, "lisi", "wrLeftA", "wrLeftB").status_code == 302
    _age(db, synced.tenant_id, "Store fans", TRACK_FOR + timedelta(minutes=1))
    _age(db, synced.tenant_id, "VIP group", TRACK_FOR - timedelta(minutes=1))
    jobs.track_assignments.send(synced.tenant_id)  # WeCom never completed either transfer
    worker.join()
    by_name = {r.chat_name: r for r in assignments(db, synced.tenant_id)}
    assert by_name["Store fans"].status == "failed" and "24 hours" in by_name["Store fans"].error
    assert by_name["VIP group"].status == "waiting"
    key = jobs.tracker_key(synced.tenant_id)
    db.expire_all()
    assert db.execute(select(ScheduledJob.status).where(ScheduledJob.key == key)).scalar_one() == "pending"


def test_the_tracker_does_not_fail_what_it_could_not_read(db, admin, synced, sandbox, worker, monkeypatch):
    """WeCom unreachable: the overdue record keeps waiting for the next run instead of failing unchecked."""
    from scrm_wecom.client import WeComUnavailable

    worker.join()
    assert _assign(admin, db, synced.tenant_id, "lisi", "wrLeftA").status_code == 302
    GroupChatControl(sandbox[1], CORP_ID).complete_transfers()
    _age(db, synced.tenant_id, "VIP group", TRACK_FOR + timedelta(hours=1))

    def unreachable(*args, **kwargs):
        raise WeComUnavailable("connection refused")

    monkeypatch.setattr(jobs, "refresh", unreachable)
    jobs.track_assignments.send(synced.tenant_id)
    worker.join()
    assert [r.status for r in assignments(db, synced.tenant_id)] == ["waiting"]
    monkeypatch.undo()
    jobs.track_assignments.send(synced.tenant_id)
    worker.join()
    assert [r.status for r in assignments(db, synced.tenant_id)] == ["done"]


def test_records_filters_count_and_exports(db, admin, synced, sandbox):
    _assign(admin, db, synced.tenant_id, "lisi", "wrLeftA")
    _assign(admin, db, synced.tenant_id, "zhangsan", "wrLeftB")
    page = admin.get(f"{BASE}/records").text
    assert "2 assigned group chats" in page and "VIP group" in page and "Store fans" in page
    lisi = employee(db, synced.tenant_id, "lisi").id
    filtered = admin.get(f"{BASE}/records?takeover={lisi}").text
    assert "1 assigned group chat" in filtered and "Store fans" not in filtered
    assert "1 assigned group chat" in admin.get(f"{BASE}/records?name=fans").text
    today = utcnow().date()
    assert "0 assigned group chats" in admin.get(f"{BASE}/records?end={today - timedelta(days=3)}").text
    assert "2 assigned group chats" in admin.get(
        f"{BASE}/records?start={today - timedelta(days=1)}&end={today + timedelta(days=1)}").text
    exported = admin.get(f"{BASE}/records/export.csv?takeover={lisi}")
    assert exported.status_code == 200 and "attachment" in exported.headers["Content-Disposition"]
    rows = list(csv.reader(io.StringIO(exported.get_data(as_text=True).lstrip("\ufeff"))))
    assert rows[0][:3] == ["Group chat", "Takeover employee", "Group members"]
    assert [r[:3] for r in rows[1:]] == [["VIP group", "李四", "5"]] and rows[1][4] == "Waiting"
    workbook = load_workbook(io.BytesIO(admin.get(f"{BASE}/records/export.xlsx").data))
    sheet = workbook.active
    values = [[c.value for c in row] for row in sheet.iter_rows()]
    assert len(values) == 3 and {v[0] for v in values[1:]} == {"VIP group", "Store fans"}
    assert admin.get(f"{BASE}/records/export.pdf").status_code == 404


def test_the_detail_page_lists_members_with_customer_links(db, admin, synced):
    chat = chat_of(db, synced.tenant_id, "wrLeftA")
    html = admin.get(f"{BASE}/{chat.id}").text
    assert "VIP group" in html and "王五 (left)" in html
    assert 'data-member-id="wmBob"' in html and 'data-customer-id="' in html.split('data-member-id="wmBob"')[1]
    stranger = html.split('data-member-id="wmStranger"')[1].split("</tr>")[0]
    assert "data-customer-id" not in stranger and "External user" in stranger
    assert "Scanned the group QR code" in html


def test_another_tenant_sees_and_assigns_nothing_of_this_tenant(db, admin, synced, sandbox, other_tenant,
                                                                enable_plugins, make_user, login, make_account):
    _assign(admin, db, synced.tenant_id, "lisi", "wrLeftA")
    chat = chat_of(db, synced.tenant_id, "wrLeftA")
    enable_plugins(other_tenant, "wecom")
    intruder = login(make_user("admin@globex.test", other_tenant, role="tenant_admin"))
    other = "/t/globex/wecom/groupchats"
    assert "0 unassigned group chats" in intruder.get(f"{other}/unassigned").text
    records = intruder.get(f"{other}/records").text
    assert "0 assigned group chats" in records and "VIP group" not in records
    assert "VIP group" not in intruder.get(f"{other}/records/export.csv").get_data(as_text=True)
    assert intruder.get(f"{other}/{chat.id}").status_code == 404
    lisi = employee(db, synced.tenant_id, "lisi")
    sandbox[1].clear_calls()
    refused = intruder.post(f"{other}/assign", data={"chat_ids": [str(chat.id)], "takeover_id": str(lisi.id)})
    assert refused.status_code == 422 and sandbox[1].calls("/cgi-bin/externalcontact/groupchat/transfer") == []
    assert len(assignments(db, synced.tenant_id)) == 1
    assert count(db, GroupAssignment, GroupAssignment.tenant_id == other_tenant.id) == 0
    assert db.execute(select(ChannelAccount.tenant_id).where(ChannelAccount.id == chat.account_id)).scalar_one() \
        == synced.tenant_id
    assert count(db, GroupChat, GroupChat.tenant_id == other_tenant.id) == 0


def test_disabled_plugin_pages_answer_404(db, admin, tenant, synced):
    from scrm.core.plugins.enablement import disable_plugin

    registry = admin.application.extensions["scrm"].registry
    disable_plugin(db, registry, db.merge(tenant), "wecom")
    db.commit()
    for path in ("/", "/unassigned", "/records", "/records/export.csv"):
        assert admin.get(BASE + path).status_code == 404, path


def test_chats_of_a_member_wecom_disabled_go_through_the_on_the_job_transfer(db, platform, admin, synced, sandbox,
                                                                             chats):
    """赵六 is disabled in WeCom (status 2: still a member, so the resigned transfer would refuse with 90500): the
    chat is unassigned like those of members who left, and its transfer goes through ``groupchat/onjob_transfer``."""
    chats.create({"chat_id": "wrDisabled", "name": "Disabled fans", "owner": "zhaoliu", "create_time": 1715000000,
                  "members": [{"userid": "wmDan", "type": 2, "join_time": 1715000000}]})
    run_group_sync(db, platform, synced)
    sandbox[1].clear_calls()
    assert "wrDisabled" in admin.get(f"{BASE}/unassigned").text
    assert _assign(admin, db, synced.tenant_id, "lisi", "wrLeftA", "wrDisabled").status_code == 302
    [onjob] = sandbox[1].calls("/cgi-bin/externalcontact/groupchat/onjob_transfer")
    [resigned] = sandbox[1].calls("/cgi-bin/externalcontact/groupchat/transfer")
    assert onjob["body"]["chat_id_list"] == ["wrDisabled"] and resigned["body"]["chat_id_list"] == ["wrLeftA"]
    assert {r.chat_name: r.status for r in assignments(db, synced.tenant_id)} == {
        "VIP group": "waiting", "Disabled fans": "waiting"}


def test_the_records_date_filter_uses_china_days(db, admin, synced):
    """An assignment at 01:00 in Shanghai (17:00 UTC the day before) is filed under its Shanghai day."""
    from datetime import UTC, datetime

    _assign(admin, db, synced.tenant_id, "lisi", "wrLeftA")
    [record] = assignments(db, synced.tenant_id)
    record.assigned_at = datetime(2026, 3, 9, 17, 0, tzinfo=UTC)
    db.add(record)
    db.commit()
    assert "1 assigned group chat" in admin.get(f"{BASE}/records?start=2026-03-10&end=2026-03-10").text
    assert "0 assigned group chats" in admin.get(f"{BASE}/records?start=2026-03-09&end=2026-03-09").text
