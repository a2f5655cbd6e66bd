"""The review of signatures and templates at the provider: filing, the review callback, the poll.

* ``submit_signature`` / ``submit_template``: file a pending row with the provider of its account (after the row
  is committed: a provider call never runs inside an open write transaction). A refusal of the filing itself for a
  content reason (the vendor's ``content`` / ``signature`` / ``template`` reasons) ends the row rejected with the
  vendor's message; a failure that says nothing about the content (unreachable, credentials, throttling, balance)
  keeps it pending with ``submit_error`` and the poll files it again.
* ``apply_review``: a review result (from the provider's callback, parsed by the channel, or from the poll) moves
  the pending row of that account with that template code / sign name to approved or rejected with the reason.
  Only pending rows move: a late or repeated callback is harmless.
* ``poll``: the tenant's durable poll (``scheduled_job`` key ``sms.review:<tenant>``): files what is not filed yet,
  asks the provider about every pending row, and schedules itself again in ``POLL_EVERY`` while rows are pending.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

from sqlmodel import Session, select

from scrm.sdk import ChannelAccount, ScheduledJob, schedule, utcnow

from .providers.base import (
    APPROVED,
    CONTENT,
    PENDING,
    REJECTED,
    SIGNATURE,
    TEMPLATE,
    OutcomeUnknown,
    ProviderError,
    ReviewResult,
    SignatureDraft,
    TemplateDraft,
    Unreachable,
)
from .signatures.models import SmsSignature
from .smstemplates.models import SmsTemplate

log = logging.getLogger(__name__)

POLL_EVERY = timedelta(minutes=5)
POLL_JOB = "scrm_sms.signatures.jobs.poll_reviews"
#: vendor reasons that judge the content: the filing ends rejected (anything else is retried by the poll)
CONTENT_REASONS = (CONTENT, SIGNATURE, TEMPLATE)

#: the signature's source (what it names) as each vendor's proof type code (Aliyun SignSource, Tencent SignType)
SOURCE_CODES = {
    "aliyun": {"company": "0", "website": "1", "app": "2", "official_account": "3", "shop": "4", "trademark": "5"},
    "tencent": {"company": "0", "app": "1", "website": "2", "official_account": "3", "trademark": "4", "shop": "0"},
}

#: how the review of a row's account is reached: ``provider_factory(account) -> SmsProvider`` (tests and the
#: channel set it; by default the channel's own factory)
ProviderFactory = Callable[[ChannelAccount], Any]


def default_provider(account: ChannelAccount):
    """The provider client of ``account`` with its stored credentials (the channel's factory)."""
    from . import providers

    factory = getattr(providers, "for_account", None) or getattr(providers, "provider_for", None)
    if factory is None:
        raise RuntimeError("scrm_sms.providers offers no provider factory")
    return factory(account)


def poll_key(tenant_id: int) -> str:
    return f"sms.review:{tenant_id}"


def ensure_poll(session: Session, tenant_id: int, due_at: datetime | None = None) -> None:
    """Make sure the tenant's review poll runs at ``due_at`` (default: in ``POLL_EVERY``) at the latest."""
    from .signatures import jobs  # noqa: F401  (declares the actor the schedule names)

    due_at = due_at or utcnow() + POLL_EVERY
    job = session.exec(select(ScheduledJob).where(ScheduledJob.key == poll_key(tenant_id))).first()
    if job is not None and job.status == "pending" and job.due_at <= due_at:
        return
    schedule(session, POLL_JOB, due_at, tenant_id=tenant_id, key=poll_key(tenant_id))


def _account(session: Session, row) -> ChannelAccount | None:
    account = session.get(ChannelAccount, row.account_id) if row.account_id else None
    return account if account is not None and account.tenant_id == row.tenant_id else None


def _refused(row, exc: Exception) -> None:
    """A filing that did not go through: rejected for a content reason, else kept for the poll to retry."""
    now = utcnow()
    if isinstance(exc, ProviderError) and exc.reason in CONTENT_REASONS:
        row.status, row.reason, row.reviewed_at, row.submit_error = REJECTED, (exc.message or exc.code)[:500], now, ""
    else:
        code = exc.code if isinstance(exc, ProviderError) else type(exc).__name__
        row.submit_error = f"{code}"[:200]
    row.updated_at = now


def submit_signature(session: Session, row: SmsSignature, factory: ProviderFactory | None = None) -> bool:
    """File the pending signature with its account's provider; True when the provider took it."""
    account = _account(session, row)
    if account is None or row.status != PENDING:
        return False
    try:
        provider = (factory or default_provider)(account)
        source = SOURCE_CODES.get(getattr(provider, "name", ""), {}).get(row.source, row.source)
        ref = provider.submit_signature(SignatureDraft(row.text, row.remark, source))
    except (ProviderError, Unreachable, OutcomeUnknown, OSError, RuntimeError, KeyError) as exc:
        _refused(row, exc)
        session.add(row)
        log.warning("filing SMS signature %s failed: %s", row.id, exc)
        return False
    row.provider_ref, row.submitted_at, row.submit_error, row.updated_at = str(ref)[:64], utcnow(), "", utcnow()
    session.add(row)
    return True


def submit_template(session: Session, row: SmsTemplate, factory: ProviderFactory | None = None) -> bool:
    """File the pending custom template (its content with the marketing suffix, as it will be sent)."""
    account = _account(session, row)
    if account is None or row.status != PENDING or row.kind != "custom":
        return False
    from . import content

    body = row.content
    if row.category == content.MARKETING:
        body = content.compose("x", body, content.MARKETING)[len("【x】"):]
    try:
        provider = (factory or default_provider)(account)
        code = provider.submit_template(TemplateDraft(row.name, body, row.category, row.remark))
    except (ProviderError, Unreachable, OutcomeUnknown, OSError, RuntimeError, KeyError) as exc:
        _refused(row, exc)
        session.add(row)
        log.warning("filing SMS template %s failed: %s", row.id, exc)
        return False
    row.provider_code, row.submitted_at, row.submit_error, row.updated_at = str(code)[:64], utcnow(), "", utcnow()
    session.add(row)
    return True


def _apply(row, result: ReviewResult) -> bool:
    if row.status != PENDING or result.status not in (APPROVED, REJECTED):
        return False
    now = utcnow()
    row.status, row.reviewed_at, row.updated_at = result.status, now, now
    row.reason = (result.reason or "")[:500] if result.status == REJECTED else ""
    return True


def apply_review(session: Session, account: ChannelAccount, result: ReviewResult) -> int:
    """Apply one review result of ``account``'s provider to the tenant's pending rows it names; the number of rows
    moved (0 for an unknown ref, another account's row or a row no longer pending)."""
    if result.kind == "signature":
        rows = session.exec(select(SmsSignature).where(
            SmsSignature.tenant_id == account.tenant_id, SmsSignature.account_id == account.id,
            SmsSignature.provider_ref == result.ref, SmsSignature.status == PENDING)).all()
    elif result.kind == "template":
        rows = session.exec(select(SmsTemplate).where(
            SmsTemplate.tenant_id == account.tenant_id, SmsTemplate.account_id == account.id,
            SmsTemplate.provider_code == result.ref, SmsTemplate.status == PENDING)).all()
    else:
        return 0
    moved = 0
    for row in rows:
        if _apply(row, result):
            session.add(row)
            moved += 1
    return moved


def pending_rows(session: Session, tenant_id: int) -> list[SmsSignature | SmsTemplate]:
    signatures = session.exec(select(SmsSignature).where(SmsSignature.tenant_id == tenant_id,
                                                         SmsSignature.status == PENDING)
                              .order_by(SmsSignature.id)).all()
    templates = session.exec(select(SmsTemplate).where(SmsTemplate.tenant_id == tenant_id,
                                                       SmsTemplate.kind == "custom",
                                                       SmsTemplate.status == PENDING)
                             .order_by(SmsTemplate.id)).all()
    return [*signatures, *templates]


def poll(session: Session, tenant_id: int, factory: ProviderFactory | None = None) -> int:
    """File what is not filed, ask the provider about the rest; commits per row. Returns the rows that moved.
    Reschedules itself while rows stay pending."""
    moved = 0
    for row in pending_rows(session, tenant_id):
        is_signature = isinstance(row, SmsSignature)
        ref = row.provider_ref if is_signature else row.provider_code
        if not ref or row.submitted_at is None:
            (submit_signature if is_signature else submit_template)(session, row, factory)
            moved += row.status != PENDING
            session.commit()
            continue
        account = _account(session, row)
        if account is None:
            continue
        session.commit()  # no transaction open across the provider call
        try:
            provider = (factory or default_provider)(account)
            result = provider.query_signature(ref) if is_signature else provider.query_template(ref)
        except (ProviderError, Unreachable, OutcomeUnknown, OSError, RuntimeError, KeyError) as exc:
            log.warning("review poll of SMS %s %s failed: %s", "signature" if is_signature else "template",
                        row.id, exc)
            continue
        if _apply(row, result):
            session.add(row)
            moved += 1
        session.commit()
    if pending_rows(session, tenant_id):
        ensure_poll(session, tenant_id)
        session.commit()
    return moved


def withdraw(session: Session, kind: str, account_id: int | None, tenant_id: int, ref: str,
             factory: ProviderFactory | None = None) -> bool:
    """Delete a template (``kind`` "template") or sign name ("signature") at the vendor after the row was deleted
    here; best effort: a failure is logged (the vendor keeps an unused filing), never raised."""
    account = session.get(ChannelAccount, account_id) if account_id and ref else None
    if account is None or account.tenant_id != tenant_id:
        return False
    try:
        provider = (factory or default_provider)(account)
        (provider.delete_template if kind == "template" else provider.delete_signature)(ref)
    except (ProviderError, Unreachable, OutcomeUnknown, OSError, RuntimeError, KeyError) as exc:
        log.warning("withdrawing SMS %s %s at the vendor failed: %s", kind, ref, exc)
        return False
    return True
