"""The vendors' common rules in the sandbox: which messages are taken (approved sign name and template, every
parameter, a valid mainland number, 50 per number and template per day, enough balance), what the phone receives,
and the delivery reports and uplink replies pushed back to the platform (``push``)."""

from __future__ import annotations

import re
import threading
from collections.abc import Mapping, Sequence

from .push import push
from .state import (
    APPROVED,
    DAILY_LIMIT_PER_NUMBER_TEMPLATE,
    MOBILE_RE,
    SandboxState,
    Sent,
    VendorAccount,
    segments,
)

# the sandbox's reasons; each vendor module maps them to its own codes
NO_SIGN, NO_TEMPLATE, MISSING_PARAMS, ILLEGAL_NUMBER, DAILY_LIMIT, NO_BALANCE = (
    "no_sign", "no_template", "missing_params", "illegal_number", "daily_limit", "no_balance")

_ALIYUN_VAR = re.compile(r"\$\{([^{}]+)\}")
_TENCENT_VAR = re.compile(r"\{(\d+)\}")


def render(content: str, params: Mapping[str, str] | Sequence[str]) -> str | None:
    """The template filled in (``${name}`` from a mapping, ``{1}``.. from a sequence); None when a value is
    missing."""
    missing = False

    def named(match: re.Match) -> str:
        nonlocal missing
        if not isinstance(params, Mapping) or match.group(1) not in params:
            missing = True
            return ""
        return str(params[match.group(1)])

    def numbered(match: re.Match) -> str:
        nonlocal missing
        index = int(match.group(1)) - 1
        values = list(params.values()) if isinstance(params, Mapping) else list(params)
        if not 0 <= index < len(values):
            missing = True
            return ""
        return str(values[index])

    text = _TENCENT_VAR.sub(numbered, _ALIYUN_VAR.sub(named, content))
    return None if missing else text


def refusal(state: SandboxState, account: VendorAccount, sign_name: str, template_code: str,
            params: Mapping[str, str] | Sequence[str]) -> str | None:
    """The request-level reason the vendor refuses a send (sign name, template, parameters), or None."""
    sign = account.signs.get(sign_name)
    if sign is None or sign.status != APPROVED:
        return NO_SIGN
    template = account.templates.get(template_code)
    if template is None or template.status != APPROVED:
        return NO_TEMPLATE
    if render(template.content, params) is None:
        return MISSING_PARAMS
    return None


def find_review(account: VendorAccount, kind: str, ref: str):
    """A template (by code) or sign name (by name, or by Tencent's SignId) of ``account``, or None."""
    items = account.templates if kind == "template" else account.signs
    return items.get(ref) or next((item for item in items.values() if item.ref == ref), None)


def number_refusal(state: SandboxState, account: VendorAccount, mobile: str, template_code: str) -> str | None:
    """The per-number reason (an invalid number, the daily limit per number and template), or None."""
    if not MOBILE_RE.match(mobile):
        return ILLEGAL_NUMBER
    if state.count_today(account.key_id, mobile, template_code) >= DAILY_LIMIT_PER_NUMBER_TEMPLATE:
        return DAILY_LIMIT
    return None


def take(state: SandboxState, account: VendorAccount, mobile: str, sign_name: str, template_code: str,
         params: Mapping[str, str] | Sequence[str], out_id: str, message_id: str) -> Sent:
    """Record one message as sent (the caller checked the refusals and the balance) and schedule its report."""
    text = f"【{sign_name}】{render(account.templates[template_code].content, params)}"
    message = Sent(message_id=message_id, provider=account.provider, key_id=account.key_id, mobile=mobile,
                   sign_name=sign_name, template_code=template_code,
                   params=dict(params) if isinstance(params, Mapping) else {str(i + 1): str(v) for i, v in
                                                                            enumerate(params)},
                   text=text, segments=segments(text), out_id=out_id, sent_at=state.clock())
    state.record_sent(account, message)
    if state.settings.auto_report:
        timer = threading.Timer(state.settings.report_delay, report, args=(state, message.key))
        timer.daemon = True
        timer.start()
    return message


def report(state: SandboxState, key: str, status: str | None = None, code: str = "") -> dict | None:
    """Push the delivery report of one sent message (``Sent.key``): delivered, or failed for the
    ``fail_numbers``; returns the callback as queued in the outbox."""
    with state.lock:
        message = state.sent.get(key)
        if message is None:
            return None
        account = state.accounts[message.key_id]
        failed = message.mobile in state.settings.fail_numbers
        message.status = status or ("failed" if failed else "delivered")
        message.code = code or ("UNDELIV" if message.status == "failed" else "DELIVRD")
    from . import aliyun_api, tencent_api

    module = aliyun_api if account.provider == "aliyun" else tencent_api
    return push(state, account, "report", module.report_body(state, message))


def uplink(state: SandboxState, account: VendorAccount, mobile: str, text: str, sign_name: str = "") -> dict:
    """Push a reply from ``mobile`` to the account's callback URL."""
    from . import aliyun_api, tencent_api

    module = aliyun_api if account.provider == "aliyun" else tencent_api
    return push(state, account, "uplink", module.uplink_body(state, mobile, text, sign_name))


def review(state: SandboxState, account: VendorAccount, kind: str, ref: str, status: str, reason: str = "") -> dict:
    """Decide a review (approve or reject with a reason) and push the result."""
    with state.lock:
        item = find_review(account, kind, ref)
        if item is None:
            raise KeyError(f"no {kind} {ref}")
        item.status, item.reason = status, reason if status != APPROVED else ""
    from . import aliyun_api, tencent_api

    module = aliyun_api if account.provider == "aliyun" else tencent_api
    return push(state, account, "review", module.review_body(kind, item))
