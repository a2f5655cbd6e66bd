"""Callbacks stored together are processed together: ``process_callbacks`` and ``send_welcomes`` (what the callback
inbox enqueues per batch), the platform recovery's batches of WeCom callbacks, and one bad callback never holding back the others."""

from __future__ import annotations

from datetime import timedelta

import pytest
import scrm_wecom.jobs as wecom_jobs
import scrm_wecom.welcome.dispatch as welcome_dispatch
from scrm_wecom.jobs import process_callbacks
from scrm_wecom.sandbox import CallbackTarget, event_xml
from scrm_wecom.welcome.dispatch import send_welcomes
from sqlalchemy import select
from wecom_foundation_fixtures import *  # noqa: F403
from wecom_foundation_fixtures import AES_KEY, CALLBACK_TOKEN, CORP_ID

from scrm.core.inbox_recovery import JOB_BATCH, RecoveryPolicy, recover_inbox
from scrm.sdk import InboundCallback, utcnow

TARGET = CallbackTarget(CORP_ID, CALLBACK_TOKEN, AES_KEY)


@pytest.fixture
def account(tenant, enable_plugins, make_account):
    enable_plugins(tenant, "wecom")
    return make_account(tenant)


def store(db, account, key: str, xml: str, age=timedelta(hours=1)) -> int:
    row = InboundCallback(tenant_id=account.tenant_id, account_id=account.id, plugin="wecom", dedupe_key=key,
                          body=xml, process_actor=process_callbacks.name, created_at=utcnow() - age)
    db.add(row)
    db.commit()
    return row.id


def friend(n: int) -> str:
    return event_xml(CORP_ID, "change_external_contact", "add_external_contact", UserID="zhangsan",
                     ExternalUserID=f"wmBatch{n}", State="", create_time=1403610513 + n)


def processed(db, ids) -> list[bool]:
    db.commit()
    db.expire_all()
    rows = {r.id: r for r in db.execute(select(InboundCallback).where(InboundCallback.id.in_(ids))).scalars()}
    return [rows[i].processed_at is not None for i in ids]


def test_a_batch_is_processed_oldest_first_each_once(db, account):
    ids = [store(db, account, f"event:{n}", friend(n)) for n in range(3)]
    order = []
    original = wecom_jobs.process_callback.fn

    def spy(tenant_id, *, inbound_id):
        order.append(inbound_id)
        return original(tenant_id, inbound_id=inbound_id)

    wecom_jobs.process_callback.fn = spy
    try:
        process_callbacks(account.tenant_id, inbound_ids=list(reversed(ids)))
        process_callbacks(account.tenant_id, inbound_ids=ids)  # a redelivery: nothing is processed twice
    finally:
        wecom_jobs.process_callback.fn = original
    assert order == ids + ids and processed(db, ids) == [True, True, True]


def test_one_failing_callback_is_retried_alone_and_the_others_go_on(db, account, monkeypatch):
    ids = [store(db, account, f"event:{n}", friend(n)) for n in range(3)]
    original = wecom_jobs.process_callback.fn
    retried = []

    def flaky(tenant_id, *, inbound_id):
        if inbound_id == ids[1]:
            raise RuntimeError("database busy")
        return original(tenant_id, inbound_id=inbound_id)

    monkeypatch.setattr(wecom_jobs.process_callback, "fn", flaky)
    monkeypatch.setattr(wecom_jobs.process_callback, "send",
                        lambda tenant_id, **kwargs: retried.append((tenant_id, kwargs)))
    process_callbacks(account.tenant_id, inbound_ids=ids)
    assert processed(db, ids) == [True, False, True]
    assert retried == [(account.tenant_id, {"inbound_id": ids[1]})]


def test_another_tenants_ids_in_a_batch_are_left_alone(db, account, other_tenant, enable_plugins, make_account):
    from wecom_foundation_fixtures import OTHER_CORP_ID

    enable_plugins(other_tenant, "wecom")
    theirs = make_account(other_tenant, corp_id=OTHER_CORP_ID)
    their_id = store(db, theirs, "event:theirs", friend(9))
    process_callbacks(account.tenant_id, inbound_ids=[their_id])
    assert processed(db, [their_id]) == [False]


def test_the_platform_recovery_re_runs_wecom_callbacks_in_batches(db, account, platform, monkeypatch):
    ids = [store(db, account, f"event:{n}", "<xml><MsgType>event</MsgType></xml>") for n in range(JOB_BATCH + 5)]
    sent = []
    monkeypatch.setattr(platform.bus, "send_many", lambda jobs: sent.extend(jobs) or len(sent))
    assert recover_inbox(platform.engine, platform.bus, RecoveryPolicy(), platform.bus.plugin_enabled).rerun == len(ids)
    assert [len(job.kwargs["inbound_ids"]) for job in sent] == [JOB_BATCH, 5]
    assert {job.actor.name for job in sent} == {process_callbacks.name}
    assert sorted(i for job in sent for i in job.kwargs["inbound_ids"]) == ids


def test_one_failing_welcome_is_retried_alone_and_the_others_are_sent(account, monkeypatch):
    sent, retried = [], []

    def flaky(tenant_id, **kwargs):
        if kwargs["welcome_code"] == "W2":
            raise RuntimeError("database busy")
        sent.append(kwargs["welcome_code"])

    monkeypatch.setattr(welcome_dispatch.send_welcome, "fn", flaky)
    monkeypatch.setattr(welcome_dispatch.send_welcome, "send",
                        lambda tenant_id, **kwargs: retried.append(kwargs["welcome_code"]))
    items = [{"account_id": account.id, "userid": "zhangsan", "external_userid": f"wm{n}", "welcome_code": f"W{n}"}
             for n in (1, 2, 3)]
    send_welcomes(account.tenant_id, items=items)
    assert sent == ["W1", "W3"] and retried == ["W2"]
