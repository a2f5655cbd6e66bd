"""The channel contract's work: one message to the vendor (``deliver``), an unknown outcome resolved by the status
query (``query_outcome``), and the account check. The platform's send job calls these at the account's rate; no
feature calls a vendor itself.

Sends are not idempotent at Aliyun or Tencent: a request whose answer was lost raises (the platform then calls
``query_outcome``, which looks the message up by its out id ``d<ledger row id>`` — Aliyun ``OutId``, Tencent
``SessionContext``); only a refusal that surely took nothing (API throttling, connection refused) is retryable.
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime, timedelta

from sqlmodel import Session

from scrm.sdk import CheckResult, SendResult, current_bus

from . import labels
from .account_settings import credentials_of
from .optout.service import is_unsubscribed, normalise_mobile
from .payload import MARKETING, category_of, split_signature
from .providers import for_account
from .providers.base import (
    DELIVERED,
    FAILED,
    TEMPLATE,
    OutcomeUnknown,
    ProviderError,
    SmsRequest,
    Unreachable,
)

log = logging.getLogger(__name__)
CHECK_TIMEOUT = 5.0
BEIJING = timedelta(hours=8)


def out_id(outgoing) -> str:
    """The platform's key of a send at the vendor (echoed in reports and status queries)."""
    return f"d{outgoing.delivery_id}"


def _failed(error: ProviderError) -> SendResult:
    return SendResult.failed(labels.reason_code(error.reason), f"{error.code}: {error.message}"[:500],
                             retryable=error.retryable)


def build_request(account, outgoing) -> SmsRequest | SendResult:
    """The vendor request of ``outgoing`` (see ``scrm_sms.payload``), or the failure that keeps it from the vendor."""
    config = account.config or {}
    mobile = normalise_mobile(outgoing.recipient)
    if mobile is None:
        return SendResult.failed(labels.reason_code("illegal_number"), f"'{outgoing.recipient}' is not a mobile")
    payload = outgoing.message.payload or {}
    if str(outgoing.message.kind) == "text":
        sign, body = split_signature(str(payload.get("content") or ""))
        template = str(config.get("text_template") or "")
        if not template:
            return SendResult.failed(labels.NO_TEXT_TEMPLATE, "the account has no template for typed text")
        return SmsRequest(mobile, sign or str(config.get("sign_name") or ""), template, {"content": body},
                          out_id(outgoing))
    template = str(payload.get("template_id") or "")
    if not template:
        return SendResult.failed(labels.reason_code(TEMPLATE), "the message names no template")
    params = {str(k): str(v) for k, v in (payload.get("params") or {}).items()}
    sign = str(payload.get("sign_name") or config.get("sign_name") or "")
    return SmsRequest(mobile, sign, template, params, out_id(outgoing))


def opted_out(account, outgoing) -> bool:
    """A marketing message to a number on the tenant's unsubscribe list (read now: a TD reply counts at once)."""
    if category_of(outgoing.message.payload) != MARKETING:
        return False
    if outgoing.message.payload.get("unsubscribe_checked"):  # a bulk-send row: read with its nickname just now
        return False
    with Session(current_bus().engine) as session:
        return is_unsubscribed(session, account.tenant_id, outgoing.recipient)


def deliver(account, outgoing) -> SendResult:
    request = build_request(account, outgoing)
    if isinstance(request, SendResult):
        return request
    if opted_out(account, outgoing):
        return SendResult.declined(labels.UNSUBSCRIBED, "the number replied TD or was unsubscribed")
    try:
        outcome = for_account(account).send(request)
    except ProviderError as error:
        return _failed(error)
    except Unreachable as exc:
        return SendResult.failed(labels.UNREACHABLE, str(exc)[:300], retryable=True)
    except OutcomeUnknown:
        raise  # the platform resolves it with query_outcome; never sent twice
    if not outcome.ok:
        return _failed(outcome.error)
    return SendResult.sent(outcome.message_id)


def query_outcome(account, outgoing) -> SendResult | None:
    """The vendor's record of a send whose outcome is unknown, looked up by its out id on the day it was sent
    (Beijing time, and the day before around midnight); None when the vendor cannot be asked now."""
    mobile = normalise_mobile(outgoing.recipient)
    if mobile is None:
        return None
    try:
        client = for_account(account)
        today = (datetime.now(UTC) + BEIJING).date()
        for day in (today, today - timedelta(days=1)):
            report = client.query_status(mobile, out_id=out_id(outgoing), sent_on=day)
            if report is not None:
                break
    except (ProviderError, Unreachable, OutcomeUnknown, KeyError) as exc:
        log.info("sms status query of delivery %s failed: %s", outgoing.delivery_id, type(exc).__name__)
        return None
    if report is None:
        return SendResult.failed(labels.NOT_SENT, "the provider has no message with this out id")
    if report.status == FAILED:
        return SendResult.failed(labels.UNDELIVERED, f"{report.code} {report.description}".strip()[:500])
    return SendResult.sent(report.message_id or None, delivered=report.status == DELIVERED)


def check_account(account, credentials) -> CheckResult:
    """A cheap authenticated call with the given keys (nothing is sent)."""
    try:
        client = for_account(account, credentials, timeout=CHECK_TIMEOUT)
        summary = client.check()
    except KeyError as exc:
        return CheckResult(False, str(exc), {"key_secret": {"ok": False}})
    except ProviderError as error:
        return CheckResult(False, f"{error.code} {error.message}".strip(), {"key_secret": {"ok": False}})
    except (Unreachable, OutcomeUnknown) as exc:
        return CheckResult(False, f"unreachable: {exc}"[:300], {"key_secret": {"ok": False}})
    return CheckResult(True, summary, {"key_secret": {"ok": True}})


__all__ = ["build_request", "check_account", "credentials_of", "deliver", "out_id", "query_outcome"]
