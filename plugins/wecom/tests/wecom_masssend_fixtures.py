"""Shared fixtures of the mass-send tests: a sandbox corp with three employees and their customers, the same people in
the database (employees, customers, WeCom friendships; no sync run needed), and helpers that create, dispatch and
settle sends. Import explicitly: ``from wecom_masssend_fixtures import *``."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

import pytest
from scrm_wecom.masssend import dispatch, results, service
from scrm_wecom.masssend.models import MassMember, MassRecipient, MassTask
from scrm_wecom.sandbox import GroupMsgControl, SandboxControl
from scrm_wecom.sync.models import Follow
from sqlalchemy import select
from wecom_foundation_fixtures import AGENT_ID, CORP_ID, SECRETS, make_account  # noqa: F401

from scrm.sdk import Customer, Employee, MessageDelivery

USERS = ("zhangsan", "lisi", "wangwu")
#: customer -> (owner, friends): C3 is a friend of zhangsan (owner) and lisi; C6 has no WeCom friend
CUSTOMERS = {
    "wmC1": ("zhangsan", ["zhangsan"]),
    "wmC2": ("zhangsan", ["zhangsan"]),
    "wmC3": ("zhangsan", ["zhangsan", "lisi"]),
    "wmC4": ("lisi", ["lisi"]),
    "wmC5": ("wangwu", ["wangwu"]),
    "wmC6": (None, []),
}
NAMES = {"wmC1": "林晓", "wmC2": "王芳", "wmC3": "陈静", "wmC4": "赵磊", "wmC5": "孙悦", "wmC6": "周婷"}


@dataclass
class MassEnv:
    tenant: object
    account: object
    control: SandboxControl
    groupmsg: GroupMsgControl
    employees: dict[str, Employee] = field(default_factory=dict)
    customers: dict[str, Customer] = field(default_factory=dict)


def corp_seed() -> dict:
    contacts = [{"external_userid": ext, "name": NAMES[ext],
                 "follow_user": [{"userid": u} for u in friends]} for ext, (_owner, friends) in CUSTOMERS.items()]
    return {"corp_id": CORP_ID, "agent_id": AGENT_ID, "secrets": SECRETS,
            "departments": [{"id": 1, "name": "总部", "parentid": 0}, {"id": 2, "name": "上海门店", "parentid": 1}],
            "users": [{"userid": u, "name": u, "department": [1 if u == "zhangsan" else 2], "status": 1}
                      for u in USERS],
            "external_contacts": contacts}


def build_env(db, tenant, account, control: SandboxControl) -> MassEnv:
    env = MassEnv(tenant, account, control, GroupMsgControl(control, CORP_ID))
    for userid in USERS:
        employee = Employee(tenant_id=tenant.id, userid=userid, name={"zhangsan": "张三", "lisi": "李四",
                                                                         "wangwu": "王五"}[userid])
        db.add(employee)
        db.flush()
        env.employees[userid] = employee
    added = datetime(2026, 11, 2, 3, 0, tzinfo=UTC)
    for ext, (owner, friends) in CUSTOMERS.items():
        customer = Customer(tenant_id=tenant.id, name=NAMES[ext], source="wecom", gender=2 if ext in ("wmC2", "wmC3")
                            else 1, owner_employee_id=env.employees[owner].id if owner else None)
        db.add(customer)
        db.flush()
        env.customers[ext] = customer
        for userid in friends:
            db.add(Follow(tenant_id=tenant.id, account_id=account.id, customer_id=customer.id,
                          employee_id=env.employees[userid].id, userid=userid, external_userid=ext, added_at=added))
    db.commit()
    return env


@pytest.fixture
def mass_env(db, tenant, enable_plugins, make_account, channel_sandbox):  # noqa: F811
    """Tenant "acme" with wecom and members enabled, its WeCom account on a sandbox seeded with :func:`corp_seed`,
    and the same employees, customers and friendships in the database."""
    enable_plugins(tenant, "members", "wecom")
    url = channel_sandbox("wecom")
    control = SandboxControl(url)
    control.seed(corp_seed())
    account = make_account(tenant, url)
    yield build_env(db, tenant, account, control)
    control.close()


def new_send(db, tenant, *, text: str = "双十二会员专享：全场满299减50，到店出示即可使用。", chat_type: str = "single",
             audience: dict | None = None, send_type: str = "immediate", send_at: datetime | None = None,
             now: datetime | None = None) -> MassTask:
    data = service.MassSendInput(chat_type=chat_type, text=text, audience=audience or {}, send_type=send_type,
                                 send_at=send_at)
    task = service.create(db, tenant, data, "ops@acme.test", now=now)
    db.commit()
    return task


def dispatch_now(db, task: MassTask, now: datetime | None = None) -> MassTask:
    dispatch.run(db, task.id, task.tenant_id, now=now)
    db.commit()
    db.expire_all()
    return db.get(MassTask, task.id)


def poll(db, platform, task: MassTask) -> int:
    applied = results.poll(db, platform, db.get(MassTask, task.id))
    db.expire_all()
    return applied


def members(db, task: MassTask) -> dict[str, MassMember]:
    db.expire_all()
    return {m.userid: m for m in db.execute(select(MassMember).where(MassMember.task_id == task.id)).scalars()}


def targets(db, task: MassTask) -> dict[str, str]:
    """target -> status."""
    db.expire_all()
    return {r.target: r.status for r in db.execute(select(MassRecipient).where(
        MassRecipient.task_id == task.id)).scalars()}


def ledger_rows(db, task: MassTask) -> dict[str, str]:
    """recipient -> ledger status of the send's rows."""
    db.expire_all()
    return {r.recipient: r.status for r in db.execute(select(MessageDelivery).where(
        MessageDelivery.task_ref == f"wecom_mass:{task.id}")).scalars()}


def msgid_of(db, task: MassTask, userid: str) -> str:
    return members(db, task)[userid].msgids[0]


def days_ago(days: int, hour: int = 3) -> datetime:
    now = datetime.now(UTC)
    return now.replace(hour=hour, minute=0, second=0, microsecond=0) - timedelta(days=days)
