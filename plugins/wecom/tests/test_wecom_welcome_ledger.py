"""Welcomes ledgered through the platform's outbound path (``send_message(..., deliver_inline=True)`` then
``deliver_now`` in the welcome job): the row's purpose, message, status and attempt; the exclusion decision asked
for purpose ``welcome`` (the members blacklist does not refuse welcomes, per the spec; an exclusion that does gives a
skipped row with the reason and no WeCom call); a tenant's own welcome cap applies and a welcome never counts towards
the mass-send cap; another tenant's job or cap never touches the row."""

from __future__ import annotations

from zoneinfo import ZoneInfo

from scrm_wecom.welcome.dispatch import PURPOSE, ledger_key
from sqlmodel import select
from test_wecom_welcome_dispatch import SEND, add_friend, ledger, welcome
from wecom_livecodes_fixtures import *  # noqa: F403
from wecom_livecodes_fixtures import CORP_ID, deliver, fresh, friend_event

from scrm.core.outbound import caps
from scrm.sdk import (
    Customer,
    CustomerEvent,
    CustomerIdentity,
    DeliveryStatus,
    IdentityKind,
    deliver_now,
    send_message,
    set_daily_cap,
)


def known_customer(db, world, external_userid: str, name: str = "Lily") -> Customer:
    customer = Customer(tenant_id=world.tenant.id, name=name)
    db.add(customer)
    db.flush()
    db.add(CustomerIdentity(tenant_id=world.tenant.id, customer_id=customer.id,
                            kind=IdentityKind.external_userid(CORP_ID), value=external_userid))
    db.commit()
    return customer


def add_known_friend(db, world, external_userid: str):
    friend = add_friend(world, external_userid=external_userid)
    customer = known_customer(db, world, friend["external_userid"])
    return friend, customer


def welcome_entries(db, customer_id: int) -> list[CustomerEvent]:
    fresh(db)
    return [e for e in db.exec(select(CustomerEvent).where(CustomerEvent.customer_id == customer_id))
            if "welcome" in e.kind]


def test_a_welcome_is_a_sent_ledger_row_of_the_outbound_path(db, world, worker):
    welcome(db, world, "Hello {customer_name}")
    friend, customer = add_known_friend(db, world, "wmLedger01")
    deliver(db, friend_event(world, "zhangsan", friend["external_userid"], welcome_code=friend["welcome_code"]),
            worker)
    [row] = ledger(db, world.tenant)
    assert (row.status, row.purpose, row.kind, row.channel) == (DeliveryStatus.SENT, PURPOSE, "welcome", "wecom")
    assert (row.recipient, row.customer_id, row.account_id) == (friend["external_userid"], customer.id,
                                                                world.account.id)
    assert row.idempotency_key == ledger_key(friend["welcome_code"]) and row.attempts == 1
    assert row.provider_id is None and row.sent_at is not None and row.enqueued_at is None  # sent in the job
    assert row.message["kind"] == "welcome" and row.message["payload"]["welcome_code"] == friend["welcome_code"]
    assert [c["body"]["text"]["content"] for c in world.sandbox.calls(SEND)] == ["Hello Lily"]
    assert len(welcome_entries(db, customer.id)) == 1


def test_a_blacklisted_customer_is_still_welcomed(db, world, worker, enable_plugins):
    """The spec's blacklist keeps a customer out of fission activities and prizes (and the members plugin out of
    mass sends, red packets and SMS); a welcome answers the customer's own add, so it goes out."""
    from scrm_members.segments import blacklist

    enable_plugins(world.tenant, "members")
    welcome(db, world, "Hello")
    friend, customer = add_known_friend(db, world, "wmBlack01")
    assert blacklist.add(db, world.tenant.id, [customer.id], "abusive", None) == 1
    db.commit()
    deliver(db, friend_event(world, "zhangsan", friend["external_userid"], welcome_code=friend["welcome_code"]),
            worker)
    [row] = ledger(db, world.tenant)
    assert row.status == DeliveryStatus.SENT and len(world.sandbox.calls(SEND)) == 1
    assert blacklist.exclusion_reason(world.tenant, customer.id, "mass_send", db)  # the entry is in force


def test_a_customer_excluded_from_welcomes_gets_a_skipped_row_and_no_call(db, world, worker, enable_plugins,
                                                                          monkeypatch):
    from scrm_members.segments import blacklist

    enable_plugins(world.tenant, "members")
    monkeypatch.setattr(blacklist, "ALWAYS_REFUSED", blacklist.ALWAYS_REFUSED | {PURPOSE})  # a policy refusing it
    welcome(db, world, "Hello")
    friend, customer = add_known_friend(db, world, "wmBlack02")
    blacklist.add(db, world.tenant.id, [customer.id], "abusive", None)
    db.commit()
    deliver(db, friend_event(world, "zhangsan", friend["external_userid"], welcome_code=friend["welcome_code"]),
            worker)
    [row] = ledger(db, world.tenant)
    assert (row.status, row.error_code) == (DeliveryStatus.SKIPPED, "excluded") and row.error
    assert world.sandbox.calls(SEND) == [] and welcome_entries(db, customer.id) == []


def test_a_tenants_own_welcome_cap_applies_and_another_tenants_does_not(db, world, worker, other_tenant):
    welcome(db, world, "Hello")
    set_daily_cap(db, other_tenant.id, PURPOSE, 0)
    db.commit()
    first, customer = add_known_friend(db, world, "wmCap01")
    deliver(db, friend_event(world, "zhangsan", first["external_userid"], welcome_code=first["welcome_code"]),
            worker)
    assert [r.status for r in ledger(db, world.tenant)] == [DeliveryStatus.SENT]
    span = caps.today(ZoneInfo(world.tenant.timezone))
    assert caps.sent_today(db, world.tenant.id, "mass_send", "wecom", span, customer_id=customer.id,
                           recipient=first["external_userid"]) == 0  # a welcome is no mass message
    set_daily_cap(db, world.tenant.id, PURPOSE, 0)
    db.commit()
    second, _ = add_known_friend(db, world, "wmCap02")
    deliver(db, friend_event(world, "zhangsan", second["external_userid"], welcome_code=second["welcome_code"]),
            worker)
    rows = {r.recipient: r for r in ledger(db, world.tenant)}
    assert (rows["wmCap02"].status, rows["wmCap02"].error_code) == (DeliveryStatus.SKIPPED, "frequency_cap")
    assert len(world.sandbox.calls(SEND)) == 1


def test_another_tenants_job_cannot_send_a_queued_welcome(db, world, worker, other_tenant, enable_plugins):
    from scrm.sdk import OutboundMessage

    enable_plugins(other_tenant, "wecom")
    friend = add_friend(world)
    row = send_message(db, world.tenant.id, account=world.account, recipient=friend["external_userid"],
                       message=OutboundMessage("welcome", {"welcome_code": friend["welcome_code"],
                                                           "content": {"text": "Hi"}}),
                       purpose=PURPOSE, idempotency_key=ledger_key(friend["welcome_code"]), kind="welcome",
                       deliver_inline=True)
    db.commit()
    assert deliver_now(other_tenant.id, row.id) is None
    fresh(db)
    assert db.get(type(row), row.id).status == DeliveryStatus.QUEUED and world.sandbox.calls(SEND) == []
    result = deliver_now(world.tenant.id, row.id)
    assert result is not None and result.ok and [c["body"]["text"]["content"]
                                                  for c in world.sandbox.calls(SEND)] == ["Hi"]
    assert deliver_now(world.tenant.id, row.id) is None  # sent once
