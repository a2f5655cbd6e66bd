"""Shared fixtures of the churn and app-message tests: a synced WeCom account on the sandbox (zhangsan is lisi's
superior), the members plugin's lifecycle stages, callbacks of lost friends, and readers of the messages the sandbox
received. Import explicitly: ``from wecom_churn_fixtures import ...``."""

from __future__ import annotations

from datetime import datetime

import pytest
from scrm_wecom.churn.models import FriendLoss
from sqlalchemy import select
from wecom_foundation_fixtures import *  # noqa: F403
from wecom_sync_fixtures import *  # noqa: F403
from wecom_sync_fixtures import CORP_ID, employee, fire, run_full_sync

from scrm.sdk import MessageDelivery

ALL_ROLES = ("tenant_admin", "operator", "employee")


@pytest.fixture
def churn_account(db, platform, tenant, enable_plugins, make_account, sandbox, worker):
    """The tenant's synced WeCom account (plugins wecom and members enabled; members seeds its sample stages), with
    the worker running and idle."""
    enable_plugins(tenant, "members", "wecom")
    account = make_account(tenant, sandbox[0])
    run_full_sync(db, platform, account)
    worker.join()
    return account


@pytest.fixture
def wecom_only_account(db, platform, tenant, enable_plugins, make_account, sandbox, worker):
    """The tenant's synced WeCom account with only the wecom plugin enabled (no members: no stages, no profile)."""
    enable_plugins(tenant, "wecom")
    account = make_account(tenant, sandbox[0])
    run_full_sync(db, platform, account)
    worker.join()
    return account


def set_stage(db, tenant_id: int, customer_id: int, stage_name: str) -> None:
    """Put the customer in the members plugin's stage ``stage_name`` (test setup through the stage owner's service)."""
    from sqlmodel import Session

    from scrm.core.db import writer

    stages = pytest.importorskip("scrm_members.loyalty.stages")
    db.commit()
    # a writer session: the stage change publishes an event the worker handles while the test goes on
    with Session(writer(db.get_bind())) as session:
        stage = next(s for s in stages.tenant_stages(session, tenant_id) if s.name == stage_name)
        stages.set_stage(session, tenant_id, customer_id, stage.id)
        session.commit()


def stage_id(db, tenant_id: int, stage_name: str) -> int:
    stages = pytest.importorskip("scrm_members.loyalty.stages")
    return next(s.id for s in stages.tenant_stages(db, tenant_id) if s.name == stage_name)


def churn(wsgi_http, account, userid: str, external_userid: str, at: int) -> None:
    """WeCom's callback "the customer deleted the employee"."""
    fire(wsgi_http, account, "del_follow_user", UserID=userid, ExternalUserID=external_userid, create_time=at)


def delete(wsgi_http, account, userid: str, external_userid: str, at: int, **fields) -> None:
    """WeCom's callback "the employee deleted the customer"."""
    fire(wsgi_http, account, "del_external_contact", UserID=userid, ExternalUserID=external_userid, create_time=at,
         **fields)


def re_add(wsgi_http, account, userid: str, external_userid: str, at: int) -> None:
    fire(wsgi_http, account, "add_external_contact", UserID=userid, ExternalUserID=external_userid, create_time=at)


def losses(db, tenant_id: int, kind: str | None = None) -> list[FriendLoss]:
    db.commit()
    db.expire_all()
    query = select(FriendLoss).where(FriendLoss.tenant_id == tenant_id).order_by(FriendLoss.id)
    if kind:
        query = query.where(FriendLoss.kind == kind)
    return list(db.execute(query).scalars())


def app_messages(control, corp_id: str = CORP_ID) -> list[dict]:
    """The app messages the sandbox corp received (``message/send`` bodies plus ``msgid``)."""
    return list(control.corp(corp_id)["app_messages"])


def to(messages: list[dict], userid: str) -> list[dict]:
    return [m for m in messages if userid in str(m.get("touser") or "").split("|")]


def deliveries(db, tenant_id: int) -> list[MessageDelivery]:
    db.commit()
    db.expire_all()
    return list(db.execute(select(MessageDelivery).where(MessageDelivery.tenant_id == tenant_id,
                                                         MessageDelivery.kind == "app_message")
                           .order_by(MessageDelivery.id)).scalars())


def ts(text: str) -> int:
    """A Unix time from an ISO time with offset, e.g. ``ts("2026-11-01T10:00:00+08:00")``."""
    return int(datetime.fromisoformat(text).timestamp())


def signed_in(make_user, login, tenant, email: str, role: str = "tenant_admin", employee_id: int | None = None):
    return login(make_user(email, tenant, role=role, employee_id=employee_id))


__all__ = ["ALL_ROLES", "app_messages", "churn", "churn_account", "wecom_only_account", "delete", "deliveries", "employee", "losses",
           "re_add", "set_stage", "signed_in", "stage_id", "to", "ts"]
