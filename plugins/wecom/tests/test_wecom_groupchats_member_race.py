"""A member join recorded by both sides of a race: the callback's member change and the re-read it triggers
(``refresh_chat``) may both read a member as missing and insert it. The insert skips a row the other side wrote since
the read (no unique-key violation, the job does not fail), the member is recorded once and its join counted once.

On PostgreSQL the other side writes through its own connection and commits (the real race); on SQLite, where a job
holds the database's write lock from its first statement, it writes in the job's own transaction between the read and
the write, which is what the insert meets either way."""

from __future__ import annotations

from datetime import UTC, datetime

from scrm_wecom.groupchats import jobs as groupchat_jobs
from scrm_wecom.groupchats.mirror import Mirror
from scrm_wecom.groupchats.models import GroupMember
from sqlalchemy import insert
from sqlmodel import Session
from wecom_foundation_fixtures import *  # noqa: F403
from wecom_groupchats_fixtures import *  # noqa: F403
from wecom_groupchats_fixtures import chat_of, members_of
from wecom_sync_fixtures import *  # noqa: F403

from scrm.core.db import writer


def _interloper(monkeypatch, platform, member_id: str) -> list[str]:
    """After the mirror's next read of members, the other side inserts ``member_id`` into the chat it read."""
    done: list[str] = []
    read = Mirror._members

    def read_then_race(self, chat_pks):
        existing = read(self, chat_pks)
        if not done and chat_pks:
            values = {"tenant_id": self.tenant_id, "group_chat_id": chat_pks[0], "member_id": member_id, "type": 2,
                      "name": "", "group_nickname": "", "unionid": "", "join_scene": 1, "invitor_userid": "",
                      "state": "", "join_time": datetime.now(UTC)}
            if platform.engine.dialect.name == "postgresql":
                with platform.engine.begin() as other:  # another transaction, committed before this one writes
                    other.execute(insert(GroupMember.__table__).values(values))
            else:
                self.session.execute(insert(GroupMember.__table__).values(values))
            done.append(member_id)
        return existing

    monkeypatch.setattr(Mirror, "_members", read_then_race)
    return done


def test_the_re_read_does_not_fail_on_a_member_the_callback_inserted_meanwhile(db, platform, synced, chats, worker,
                                                                               monkeypatch):
    worker.join()
    before = chat_of(db, synced.tenant_id, "wrActive")
    joined_before = before.joined_today
    chats.join("wrActive", {"userid": "wmNew", "type": 2, "group_nickname": "新人"}, join_scene=3)
    raced = _interloper(monkeypatch, platform, "wmNew")
    groupchat_jobs.refresh_chat.fn(synced.tenant_id, account_id=synced.id, chat_id="wrActive")
    assert raced == ["wmNew"]
    chat = chat_of(db, synced.tenant_id, "wrActive")
    members = members_of(db, chat)
    assert set(members) == {"zhangsan", "wmAlice", "wmNew"} and chat.member_count == 3
    assert members["wmNew"].join_scene == 3 and members["wmNew"].group_nickname == "新人"  # the re-read's values
    assert chat.joined_today == joined_before  # counted by the side that inserted it, not twice


def test_a_member_change_skips_a_member_the_re_read_inserted_meanwhile(db, platform, synced, worker, monkeypatch):
    worker.join()
    raced = _interloper(monkeypatch, platform, "wmLate")
    with Session(writer(platform.engine)) as session:
        account = session.get(type(synced), synced.id)
        mirror = Mirror(session, account)
        chat = mirror.chat("wrActive")
        change = mirror.member_change(chat, joined=["wmLate", "wmOther"], join_scene=2)
        session.commit()
        assert raced == ["wmLate"] and [m.member_id for m in change.joined] == ["wmOther"]
    members = members_of(db, chat_of(db, synced.tenant_id, "wrActive"))
    assert {"wmLate", "wmOther"} <= set(members)
    assert (members["wmLate"].join_scene, members["wmOther"].join_scene) == (1, 2)
