"""Shared fixtures of the live-code and welcome tests: a seeded WeCom sandbox, a tenant with the plugin enabled, a
WeCom account pointing at the sandbox, employees, a signed-in staff client and helpers to drive friend events.

Import them explicitly: ``from wecom_livecodes_fixtures import *`` (pytest picks the fixtures up from the module).
"""

from __future__ import annotations

import io
import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import pytest
from PIL import Image
from scrm_wecom.accounts import AccountValues, save_account
from scrm_wecom.sandbox import SandboxControl
from scrm_wecom.welcome.handlers import on_domain_event
from sqlmodel import select

from scrm.sdk import DomainEvent, Employee, Tag, TagGroup, utcnow

CORP_ID = "wwcorp0000000001"
SECRETS = {"agent_secret": "agent-secret-value-1", "contact_secret": "contact-secret-value-1",
           "address_book_secret": "book-secret-value-1"}
CALLBACK = {"callback_token": "CallbackToken123", "encoding_aes_key": "A" * 42 + "0"}
USERS = [{"userid": "zhangsan", "name": "Zhang San", "position": "Store manager", "department": [1]},
         {"userid": "lisi", "name": "Li Si", "position": "Beauty advisor", "department": [1]}]


@dataclass
class WeComWorld:
    """One tenant's WeCom setup against the sandbox."""

    tenant: Any
    account: Any
    sandbox: SandboxControl
    employees: dict[str, Any]

    def welcome_calls(self) -> list[dict[str, Any]]:
        return [c for c in self.sandbox.calls("/cgi-bin/externalcontact/send_welcome_msg") if c["errcode"] == 0]


def seed_corp(sandbox: SandboxControl, corp_id: str = CORP_ID) -> None:
    sandbox.seed({"corp_id": corp_id, "agent_id": 1000002,
                  "secrets": {"agent": SECRETS["agent_secret"], "contact": SECRETS["contact_secret"],
                              "address_book": SECRETS["address_book_secret"]},
                  "departments": [{"id": 1, "name": "HQ"}], "users": USERS,
                  "tag_groups": [{"group_id": "etgroup1", "group_name": "Source",
                                  "tag": [{"id": "ettagwecom1", "name": "From store"}]}]})


def make_account(db, platform, tenant, base_url: str, corp_id: str = CORP_ID, name: str = "Acme corp"):
    account = save_account(db, platform.secrets, tenant.id, AccountValues(
        name=name, corp_id=corp_id, agent_id=1000002, api_base=base_url, secrets={**SECRETS, **CALLBACK}))
    db.commit()
    return account


def make_employees(db, tenant) -> dict[str, Any]:
    out = {}
    for user in USERS:
        employee = Employee(tenant_id=tenant.id, userid=user["userid"], name=user["name"], position=user["position"])
        db.add(employee)
        out[user["userid"]] = employee
    db.commit()
    return out


def make_tag(db, tenant, name: str, *, external_id: str | None = None, group: str = "Channel") -> Tag:
    group_row = db.exec(select(TagGroup).where(TagGroup.tenant_id == tenant.id, TagGroup.name == group)).first()
    group_id = group_row.id if group_row is not None else None
    if group_id is None:
        row = TagGroup(tenant_id=tenant.id, name=group, source="wecom" if external_id else "manual")
        db.add(row)
        db.flush()
        group_id = row.id
    tag = Tag(tenant_id=tenant.id, group_id=group_id, name=name, source="wecom" if external_id else "manual",
              external_id=external_id)
    db.add(tag)
    db.commit()
    return tag


@pytest.fixture
def wecom_sandbox(channel_sandbox) -> SandboxControl:
    control = SandboxControl(channel_sandbox("wecom"))
    seed_corp(control)
    yield control
    control.close()


@pytest.fixture
def world(db, platform, tenant, enable_plugins, wecom_sandbox) -> WeComWorld:
    enable_plugins(tenant, "wecom")
    account = make_account(db, platform, tenant, wecom_sandbox.base_url)
    return WeComWorld(tenant, account, wecom_sandbox, make_employees(db, tenant))


@pytest.fixture
def staff(make_user, login, tenant):
    """The test client signed in as an operator of ``tenant``."""
    return login(make_user("operator@acme.test", tenant, role="operator"))


def friend_event(world: WeComWorld, userid: str, external_userid: str, *, welcome_code: str | None = None,
                 state: str = "", type: str = "wecom.friend_added", at: datetime | None = None,
                 tenant_id: int | None = None) -> DomainEvent:
    """A ``wecom.*`` friend event as the callback processing publishes it."""
    at = at or utcnow()
    payload = {"account_id": world.account.id, "corp_id": world.account.external_id, "inbound_id": 0,
               "change_type": "", "create_time": int(at.timestamp()), "userid": userid,
               "external_userid": external_userid, "state": state}
    if welcome_code:
        payload["welcome_code"] = welcome_code
    return DomainEvent(str(uuid.uuid4()), type, tenant_id or world.tenant.id, payload, at)


def deliver(db, event: DomainEvent, worker=None) -> None:
    """Hand ``event`` to the plugin's handler as the event dispatch does (the session commits after it), then wait
    for the jobs it enqueued."""
    on_domain_event(event, db)
    db.commit()
    if worker is not None:
        worker.join()


def fresh(db) -> None:
    """End the test session's transaction and forget what it loaded, so the next reads see what others committed."""
    db.rollback()
    db.expire_all()


def logo_png(color=(220, 20, 60), size: int = 200) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (size, size), color).save(out, "PNG")
    return out.getvalue()


__all__ = ["CALLBACK", "CORP_ID", "SECRETS", "USERS", "WeComWorld", "deliver", "fresh", "friend_event", "logo_png",
           "make_account", "make_employees", "make_tag", "seed_corp", "staff", "wecom_sandbox", "world"]
