"""The message payload convention of the SMS channel: what a feature hands to ``scrm.sdk.send_message`` /
``plan_bulk_send`` for an SMS account, and under which purpose.

Two kinds (the channel's ``capabilities``):

``template`` — a template filed and approved at the vendor::

    OutboundMessage("template", {"template_id": "SMS_123456" | "1234567",   # the vendor's template code
                                 "params": {"customer_nickname": "李女士", ...},  # in the template's variable order
                                 "sign_name": "珍客零售",       # optional: else the account's default sign name
                                 "content": "【珍客零售】李女士您好…",  # the text the phone receives (records, segments)
                                 "category": "marketing" | "notification",
                                 "segments": 1})               # billed messages, from scrm_sms.content.segments

  Aliyun receives ``params`` as the TemplateParam JSON object; Tencent Cloud receives its values in order as the
  TemplateParamSet (Tencent templates number their variables {1}, {2} ..).

``text`` — typed text, already rendered and signed::

    OutboundMessage("text", {"content": "【珍客零售】周末会员日全场8折 回TD退订", "category": "marketing",
                             "segments": 1})

  sent through the account's *template for typed text* (a vendor template whose whole content is one variable:
  ``${content}`` at Aliyun, ``{1}`` at Tencent Cloud) under the sign name in the leading 【】 (else the account's
  default); an account without one fails the row with ``sms_no_text_template``.

Purposes: marketing SMS go out under ``MARKETING_PURPOSE`` (``"sms"``: the members blacklist and the SMS
unsubscribe list both refuse it), notifications under ``NOTIFICATION_PURPOSE`` (``"sms_notification"``: neither
refuses it). ``purpose_for(category)`` picks it. The recipient address is the 11-digit mainland mobile.
"""

from __future__ import annotations

import re
from typing import Any

from scrm.sdk import OutboundMessage

MARKETING, NOTIFICATION = "marketing", "notification"
CATEGORIES = (MARKETING, NOTIFICATION)
MARKETING_PURPOSE = "sms"
NOTIFICATION_PURPOSE = "sms_notification"
PURPOSES = {MARKETING: MARKETING_PURPOSE, NOTIFICATION: NOTIFICATION_PURPOSE}
_SIGNED = re.compile(r"^\s*【([^【】]{1,30})】(.*)$", re.S)


def purpose_for(category: str) -> str:
    """The ``send_message`` purpose of an SMS of ``category`` (``marketing`` or ``notification``)."""
    if category not in PURPOSES:
        raise ValueError(f"an SMS category is marketing or notification, not {category!r}")
    return PURPOSES[category]


def template_message(template_id: str, params: dict[str, Any] | None = None, *, content: str = "",
                     category: str = NOTIFICATION, sign_name: str | None = None,
                     segments: int | None = None) -> OutboundMessage:
    """An SMS of an approved vendor template (see the module's convention)."""
    purpose_for(category)
    payload: dict[str, Any] = {"template_id": str(template_id),
                               "params": {str(k): "" if v is None else str(v) for k, v in (params or {}).items()},
                               "content": content, "category": category}
    if sign_name:
        payload["sign_name"] = sign_name
    if segments is not None:
        payload["segments"] = int(segments)
    return OutboundMessage("template", payload)


def text_message(content: str, *, category: str = NOTIFICATION, segments: int | None = None) -> OutboundMessage:
    """An SMS of typed text, already rendered with its 【signature】 (and " 回TD退订" when marketing)."""
    purpose_for(category)
    payload: dict[str, Any] = {"content": content, "category": category}
    if segments is not None:
        payload["segments"] = int(segments)
    return OutboundMessage("text", payload)


def split_signature(content: str) -> tuple[str | None, str]:
    """``"【珍客零售】周末见"`` -> ``("珍客零售", "周末见")``; text without a leading 【】 -> ``(None, text)``."""
    match = _SIGNED.match(content or "")
    return (match.group(1).strip(), match.group(2)) if match else (None, content or "")


def category_of(payload: dict[str, Any]) -> str:
    """The payload's category; anything but ``notification`` counts as marketing (the safe side for opt-outs)."""
    return NOTIFICATION if (payload or {}).get("category") == NOTIFICATION else MARKETING
