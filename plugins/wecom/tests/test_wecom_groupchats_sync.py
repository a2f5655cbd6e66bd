"""The group chat mirror from a full sync: chats, owners, members linked to employees and customers, today's
joins, dismissed chats, a second sync changing nothing; the "Sync" button with its progress; tenant isolation of
the sync page and job."""

from __future__ import annotations

from scrm_wecom.groupchats import jobs
from scrm_wecom.groupchats.models import GroupChat, GroupChatSync, GroupMember
from sqlalchemy import select
from wecom_foundation_fixtures import *  # noqa: F403
from wecom_groupchats_fixtures import *  # noqa: F403
from wecom_groupchats_fixtures import chat_of, members_of, run_group_sync
from wecom_sync_fixtures import *  # noqa: F403
from wecom_sync_fixtures import count, customer_of, employee, run_full_sync


def test_a_full_sync_mirrors_chats_owners_and_members(db, synced):
    tenant_id = synced.tenant_id
    chat = chat_of(db, tenant_id, "wrLeftA")
    assert (chat.name, chat.owner_userid, chat.notice, chat.member_count, chat.status) == ("VIP group", "wangwu",
                                                                                         "Hi", 5, "normal")
    assert chat.owner_employee_id == employee(db, tenant_id, "wangwu").id
    assert chat.created_at.timestamp() == 1700000000 and chat.member_version
    members = members_of(db, chat)
    assert members["lisi"].type == 1 and members["lisi"].employee_id == employee(db, tenant_id, "lisi").id
    assert members["lisi"].invitor_userid == "wangwu" and members["lisi"].customer_id is None
    assert members["wmBob"].customer_id == customer_of(db, tenant_id, "wmBob").id and members["wmBob"].join_scene == 3
    assert members["wmAlice"].customer_id == customer_of(db, tenant_id, "wmAlice").id
    assert members["wmStranger"].customer_id is None and members["wmStranger"].name == "Stranger"
    # two members joined today (Alice and the stranger); nobody left: a first read counts no leaves
    assert (chat.joined_today, chat.left_today) == (2, 0)
    assert count(db, GroupChat, GroupChat.tenant_id == tenant_id) == 3


def test_a_second_sync_changes_nothing_and_a_vanished_chat_is_dismissed(db, platform, synced, sandbox, chats):
    before = {m.member_id: (m.id, m.customer_id) for m in members_of(db, chat_of(db, synced.tenant_id, "wrLeftA")).values()}
    chats.dismiss("wrLeftB")
    run = run_group_sync(db, platform, synced)
    assert run.status == "done"
    assert run.stats["chats"] == {"chats_created": 0, "chats_updated": 2, "chats_dismissed": 1, "members_joined": 0,
                                  "members_left": 0}
    chat = chat_of(db, synced.tenant_id, "wrLeftA")
    assert {m.member_id: (m.id, m.customer_id) for m in members_of(db, chat).values()} == before
    assert (chat.joined_today, chat.left_today) == (2, 0)
    assert chat_of(db, synced.tenant_id, "wrLeftB").status == "dismissed"


def test_members_gone_at_the_next_sync_count_as_left_today(db, platform, synced, sandbox, chats):
    chats.leave("wrLeftA", "wmBob", "lisi")
    chats.join("wrLeftA", {"userid": "wmLate", "type": 2})
    run_group_sync(db, platform, synced)
    chat = chat_of(db, synced.tenant_id, "wrLeftA")
    assert set(members_of(db, chat)) == {"wangwu", "wmAlice", "wmStranger", "wmLate"}
    assert (chat.member_count, chat.joined_today, chat.left_today) == (4, 3, 2)


def test_a_failed_sync_shows_wecom_s_error(db, platform, sync_account, chats, sandbox):
    run_full_sync(db, platform, sync_account)
    sandbox[1].fail_next("/cgi-bin/externalcontact/groupchat/list", 45009, 4)
    run = run_group_sync(db, platform, sync_account)
    assert run.status == "failed" and "45009" in run.error


def test_the_sync_button_runs_the_job_and_shows_progress(db, platform, tenant, sync_account, chats, wecom_admin,
                                                         worker):
    run_full_sync(db, platform, sync_account)
    worker.join()
    admin = wecom_admin(tenant)
    page = admin.get("/t/acme/wecom/groupchats/")
    assert page.status_code == 200 and "No group chats yet" in page.text
    response = admin.post("/t/acme/wecom/groupchats/sync", data={"account": sync_account.id, "back": "unassigned"})
    assert response.status_code == 302 and response.location.endswith("/t/acme/wecom/groupchats/unassigned")
    worker.join()
    run = db.execute(select(GroupChatSync)).scalar_one()
    assert run.status == "done" and run.requested_by == "admin@acme.test" and run.progress == 100
    partial = admin.get(f"/t/acme/wecom/groupchats/syncs/{run.id}/progress").text
    assert 'data-status="done"' in partial and "hx-get" not in partial and "3 new" in partial
    page = admin.get("/t/acme/wecom/groupchats/").text
    assert "VIP group" in page and "Head office" in page and "3 group chats" in page


def test_a_queued_sync_is_polled_and_not_started_twice(db, tenant, sync_account, wecom_admin):
    admin = wecom_admin(tenant)
    admin.post("/t/acme/wecom/groupchats/sync", data={"account": sync_account.id})
    again = admin.post("/t/acme/wecom/groupchats/sync", data={"account": sync_account.id}, follow_redirects=True)
    assert "already running" in again.text
    run = db.execute(select(GroupChatSync)).scalar_one()
    partial = admin.get(f"/t/acme/wecom/groupchats/syncs/{run.id}/progress").text
    assert 'hx-trigger="every 1s"' in partial and 'data-status="queued"' in partial


def test_another_tenant_can_neither_see_nor_run_this_tenants_sync(db, synced, other_tenant, enable_plugins,
                                                                  make_user, login):
    run = db.execute(select(GroupChatSync)).scalar_one()
    enable_plugins(other_tenant, "wecom")
    intruder = login(make_user("admin@globex.test", other_tenant, role="tenant_admin"))
    page = intruder.get("/t/globex/wecom/groupchats/").text
    assert "VIP group" not in page and "0 group chats" in page
    assert intruder.get(f"/t/globex/wecom/groupchats/syncs/{run.id}/progress").status_code == 404
    assert intruder.post("/t/globex/wecom/groupchats/sync", data={"account": synced.id}).status_code == 404
    db.commit()
    jobs.sync_group_chats(other_tenant.id, run_id=run.id)
    jobs.refresh_chat(other_tenant.id, account_id=synced.id, chat_id="wrLeftA")
    jobs.track_assignments(other_tenant.id)
    db.commit()
    assert count(db, GroupChat, GroupChat.tenant_id == other_tenant.id) == 0
    assert count(db, GroupMember, GroupMember.tenant_id == other_tenant.id) == 0
    assert count(db, GroupChatSync) == 1
