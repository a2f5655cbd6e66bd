"""The SMS channel's jobs: applying stored callbacks, and polling the vendors for messages whose report never came.

``process_callbacks`` (the inbox's job) applies each stored item once: a delivery report moves the ledger forward
only (``mark_delivery_report``; a report for an Aliyun/Tencent id no row has yet is kept by the platform until the
send job records it); an uplink reply lands on the customer's timeline and, when it is TD / T / 退订, puts the
number on the unsubscribe list; a review result goes to the template and signature reviews
(``scrm_sms.review.apply_review``) and is published as the domain event ``sms.review_result``.

``poll_statuses`` is the tenant's durable fallback (``scheduled_job`` key ``sms.status:<tenant>``, every
``POLL_EVERY`` while the plugin is enabled): rows still ``sent`` ``POLL_AFTER`` after sending and younger than
``POLL_WITHIN`` are looked up at the vendor by number and id, at most ``POLL_BATCH`` a run.
"""

from __future__ import annotations

import json
import logging
from datetime import UTC, datetime, timedelta

from sqlmodel import Session, select

from scrm.sdk import (
    ChannelAccount,
    DeliveryStatus,
    InboundCallback,
    MessageDelivery,
    actor,
    advance_delivery,
    job_session,
    mark_delivery_report,
    publish,
    schedule,
    utcnow,
)
from scrm.sdk.timeline import add_entry

from . import labels
from .bulk import jobs as _bulk_jobs  # noqa: F401  (declares the bulk-send dispatcher)
from .optout import service as optout
from .optout.models import SOURCE_UPLINK
from .optout.rules import is_unsubscribe
from .providers import for_account
from .providers.base import DELIVERED, FAILED, OutcomeUnknown, ProviderError, ReviewResult, Unreachable
from .signatures import jobs as _review_jobs  # noqa: F401  (declares the review poll of signatures and templates)
from .timeline import REPLIED, UNSUBSCRIBED

log = logging.getLogger(__name__)
PLUGIN = "sms"
REVIEW_EVENT = "sms.review_result"
POLL_JOB = "scrm_sms.jobs.poll_statuses"
POLL_EVERY = timedelta(minutes=5)
POLL_AFTER = timedelta(minutes=10)
POLL_WITHIN = timedelta(days=3)
POLL_BATCH = 500
BEIJING = timedelta(hours=8)
REPORT_STATUS = {DELIVERED: DeliveryStatus.DELIVERED, FAILED: DeliveryStatus.FAILED}


def _time(value) -> datetime | None:
    try:
        # the vendors report Beijing time without a zone; a time with a zone is taken as it is
        if not value:
            return None
        moment = datetime.fromisoformat(value)
        return moment.astimezone(UTC) if moment.tzinfo else (moment - BEIJING).replace(tzinfo=UTC)
    except (TypeError, ValueError):
        return None


def apply_report(session: Session, account: ChannelAccount, item: dict) -> None:
    status = REPORT_STATUS.get(item.get("status"))
    if status is None or not item.get("message_id"):
        return
    failed = status == DeliveryStatus.FAILED
    error = f"{item.get('code') or ''} {item.get('description') or ''}".strip() if failed else None
    row = mark_delivery_report(session, account.tenant_id, PLUGIN, str(item["message_id"]), status,
                               error_code=labels.UNDELIVERED if failed else None, error=error,
                               at=_time(item.get("reported_at")), account_id=account.id)
    if row is None and str(item.get("out_id") or "").startswith("d"):
        _apply_by_out_id(session, account, item, status, error)


def _apply_by_out_id(session: Session, account: ChannelAccount, item: dict, status, error) -> None:
    """A report whose vendor id no row carries (the send's answer was lost and ``query_outcome`` learnt no id):
    the row named by the out id, if it is this account's and has no vendor id."""
    try:
        delivery_id = int(str(item["out_id"])[1:])
    except ValueError:
        return
    row = session.get(MessageDelivery, delivery_id)
    if (row is None or row.tenant_id != account.tenant_id or row.account_id != account.id
            or row.channel != PLUGIN or row.provider_id):
        return
    advance_delivery(session, row.id, status, provider_id=str(item["message_id"]),
                     error_code=labels.UNDELIVERED if status == DeliveryStatus.FAILED else None, error=error,
                     tenant_id=account.tenant_id)


def apply_uplink(session: Session, account: ChannelAccount, item: dict) -> None:
    mobile = optout.normalise_mobile(str(item.get("mobile") or ""))
    if mobile is None:
        return
    text = str(item.get("text") or "")[:300]
    customers = optout.customers_of(session, account.tenant_id, mobile)
    for customer_id in customers:
        add_entry(session, REPLIED, tenant_id=account.tenant_id, customer_id=customer_id, text=text, mobile=mobile)
    if is_unsubscribe(text) and optout.unsubscribe(session, account.tenant_id, mobile, source=SOURCE_UPLINK,
                                                   account_id=account.id, reply=text):
        for customer_id in customers:
            add_entry(session, UNSUBSCRIBED, tenant_id=account.tenant_id, customer_id=customer_id, mobile=mobile,
                      source=SOURCE_UPLINK, reply=text[:20])


def apply_review(session: Session, account: ChannelAccount, item: dict) -> None:
    result = ReviewResult(str(item.get("kind")), str(item.get("ref")), str(item.get("status")),
                          str(item.get("reason") or ""))
    from . import review

    review.apply_review(session, account, result)
    publish(session, account.tenant_id, REVIEW_EVENT, {"account_id": account.id, "kind": result.kind,
                                                       "ref": result.ref, "status": result.status,
                                                       "reason": result.reason})


APPLY = {"report": apply_report, "uplink": apply_uplink, "review": apply_review}


@actor(max_retries=5, min_backoff=1_000, time_limit=60_000)
def process_callbacks(tenant_id: int, *, inbound_ids: list[int]) -> None:
    """Apply stored callbacks ``inbound_ids`` of ``tenant_id`` once each (rows of another tenant or plugin, or
    already processed, are skipped; the platform's inbox recovery re-runs what stayed unprocessed)."""
    for inbound_id in sorted(inbound_ids):
        with job_session() as session:
            inbound = session.exec(select(InboundCallback).where(
                InboundCallback.id == inbound_id, InboundCallback.tenant_id == tenant_id,
                InboundCallback.plugin == PLUGIN).with_for_update()).first()
            if inbound is None or inbound.processed_at is not None:
                continue
            account = session.get(ChannelAccount, inbound.account_id)
            if account is not None and account.tenant_id == tenant_id:
                for item in json.loads(inbound.body):
                    apply = APPLY.get(item.get("type"))
                    if apply is not None:
                        apply(session, account, item)
            inbound.processed_at = utcnow()
            session.add(inbound)


# -- the status poll ---------------------------------------------------------------------------------------------------


def poll_key(tenant_id: int) -> str:
    return f"sms.status:{tenant_id}"


def ensure_status_poll(session: Session, tenant_id: int) -> None:
    """Schedule the tenant's status poll (every ``POLL_EVERY``), unless it is scheduled already."""
    from scrm.sdk import ScheduledJob

    job = session.exec(select(ScheduledJob).where(ScheduledJob.key == poll_key(tenant_id))).first()
    if job is None or job.status != "pending":
        schedule(session, POLL_JOB, utcnow() + POLL_EVERY, tenant_id=tenant_id, key=poll_key(tenant_id),
                 interval_seconds=int(POLL_EVERY.total_seconds()))


def stale_rows(session: Session, tenant_id: int, now: datetime) -> list[MessageDelivery]:
    return list(session.exec(select(MessageDelivery).where(
        MessageDelivery.tenant_id == tenant_id, MessageDelivery.channel == PLUGIN,
        MessageDelivery.status == DeliveryStatus.SENT, MessageDelivery.sent_at <= now - POLL_AFTER,
        MessageDelivery.sent_at >= now - POLL_WITHIN).order_by(MessageDelivery.sent_at).limit(POLL_BATCH)).all())


def poll_tenant(tenant_id: int, now: datetime | None = None) -> int:
    """Ask the vendors about the tenant's stale ``sent`` rows (outside any write transaction), then apply what they
    know in one; returns how many rows moved. An account whose vendor fails is skipped for the rest of the run."""
    now = now or utcnow()
    with job_session() as session:
        rows = stale_rows(session, tenant_id, now)
        accounts = {a.id: a for a in session.exec(select(ChannelAccount).where(
            ChannelAccount.tenant_id == tenant_id, ChannelAccount.plugin == PLUGIN,
            ChannelAccount.id.in_({r.account_id for r in rows}))).all()}
        for account in accounts.values():
            session.expunge(account)
        wanted = [(r.id, r.account_id, r.recipient, r.provider_id, r.sent_at) for r in rows]
    found = []
    broken: set[int] = set()
    for row_id, account_id, recipient, provider_id, sent_at in wanted:
        account = accounts.get(account_id)
        if account is None or account_id in broken:
            continue
        try:
            report = for_account(account).query_status(recipient, message_id=provider_id or "",
                                                       out_id=f"d{row_id}", sent_on=(sent_at + BEIJING).date())
        except (ProviderError, Unreachable, OutcomeUnknown, KeyError) as exc:
            log.info("sms status poll of account %s stopped: %s", account_id, type(exc).__name__)
            broken.add(account_id)
            continue
        if report is not None and report.status in REPORT_STATUS:
            found.append((row_id, provider_id, report))
    moved = 0
    with job_session() as session:
        for row_id, provider_id, report in found:
            failed = report.status == FAILED
            moved += advance_delivery(session, row_id, REPORT_STATUS[report.status], tenant_id=tenant_id,
                                      provider_id=None if provider_id else (report.message_id or None),
                                      error_code=labels.UNDELIVERED if failed else None,
                                      error=f"{report.code} {report.description}".strip() if failed else None)
    return moved


@actor(max_retries=3, min_backoff=5_000, time_limit=300_000)
def poll_statuses(tenant_id: int) -> None:
    """The tenant's status poll (the durable schedule runs it every ``POLL_EVERY``)."""
    poll_tenant(tenant_id)
