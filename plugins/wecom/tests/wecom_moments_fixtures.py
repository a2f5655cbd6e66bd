"""Shared fixtures of the Moments and group welcome tests: the sync corp synced into the tenant (employees 张三 and
李四 active, 王五 left; corp tags Gold, Silver, Mall), a signed-in admin, helpers to run the poll and read tasks.
Import explicitly: ``from wecom_moments_fixtures import ...``."""

from __future__ import annotations

import pytest
from scrm_wecom.moments import results
from scrm_wecom.moments.models import MomentSender, MomentTask
from scrm_wecom.sandbox import MomentsControl
from sqlalchemy import select
from wecom_foundation_fixtures import *  # noqa: F403
from wecom_sync_fixtures import *  # noqa: F403
from wecom_sync_fixtures import CORP_ID, employee, run_full_sync

from scrm.sdk import Tag

BASE = "/t/acme/wecom/moments"


@pytest.fixture
def synced(db, platform, sync_account):
    """The tenant's account after a full contact sync (employees, customers, corp tags)."""
    run_full_sync(db, platform, sync_account)
    return sync_account


@pytest.fixture
def moments(sandbox) -> MomentsControl:
    return MomentsControl(sandbox[1], CORP_ID)


@pytest.fixture
def admin(db, tenant, synced, wecom_admin):
    return wecom_admin(tenant)


def ids_of(db, tenant_id: int, *userids: str) -> list[str]:
    return [str(employee(db, tenant_id, u).id) for u in userids]


def tag_id(db, tenant_id: int, name: str) -> int:
    db.commit()
    return db.execute(select(Tag.id).where(Tag.tenant_id == tenant_id, Tag.name == name)).scalar_one()


def post_task(client, db, tenant_id: int, *userids: str, text: str = "双十二新品上市，到店试穿有礼", tags=(),
              link: tuple[str, str] | None = None, base: str = BASE):
    data = {"text": text, "employee_ids": ids_of(db, tenant_id, *userids),
            "tag_ids": [str(tag_id(db, tenant_id, t)) for t in tags]}
    if link:
        data.update(with_link="1", link_title=link[0], link_url=link[1])
    return client.post(f"{base}/new", data=data)


def poll(db, platform, tenant_id: int, **kwargs) -> None:
    """One poll round inline, in a fresh session like the job's."""
    from sqlmodel import Session

    from scrm.core.db import writer

    db.commit()
    with Session(writer(platform.engine), expire_on_commit=False) as session:
        results.poll(session, platform, tenant_id, **kwargs)
    db.expire_all()


def tasks(db, tenant_id: int) -> list[MomentTask]:
    db.commit()
    db.expire_all()
    return list(db.execute(select(MomentTask).where(MomentTask.tenant_id == tenant_id).order_by(MomentTask.id))
                .scalars())


def senders(db, task: MomentTask) -> dict[str, MomentSender]:
    db.commit()
    db.expire_all()
    return {s.userid: s for s in db.execute(select(MomentSender).where(MomentSender.task_id == task.id)).scalars()}


__all__ = ["BASE", "admin", "ids_of", "moments", "poll", "post_task", "senders", "synced", "tag_id", "tasks"]
