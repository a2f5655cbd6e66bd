"""Shared fixtures of the WeCom sync tests: a corp seed with an org tree, customers and corp tags, an account on the
sandbox, and helpers to run jobs and read rows. Import explicitly: ``from wecom_sync_fixtures import ...``."""

from __future__ import annotations

import copy

import pytest
from scrm_wecom.sandbox import CallbackTarget, SandboxControl, event_xml, fire_callback
from scrm_wecom.sync import runner
from scrm_wecom.sync.models import Follow, SyncRun
from sqlalchemy import func, select
from wecom_foundation_fixtures import *  # noqa: F403
from wecom_foundation_fixtures import AES_KEY, AGENT_ID, CALLBACK_TOKEN, CORP_ID, SECRETS, account_values

from scrm.sdk import Customer, CustomerIdentity, CustomerTag, Department, Employee, Tag, TagGroup

TARGET = CallbackTarget(CORP_ID, CALLBACK_TOKEN, AES_KEY)

SEED = {
    "corp_id": CORP_ID, "agent_id": AGENT_ID, "secrets": SECRETS,
    "departments": [{"id": 1, "name": "Acme HQ", "parentid": 0, "order": 100},
                    {"id": 2, "name": "Shanghai stores", "parentid": 1, "order": 50},
                    {"id": 3, "name": "Jing'an store", "parentid": 2, "order": 10}],
    "users": [{"userid": "zhangsan", "name": "张三", "department": [1], "main_department": 1, "status": 1,
               "position": "Manager", "mobile": "13800000001"},
              {"userid": "lisi", "name": "李四", "department": [3], "main_department": 3, "status": 1,
               "direct_leader": ["zhangsan"]},
              {"userid": "zhaoliu", "name": "赵六", "department": [2], "status": 2},
              {"userid": "sunqi", "name": "孙七", "department": [2], "status": 4},
              {"userid": "wangwu", "name": "王五", "department": [2], "status": 5}],
    "tag_groups": [{"group_id": "etLevel", "group_name": "Level",
                    "tag": [{"id": "etGold", "name": "Gold", "order": 2}, {"id": "etSilver", "name": "Silver"}]},
                   {"group_id": "etSource", "group_name": "Source", "tag": [{"id": "etMall", "name": "Mall"}]}],
    "external_contacts": [
        {"external_userid": "wmAlice", "name": "Alice", "unionid": "unionAlice", "gender": 2,
         "avatar": "https://wx.qlogo.cn/alice",
         "follow_user": [{"userid": "zhangsan", "remark": "VIP Alice", "state": "lc:1", "add_way": 1,
                          "createtime": 1700000000,
                          "tags": [{"group_name": "Level", "tag_name": "Gold", "tag_id": "etGold", "type": 1},
                                   {"group_name": "Mine", "tag_name": "Mine", "tag_id": "etPersonal", "type": 2}]},
                         {"userid": "lisi", "remark": "Alice (store)", "createtime": 1700000500,
                          "tags": [{"group_name": "Source", "tag_name": "Mall", "tag_id": "etMall", "type": 1}]}]},
        {"external_userid": "wmBob", "name": "Bob", "gender": 1,
         "follow_user": [{"userid": "lisi", "createtime": 1700001000}, {"userid": "wangwu", "createtime": 1690000000}]},
        {"external_userid": "wmCarol", "name": "Carol", "unionid": "unionCarol",
         "follow_user": [{"userid": "zhangsan", "createtime": 1700002000}]},
    ],
}


def seed(**changes) -> dict:
    """A deep copy of :data:`SEED` with top-level keys replaced."""
    data = copy.deepcopy(SEED)
    data.update(copy.deepcopy(changes))
    return data


@pytest.fixture
def sandbox(channel_sandbox):
    """``(base_url, control)`` of a sandbox seeded with :data:`SEED`."""
    url = channel_sandbox("wecom")
    control = SandboxControl(url)
    control.seed(seed())
    yield url, control
    control.close()


@pytest.fixture
def sync_account(tenant, enable_plugins, make_account, sandbox):
    """The tenant's WeCom account on the sandbox (plugin enabled)."""
    enable_plugins(tenant, "wecom")
    return make_account(tenant, sandbox[0])


def run_full_sync(db, platform, account, kind: str = runner.FULL) -> SyncRun:
    """Create and execute a sync run inline, in a session like the job's (a writer: on SQLite its transactions take the
    write lock up front, so the events the worker delivers meanwhile cannot invalidate its reads); returns the run."""
    from sqlmodel import Session

    from scrm.core.db import writer

    db.commit()
    with Session(writer(platform.engine), expire_on_commit=False) as session:
        account = session.get(type(account), account.id)
        run, created = runner.create_run(session, account, kind, "test")
        session.commit()
        assert created
        runner.execute(session, platform, run, backoff=(0.01,))
        session.commit()
    return run


def count(db, model, *where) -> int:
    db.commit()
    return db.execute(select(func.count()).select_from(model).where(*where)).scalar_one()


def local_count(db, model, tenant_id: int) -> int:
    """Rows of a tenant-scoped table that belong to ``tenant_id``."""
    return count(db, model, model.tenant_id == tenant_id)


def employee(db, tenant_id: int, userid: str) -> Employee:
    db.commit()
    return db.execute(select(Employee).where(Employee.tenant_id == tenant_id, Employee.userid == userid)).scalar_one()


def customer_of(db, tenant_id: int, external_userid: str) -> Customer:
    db.commit()
    row = db.execute(select(CustomerIdentity).where(CustomerIdentity.tenant_id == tenant_id,
                                                    CustomerIdentity.kind == f"external_userid@{CORP_ID}",
                                                    CustomerIdentity.value == external_userid)).scalar_one()
    return db.get(Customer, row.customer_id)


def follows(db, tenant_id: int, external_userid: str | None = None) -> dict[tuple[str, str], Follow]:
    db.commit()
    db.expire_all()
    query = select(Follow).where(Follow.tenant_id == tenant_id)
    if external_userid is not None:
        query = query.where(Follow.external_userid == external_userid)
    return {(f.external_userid, f.userid): f for f in db.execute(query).scalars()}


def wecom_tags_of(db, customer_id: int) -> set[tuple[str, str]]:
    """``{(tag name, employee userid)}`` of the customer's per-employee tags."""
    db.commit()
    rows = db.execute(select(Tag.name, Employee.userid).select_from(CustomerTag)
                      .join(Tag, Tag.id == CustomerTag.tag_id).join(Employee, Employee.id == CustomerTag.employee_id)
                      .where(CustomerTag.customer_id == customer_id))
    return {(name, userid) for name, userid in rows}


def fire(wsgi_http, account, change: str, event: str = "change_external_contact", **fields):
    """Fire an encrypted callback at the account's URL through the host (in process)."""
    xml = event_xml(CORP_ID, event, change, **fields)
    response = fire_callback(f"http://localhost/callbacks/wecom/{account.id}", TARGET, xml, http=wsgi_http)
    assert response.status_code == 200, response.text
    return response


__all__ = ["CORP_ID", "Department", "SEED", "TARGET", "Tag", "TagGroup", "account_values", "count",
           "customer_of", "employee", "fire", "follows", "local_count", "run_full_sync", "sandbox", "seed", "sync_account",
           "wecom_tags_of"]
