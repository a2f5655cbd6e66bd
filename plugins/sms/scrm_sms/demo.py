"""The SMS part of the demo brand (``demo_data`` of ``scrm demo``), entirely against the SMS sandbox:

1. the brand's SMS accounts on both vendors' sandboxes, wired both ways, with the sign name and templates approved
   there (the sign name also filed and approved on each account: bulk sends use only approved signatures), and a
   few unsubscribed numbers (``scrm_sms.demo_support``);
2. prepaid quota bought as packages (短信充值: 充值记录 rows and the audit log);
3. a finished marketing bulk send (短信群发) from the approved system template 直播开播提醒 to the customers of one
   of the brand's tags: planned through the channel kit, sent to the sandbox, the delivery reports pushed back to the
   platform's callback URL, the quota settled; its personalised short links (channel sms, campaign the bulk send);
4. the push statistics then read these rows (no rows of their own).

Idempotent: the accounts by key id, the top-ups by their note, the bulk send by its creator name.
"""

from __future__ import annotations

import logging
import time

from sqlalchemy import func
from sqlmodel import Session, select

from scrm.sdk import Customer, CustomerTag, Tag, utcnow

from . import demo_support
from .bulk import service as bulk_service
from .bulk.models import FINISHED, SmsBulkSend
from .quota import service as quota
from .quota.models import SmsRecharge
from .smstemplates.models import SmsTemplate

log = logging.getLogger(__name__)

CREATOR = "运营专员 林晓"
TOP_UP_NOTE = "开通短信服务赠送套餐"
LINK = "https://m.example.com/live/1212"
#: the tag audience: the smallest tag of the brand with at least this many customers with a mobile
MIN_AUDIENCE = 20


def seed_demo(tenant, session: Session, demo) -> None:
    base = demo.serve()
    sandbox = demo.sandbox_url("sms")
    account = demo_support.demo_account(session, tenant.id, sandbox, base, "aliyun")
    backup = demo_support.demo_account(session, tenant.id, sandbox, base, "tencent")
    for row in (account, backup):
        _approved_signature(session, tenant.id, row.id)
    demo_support.seed_unsubscribes(session, tenant.id, account.id)
    session.commit()
    _top_up(session, tenant.id)
    _bulk_send(tenant, session, demo, account, base)


def _approved_signature(session: Session, tenant_id: int, account_id: int) -> None:
    """The brand's sign name filed on the account and approved (the sandbox approved it): bulk sends may use only an
    approved signature of their account."""
    from .signatures.models import APPROVED, SmsSignature

    if session.exec(select(SmsSignature).where(SmsSignature.tenant_id == tenant_id,
                                               SmsSignature.account_id == account_id,
                                               SmsSignature.text == demo_support.DEMO_SIGN)).first() is None:
        now = utcnow()
        session.add(SmsSignature(tenant_id=tenant_id, account_id=account_id, text=demo_support.DEMO_SIGN,
                                 source="company", remark="品牌官方短信签名", status=APPROVED,
                                 provider_ref=demo_support.DEMO_SIGN, submitted_at=now, reviewed_at=now,
                                 created_by=CREATOR))
    session.commit()


def _top_up(session: Session, tenant_id: int) -> None:
    if session.exec(select(SmsRecharge).where(SmsRecharge.tenant_id == tenant_id,
                                              SmsRecharge.note == TOP_UP_NOTE)).first() is not None:
        return
    for category, package in (("marketing", "p20000"), ("notification", "p5000")):
        amount, price = quota.PACKAGES[package]
        quota.top_up(session, tenant_id, category, amount, package=package, price_fen=price, note=TOP_UP_NOTE)
    session.commit()


def _audience_tag(session: Session, tenant_id: int) -> int | None:
    count = func.count(func.distinct(CustomerTag.customer_id))
    rows = session.exec(select(Tag.id, count).join(CustomerTag, CustomerTag.tag_id == Tag.id)
                        .join(Customer, Customer.id == CustomerTag.customer_id)
                        .where(Tag.tenant_id == tenant_id, Customer.mobile.is_not(None))
                        .group_by(Tag.id).having(count >= MIN_AUDIENCE).order_by(count, Tag.id)).all()
    return rows[0][0] if rows else None


def _bulk_send(tenant, session: Session, demo, account, base: str) -> None:
    if session.exec(select(SmsBulkSend).where(SmsBulkSend.tenant_id == tenant.id,
                                              SmsBulkSend.creator_name == CREATOR)).first() is not None:
        return
    template = session.exec(select(SmsTemplate).where(SmsTemplate.tenant_id == tenant.id,
                                                      SmsTemplate.system_key == "live_broadcast")).first()
    tag_id = _audience_tag(session, tenant.id)
    if template is None or tag_id is None:
        log.warning("sms demo: no approved template or no tag with %s customers; no bulk send seeded", MIN_AUDIENCE)
        return
    bulk = bulk_service.create(session, tenant, account_id=account.id, category="marketing",
                               signature=demo_support.DEMO_SIGN, content=template.content, template_id=template.id,
                               audience={"mode": "tags", "tag_ids": [tag_id]}, creator_name=CREATOR,
                               employee_name="林晓", link_url=LINK, public_base=base)
    session.commit()
    deadline = time.monotonic() + 180
    while time.monotonic() < deadline:
        bulk_service.dispatch_once(session, bulk.id, tenant.id)
        session.commit()  # no transaction stays open while the jobs write (SQLite has one writer)
        demo.wait_for_jobs()
        bulk = session.get(SmsBulkSend, bulk.id, populate_existing=True)
        done = bulk.status == FINISHED and bulk.delivered_count + bulk.failed_count >= bulk.sent_count
        session.commit()
        if done:
            break
        time.sleep(0.5)
    time.sleep(1)  # the last delivery reports the sandbox pushes
    demo.wait_for_jobs()
    bulk_service.dispatch_once(session, bulk.id, tenant.id)
    session.commit()
