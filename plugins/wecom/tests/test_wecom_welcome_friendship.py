"""One welcome per new friend (spec §4.2.6, acceptance 13): a friendship of an employee and a customer runs from an
add to the next deletion by either side. The full add after a half add is the same friendship; an add after a
deletion is a new one. Driven through the callback gateway, the job bus and the sandbox."""

from __future__ import annotations

import time

import httpx
import pytest
from scrm_wecom.sandbox import CallbackTarget, event_xml, fire_callback
from scrm_wecom.welcome import service
from sqlmodel import select
from wecom_livecodes_fixtures import *  # noqa: F403
from wecom_livecodes_fixtures import CALLBACK, CORP_ID, fresh

from scrm.sdk import DeliveryStatus, MessageDelivery

SEND = "/cgi-bin/externalcontact/send_welcome_msg"
TARGET = CallbackTarget(CORP_ID, CALLBACK["callback_token"], CALLBACK["encoding_aes_key"])


def welcome(db, world, text="Hello {customer_name}"):
    values = service.validate(db, world.tenant.id, service.WelcomeInput(
        all_employees=True, employee_ids=[], segmented=False, content={"text": text, "attachments": []}))
    service.create(db, world.tenant.id, values)
    db.commit()


def post(app, world, xml):
    with httpx.Client(transport=httpx.WSGITransport(app=app), base_url="http://scrm.test") as http:
        response = fire_callback(f"http://scrm.test/callbacks/wecom/{world.account.id}", TARGET, xml, http=http)
    assert response.status_code == 200


def add(app, world, worker, userid="zhangsan", *, half=False, ext="wmLily", later=0):
    """The customer adds ``userid``; ``later``: the callback's CreateTime that many seconds from now."""
    friend = world.sandbox.add_friend(CORP_ID, userid, {"name": "Lily", "external_userid": ext}, half=half)
    xml = friend["xml"]
    if later:
        xml = event_xml(CORP_ID, "change_external_contact", "add_external_contact",
                        create_time=int(time.time()) + later, UserID=userid, ExternalUserID=ext,
                        WelcomeCode=friend["welcome_code"])
    post(app, world, xml)
    worker.join()
    return friend


def sent(world):
    return [c for c in world.sandbox.calls(SEND) if c["errcode"] == 0]


def ledger(db, world):
    fresh(db)
    return list(db.exec(select(MessageDelivery).where(MessageDelivery.tenant_id == world.tenant.id)
                        .order_by(MessageDelivery.id)))


def test_a_half_add_then_the_full_add_is_welcomed_once(app, db, world, worker):
    welcome(db, world)
    half = add(app, world, worker, half=True)
    full = add(app, world, worker)
    assert half["welcome_code"] != full["welcome_code"]
    assert [c["body"]["welcome_code"] for c in world.sandbox.calls(SEND)] == [half["welcome_code"]]
    first, second = ledger(db, world)
    assert first.status == DeliveryStatus.SENT
    assert (second.idempotency_key, second.status, second.error_code) == (
        f"welcome:{full['welcome_code']}", DeliveryStatus.SKIPPED, "welcomed")


@pytest.mark.parametrize("change_type", ["del_follow_user", "del_external_contact"])
def test_a_re_add_after_a_deletion_is_a_new_friend_and_welcomed_again(app, db, world, worker, change_type):
    welcome(db, world)
    first = add(app, world, worker)
    post(app, world, event_xml(CORP_ID, "change_external_contact", change_type, create_time=int(time.time()) + 1,
                               UserID="zhangsan", ExternalUserID="wmLily"))
    worker.join()
    again = add(app, world, worker, later=2)  # callbacks of one pair in one second would be one callback
    assert [c["body"]["welcome_code"] for c in sent(world)] == [first["welcome_code"], again["welcome_code"]]
    assert [r.status for r in ledger(db, world)] == [DeliveryStatus.SENT, DeliveryStatus.SENT]


def test_each_employee_the_customer_adds_sends_a_welcome(app, db, world, worker):
    welcome(db, world)
    add(app, world, worker, "zhangsan")
    add(app, world, worker, "lisi")
    assert [c["body"]["text"]["content"] for c in sent(world)] == ["Hello Lily", "Hello Lily"]
    assert [r.task_ref.rpartition("@")[2] for r in ledger(db, world)] == ["zhangsan", "lisi"]


def test_a_half_add_whose_welcome_failed_leaves_the_full_add_its_chance(app, db, world, worker):
    welcome(db, world)
    world.sandbox.fail_next(SEND, 40058)
    add(app, world, worker, half=True)
    full = add(app, world, worker)
    assert [c["body"]["welcome_code"] for c in sent(world)] == [full["welcome_code"]]
    assert [r.status for r in ledger(db, world)] == [DeliveryStatus.FAILED, DeliveryStatus.SENT]


def test_another_tenants_welcome_does_not_make_this_friendship_welcomed(app, db, world, worker, other_tenant):
    welcome(db, world)
    db.add(MessageDelivery(tenant_id=other_tenant.id, channel="wecom", account_id=world.account.id,
                           recipient="wmLily", kind="welcome", idempotency_key="welcome:OTHER",
                           task_ref="welcome:1@zhangsan", status=DeliveryStatus.SENT))
    db.commit()
    add(app, world, worker)
    assert len(sent(world)) == 1
