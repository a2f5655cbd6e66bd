"""Shared fixtures of the group chat tests: the sync corp (members, one who left, customers) synced into the tenant,
customer group chats in the sandbox, and helpers to sync them and read the mirror.
Import explicitly: ``from wecom_groupchats_fixtures import ...``."""

from __future__ import annotations

import time

import pytest
from scrm_wecom.groupchats import sync as group_sync
from scrm_wecom.groupchats.models import GroupAssignment, GroupChat, GroupMember
from scrm_wecom.sandbox import GroupChatControl
from sqlalchemy import select
from wecom_foundation_fixtures import *  # noqa: F403
from wecom_sync_fixtures import *  # noqa: F403
from wecom_sync_fixtures import CORP_ID, run_full_sync

NOW = int(time.time())
LONG_AGO = 1700000000  # 2023-11-14: joins of another day


def chat_seeds() -> list[dict]:
    """Three chats: two owned by 王五 (left), one by 张三 (active)."""
    return [
        {"chat_id": "wrLeftA", "name": "VIP group", "owner": "wangwu", "create_time": 1700000000, "notice": "Hi",
         "members": [{"userid": "wangwu", "type": 1, "join_time": LONG_AGO},
                     {"userid": "lisi", "type": 1, "join_time": LONG_AGO, "join_scene": 1, "invitor": "wangwu"},
                     {"userid": "wmBob", "type": 2, "join_time": LONG_AGO, "join_scene": 3, "name": "Bob"},
                     {"userid": "wmAlice", "type": 2, "join_time": NOW, "join_scene": 2, "unionid": "unionAlice"},
                     {"userid": "wmStranger", "type": 2, "join_time": NOW, "join_scene": 3, "name": "Stranger"}]},
        {"chat_id": "wrLeftB", "name": "Store fans", "owner": "wangwu", "create_time": 1710000000,
         "members": [{"userid": "wmCarol", "type": 2, "join_time": LONG_AGO}]},
        {"chat_id": "wrActive", "name": "Head office", "owner": "zhangsan", "create_time": 1720000000,
         "members": [{"userid": "wmAlice", "type": 2, "join_time": LONG_AGO}]},
    ]


@pytest.fixture
def chats(sandbox) -> GroupChatControl:
    """The sandbox's group-chat control with :func:`chat_seeds` created."""
    control = GroupChatControl(sandbox[1], CORP_ID)
    control.create(*chat_seeds())
    return control


@pytest.fixture
def synced(db, platform, sync_account, chats):
    """The account after a full contact sync (employees, customers) and a full group chat sync."""
    run_full_sync(db, platform, sync_account)
    run_group_sync(db, platform, sync_account)
    return sync_account


def run_group_sync(db, platform, account):
    """Create and execute a group chat sync inline in a writer session (like the job's); returns the run."""
    from sqlmodel import Session

    from scrm.core.db import writer

    db.commit()
    with Session(writer(platform.engine), expire_on_commit=False) as session:
        account = session.get(type(account), account.id)
        run, created = group_sync.create_sync(session, account, "test")
        session.commit()
        assert created
        group_sync.run_sync(session, platform, run, backoff=(0.01,))
        session.commit()
    return run


def chat_of(db, tenant_id: int, chat_id: str) -> GroupChat:
    db.commit()
    db.expire_all()
    return db.execute(select(GroupChat).where(GroupChat.tenant_id == tenant_id, GroupChat.chat_id == chat_id)
                      ).scalar_one()


def members_of(db, chat: GroupChat) -> dict[str, GroupMember]:
    db.commit()
    db.expire_all()
    return {m.member_id: m for m in db.execute(select(GroupMember).where(GroupMember.group_chat_id == chat.id))
            .scalars()}


def assignments(db, tenant_id: int) -> list[GroupAssignment]:
    db.commit()
    db.expire_all()
    return list(db.execute(select(GroupAssignment).where(GroupAssignment.tenant_id == tenant_id)
                           .order_by(GroupAssignment.id)).scalars())


def fire_xml(wsgi_http, account, xml: str):
    """Fire the event XML the sandbox built at the account's callback URL (through the host, in process)."""
    from scrm_wecom.sandbox import fire_callback
    from wecom_sync_fixtures import TARGET

    response = fire_callback(f"http://localhost/callbacks/wecom/{account.id}", TARGET, xml, http=wsgi_http)
    assert response.status_code == 200, response.text
    return response


@pytest.fixture
def admin(db, tenant, synced, wecom_admin):
    """A tenant admin of ``tenant``, signed in, after the contact and group chat syncs."""
    return wecom_admin(tenant)


def chat_rows(html: str) -> list[str]:
    """The chat ids of a list page's rows, in order."""
    return [part.split('"', 1)[0] for part in html.split('data-chat-id="')[1:]]


def chat_row(html: str, chat_id: str) -> str:
    """The HTML of one chat's row."""
    return html.split(f'data-chat-id="{chat_id}"')[1].split("</tr>")[0]


__all__ = ["LONG_AGO", "NOW", "admin", "assignments", "chat_of", "chat_row", "chat_rows", "chat_seeds", "chats",
           "fire_xml", "members_of", "run_group_sync", "synced"]
