"""The demo's SMS accounts wired both ways with the sandbox: the platform sends through the sandbox and the sandbox
pushes its delivery reports and TD replies to the platform's callback URL over HTTP (a served platform)."""

from __future__ import annotations

import time

import httpx
from scrm_sms.demo_support import DEMO_UNSUBSCRIBES, demo_account, seed_unsubscribes
from scrm_sms.optout import service
from scrm_sms.optout.models import SmsUnsubscribe
from scrm_sms.payload import NOTIFICATION_PURPOSE, template_message
from sqlmodel import select

from scrm.sdk import DeliveryStatus, MessageDelivery, send_message


def _wait(predicate, seconds: float = 10.0) -> bool:
    deadline = time.time() + seconds
    while time.time() < deadline:
        if predicate():
            return True
        time.sleep(0.05)
    return False


def test_demo_accounts_are_created_once_and_the_sandbox_pushes_to_the_platform(
        app, db, tenant, enable_plugins, sms_sandbox, live_server, worker):
    from scrm_sms.quota import service as quota

    enable_plugins(tenant, "sms")
    quota.top_up(db, tenant.id, "notification", 100)
    db.commit()
    account = demo_account(db, tenant.id, sms_sandbox, live_server, "tencent")
    assert demo_account(db, tenant.id, sms_sandbox, live_server, "tencent").id == account.id
    wired = httpx.get(f"{sms_sandbox}/_sandbox/accounts/{account.external_id}").json()
    assert wired["callback_url"].startswith(f"{live_server}/callbacks/sms/{account.id}?token=")
    row = send_message(db, tenant.id, account=account.id, recipient="13800000001", purpose=NOTIFICATION_PURPOSE,
                       message=template_message("200001", {"name": "李女士"}, category="notification"))
    db.commit()

    def delivered() -> bool:
        worker.join()
        db.expire_all()
        return db.get(MessageDelivery, row.id).status == DeliveryStatus.DELIVERED

    assert _wait(delivered)
    httpx.post(f"{sms_sandbox}/_sandbox/uplink", json={"key_id": account.external_id, "mobile": "13800000001",
                                                       "text": "退订"}).raise_for_status()

    def unsubscribed() -> bool:
        worker.join()
        db.rollback()
        return service.is_unsubscribed(db, tenant.id, "13800000001")

    assert _wait(unsubscribed)


def test_demo_unsubscribes_are_seeded_once(db, tenant):
    seed_unsubscribes(db, tenant.id)
    seed_unsubscribes(db, tenant.id)
    db.commit()
    rows = db.exec(select(SmsUnsubscribe).where(SmsUnsubscribe.tenant_id == tenant.id)).all()
    assert sorted(r.mobile for r in rows) == sorted(m for m, _, _ in DEMO_UNSUBSCRIBES)
