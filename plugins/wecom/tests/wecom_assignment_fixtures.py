"""Shared fixtures of the assignment tests: a corp where employee Eve has 150 WeCom friends and Amy two, synced into
the tenant, pool customers without an owner, and helpers to resign Eve and to poll WeCom's transfer results.
Import explicitly: ``from wecom_assignment_fixtures import ...``."""

from __future__ import annotations

from datetime import datetime

import pytest
import scrm_wecom.models  # noqa: F401  (first: the plugin's modules import each other from here)
from scrm_wecom.assignment import tracking
from scrm_wecom.assignment.models import AssignmentRecord
from scrm_wecom.sandbox import SandboxControl
from sqlalchemy import select
from sqlmodel import Session
from wecom_foundation_fixtures import *  # noqa: F403
from wecom_foundation_fixtures import AGENT_ID, CORP_ID, SECRETS, make_account, wsgi_http  # noqa: F401
from wecom_sync_fixtures import *  # noqa: F403
from wecom_sync_fixtures import customer_of, employee, fire, run_full_sync

from scrm.sdk import Customer, Employee, EmployeeStatus

EVE_FRIENDS = [f"wmEve{i:03d}" for i in range(150)]


def corp(eve_status: int = 1) -> dict:
    return {
        "corp_id": CORP_ID, "agent_id": AGENT_ID, "secrets": SECRETS,
        "departments": [{"id": 1, "name": "Brand HQ", "parentid": 0}, {"id": 2, "name": "Shanghai store",
                                                                       "parentid": 1},
                        {"id": 3, "name": "Beijing store", "parentid": 1}],
        "users": [{"userid": "amy", "name": "Amy", "department": [2], "main_department": 2, "status": 1},
                  {"userid": "ben", "name": "Ben", "department": [2], "main_department": 2, "status": 1},
                  {"userid": "eve", "name": "Eve", "department": [3], "main_department": 3, "status": eve_status},
                  {"userid": "fay", "name": "Fay", "department": [3], "main_department": 3, "status": 1}],
        "external_contacts": [
            *[{"external_userid": ext, "name": f"Eve friend {i:03d}", "follow_user": [{"userid": "eve",
                                                                                       "createtime": 1700000000 + i}]}
              for i, ext in enumerate(EVE_FRIENDS)],
            {"external_userid": "wmAnn", "name": "Ann", "follow_user": [{"userid": "amy", "createtime": 1700100000}]},
            {"external_userid": "wmBo", "name": "Bo", "follow_user": [{"userid": "amy", "createtime": 1700100001}]},
        ],
    }


@pytest.fixture
def assignment_corp(db, platform, tenant, enable_plugins, make_account, channel_sandbox):
    """``(account, control)``: the corp synced into ``tenant`` (wecom and members enabled); WeCom takes transfers
    over as soon as they are read (``transfer_takeover_after`` 0) unless a test says otherwise."""
    url = channel_sandbox("wecom")
    control = SandboxControl(url)
    control.seed(corp())
    control.settings(transfer_takeover_after=0)
    enable_plugins(tenant, "wecom", "members")
    account = make_account(tenant, url)
    run_full_sync(db, platform, account)
    yield account, control
    control.close()


@pytest.fixture
def assignment_live(assignment_corp, worker):
    """:func:`assignment_corp` with a running worker that has handled the sync's events (tests may write); the
    events a test leaves behind are handled before the tables are emptied."""
    worker.join()
    yield assignment_corp
    worker.join()


def resign_eve(db, wsgi_http, worker, account, control) -> Employee:
    """Eve leaves the corp: WeCom marks her left and calls back ``delete_user`` (spec J1)."""
    control.seed(corp(eve_status=5))
    control.settings(transfer_takeover_after=0)
    fire(wsgi_http, account, "delete_user", event="change_contact", UserID="eve")
    worker.join()
    db.commit()
    db.expire_all()
    eve = employee(db, account.tenant_id, "eve")
    assert eve.status == EmployeeStatus.LEFT
    return eve


def pool_customers(db, tenant, members: int, non_members: int, **fields) -> list[Customer]:
    """Customers created without an owner (they sit in the unassigned pool)."""
    rows = [Customer(tenant_id=tenant.id, name=f"Pool {'M' if i < members else 'N'}{i:02d}", is_member=i < members,
                     source=fields.get("source", "manual")) for i in range(members + non_members)]
    db.add_all(rows)
    db.commit()
    return rows


def poll(platform, tenant_id: int, now: datetime | None = None) -> int:
    """Run the transfer poll inline in a writer session (as the job does); returns how many records still wait."""
    from scrm.core.db import writer

    with Session(writer(platform.engine), expire_on_commit=False) as session:
        waiting = tracking.poll(session, platform, tenant_id, now)
        session.commit()
    return waiting


def records_of(db, tenant_id: int, **where) -> list[AssignmentRecord]:
    db.commit()
    db.expire_all()
    query = select(AssignmentRecord).where(AssignmentRecord.tenant_id == tenant_id)
    for key, value in where.items():
        query = query.where(getattr(AssignmentRecord, key) == value)
    return list(db.execute(query.order_by(AssignmentRecord.id)).scalars())


def owner_of(db, customer_id: int) -> int | None:
    db.commit()
    db.expire_all()
    return db.get(Customer, customer_id).owner_employee_id


__all__ = ["EVE_FRIENDS", "make_account", "wsgi_http", "assignment_corp", "assignment_live", "corp", "customer_of", "employee", "owner_of", "poll",
           "pool_customers", "records_of", "resign_eve"]
