"""Incremental mirror updates from ``change_external_chat`` callbacks (through the host gateway, the callback job, the
domain events and the re-read job): members joining and leaving with today's counters, the counters of another day,
owner / name changes, a new chat, dismissal, and the member events published for other plugins."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from scrm_wecom.groupchats.counters import add_counts, local_day, today_counts
from scrm_wecom.groupchats.events import on_domain_event
from scrm_wecom.groupchats.mirror import Mirror
from scrm_wecom.groupchats.models import GroupChat
from sqlalchemy import select
from wecom_foundation_fixtures import *  # noqa: F403
from wecom_groupchats_fixtures import *  # noqa: F403
from wecom_groupchats_fixtures import chat_of, fire_xml, members_of
from wecom_sync_fixtures import *  # noqa: F403
from wecom_sync_fixtures import CORP_ID, count, customer_of, fire

from scrm.core.models import Outbox
from scrm.sdk import DomainEvent


def _events(db, type_: str) -> list[Outbox]:
    db.commit()
    return list(db.execute(select(Outbox).where(Outbox.type == type_).order_by(Outbox.id)).scalars())


def test_members_joining_and_leaving_update_rows_counters_and_publish_events(db, synced, chats, wsgi_http, worker):
    joined = chats.join("wrActive", {"userid": "wmBob", "type": 2}, {"userid": "wmNew", "type": 2}, join_scene=3)
    fire_xml(wsgi_http, synced, joined["xml"])
    worker.join()
    chat = chat_of(db, synced.tenant_id, "wrActive")
    members = members_of(db, chat)
    assert set(members) == {"zhangsan", "wmAlice", "wmBob", "wmNew"} and chat.member_count == 4
    assert members["wmBob"].customer_id == customer_of(db, synced.tenant_id, "wmBob").id
    assert members["wmNew"].join_scene == 3 and members["wmNew"].type == 2
    assert (chat.joined_today, chat.left_today, chat.counter_day) == (2, 0, local_day())
    event = _events(db, "wecom.group_member_joined")[-1]
    assert event.payload["chat_id"] == "wrActive" and event.payload["join_scene"] == 3
    assert {m["member_id"] for m in event.payload["members"]} == {"wmBob", "wmNew"}

    fire_xml(wsgi_http, synced, chats.leave("wrActive", "wmNew", quit_scene=1)["xml"])
    worker.join()
    chat = chat_of(db, synced.tenant_id, "wrActive")
    assert set(members_of(db, chat)) == {"zhangsan", "wmAlice", "wmBob"}
    assert (chat.member_count, chat.joined_today, chat.left_today) == (3, 2, 1)
    left = _events(db, "wecom.group_member_left")[-1]
    assert left.payload["quit_scene"] == 1 and [m["member_id"] for m in left.payload["members"]] == ["wmNew"]


def test_a_repeated_member_change_counts_once(db, synced):
    account = synced
    chat = chat_of(db, account.tenant_id, "wrActive")
    mirror = Mirror(db, account)
    first = mirror.member_change(chat, joined=["wmX"], member_version="v2")
    again = mirror.member_change(chat, joined=["wmX"], member_version="v2")
    gone = mirror.member_change(chat, left=["wmX", "wmNobody"])
    gone_again = mirror.member_change(chat, left=["wmX"])
    db.commit()
    assert (len(first.joined), len(again.joined), len(gone.left), len(gone_again.left)) == (1, 0, 1, 0)
    chat = chat_of(db, account.tenant_id, "wrActive")
    assert (chat.joined_today, chat.left_today, chat.member_count) == (1, 1, 2)


def test_counters_of_another_day_read_as_zero_and_restart(db, synced):
    chat = chat_of(db, synced.tenant_id, "wrLeftA")
    yesterday = local_day() - timedelta(days=1)
    chat.counter_day, chat.joined_today, chat.left_today = yesterday, 7, 3
    assert today_counts(chat) == (0, 0)
    assert today_counts(chat, yesterday) == (7, 3)
    add_counts(chat, left=1)
    assert (chat.counter_day, chat.joined_today, chat.left_today) == (local_day(), 0, 1)
    add_counts(chat, joined=1, today=date(2030, 1, 1))
    assert (chat.joined_today, chat.left_today) == (1, 0)


def test_a_join_announced_for_another_day_is_not_counted_today(db, synced):
    from datetime import UTC, datetime

    chat = chat_of(db, synced.tenant_id, "wrActive")
    change = Mirror(db, synced).member_change(chat, joined=["wmOld"], when=datetime(2024, 1, 1, tzinfo=UTC))
    assert len(change.joined) == 1 and today_counts(chat) == (0, 0)


def test_owner_name_and_notice_changes_are_read_again(db, synced, chats, wsgi_http, worker):
    for xml in chats.update("wrActive", name="HQ friends", notice="Welcome")["xml"]:
        fire_xml(wsgi_http, synced, xml)
    worker.join()
    chat = chat_of(db, synced.tenant_id, "wrActive")
    assert (chat.name, chat.notice) == ("HQ friends", "Welcome")


def test_a_new_chat_is_read_and_a_dismissed_one_marked(db, synced, chats, wsgi_http, worker):
    created = chats.create({"chat_id": "wrNew", "name": "New group", "owner": "lisi",
                            "members": [{"userid": "wmCarol", "type": 2}]})
    assert created == ["wrNew"]
    fire(wsgi_http, synced, "create", event="change_external_chat", ChatId="wrNew")
    worker.join()
    chat = chat_of(db, synced.tenant_id, "wrNew")
    assert (chat.name, chat.owner_userid, chat.member_count, chat.joined_today) == ("New group", "lisi", 2, 2)
    fire_xml(wsgi_http, synced, chats.dismiss("wrNew")["xml"])
    worker.join()
    assert chat_of(db, synced.tenant_id, "wrNew").status == "dismissed"


def test_a_re_read_older_than_the_callback_keeps_the_callback_s_members(db, synced, sandbox, worker):
    """WeCom's detail lags its callbacks: an answer still at LastMemVer does not undo the change."""
    worker.join()
    chat = chat_of(db, synced.tenant_id, "wrActive")
    stale = chat.member_version  # the sandbox still answers this version: the join below never reached it
    payload = {"account_id": synced.id, "chat_id": "wrActive", "update_detail": "add_member", "join_scene": 1,
               "member_userids": ["wmGhost"], "last_mem_ver": stale, "cur_mem_ver": "v-next", "create_time": None}
    on_domain_event(DomainEvent("e-stale", "wecom.group_chat_updated", synced.tenant_id, payload), db)
    db.commit()
    worker.join()
    assert "wmGhost" in members_of(db, chat_of(db, synced.tenant_id, "wrActive"))


@pytest.mark.parametrize("type_", ["wecom.group_chat_updated", "wecom.group_chat_dismissed"])
def test_events_of_another_tenant_never_touch_this_tenants_chats(db, synced, other_tenant, enable_plugins, type_):
    enable_plugins(other_tenant, "wecom")
    payload = {"account_id": synced.id, "chat_id": "wrActive", "update_detail": "add_member",
               "member_userids": ["wmIntruder"]}
    on_domain_event(DomainEvent("e-x", type_, other_tenant.id, payload), db)
    db.commit()
    chat = chat_of(db, synced.tenant_id, "wrActive")
    assert chat.status == "normal" and "wmIntruder" not in members_of(db, chat)
    assert count(db, GroupChat, GroupChat.tenant_id == other_tenant.id) == 0


def test_corp_id_is_the_callback_s(synced):
    assert synced.external_id == CORP_ID


def test_a_merged_customer_s_memberships_move_to_the_survivor(db, synced):
    from scrm_wecom.groupchats.mirror import customer_merged

    bob = customer_of(db, synced.tenant_id, "wmBob").id
    alice = customer_of(db, synced.tenant_id, "wmAlice").id
    customer_merged(db, synced.tenant_id, alice, bob)
    db.commit()
    members = members_of(db, chat_of(db, synced.tenant_id, "wrLeftA"))
    assert members["wmBob"].customer_id == alice and members["wmAlice"].customer_id == alice
