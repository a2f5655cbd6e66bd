"""The SMS (短信) channel plugin: Aliyun / Tencent Cloud accounts, signatures and templates, bulk sends, quota,
opt-out and a local sandbox of both providers.

Public API for other plugins (list ``"sms"`` in ``requires``; import these names from ``scrm_sms``, nothing deeper).
Names resolve on first use, so importing this package stays cheap.

Sending an SMS (never call a vendor yourself: the channel kit calls ``deliver`` at the account's rate)
    ``send_message(session, tenant_id, account=<sms account>, recipient="13800000000", purpose=purpose_for(category),
    message=template_message(code, params, content=..., category=...) | text_message("【签名】…", category=...))``
    or ``plan_bulk_send`` with the same message and purpose. ``MARKETING_PURPOSE`` (``"sms"``: the blacklist and the
    unsubscribe list refuse it) and ``NOTIFICATION_PURPOSE`` (``"sms_notification"``). See ``scrm_sms.payload``.
The unsubscribe list
    ``is_unsubscribed(session, tenant_id, mobile)``, ``unsubscribed_among(session, tenant_id, mobiles)`` (a set),
    ``unsubscribe(session, tenant_id, mobile, source=..., ...)``, ``resubscribe(session, tenant_id, mobile)``,
    ``normalise_mobile(value)`` (11 digits or None).
Vendors
    ``SmsProvider`` (subclass it for another vendor and declare it under the entry-point group
    ``scrm_sms.providers``), ``provider_for_account(account)`` (the client of an SMS channel account),
    ``ProviderError`` / ``Unreachable`` / ``OutcomeUnknown``, ``ReviewResult``.
Events
    ``REVIEW_EVENT`` (``"sms.review_result"``): a template or sign review result arrived in a callback
    (payload ``account_id``, ``kind``, ``ref``, ``status``, ``reason``).
"""

from __future__ import annotations

import importlib
from typing import Any

#: public name -> (module inside this package, attribute)
_EXPORTS: dict[str, tuple[str, str]] = {
    # the payload convention
    "MARKETING_PURPOSE": ("payload", "MARKETING_PURPOSE"),
    "NOTIFICATION_PURPOSE": ("payload", "NOTIFICATION_PURPOSE"),
    "purpose_for": ("payload", "purpose_for"),
    "template_message": ("payload", "template_message"),
    "text_message": ("payload", "text_message"),
    # the unsubscribe list
    "is_unsubscribed": ("optout.service", "is_unsubscribed"),
    "unsubscribed_among": ("optout.service", "unsubscribed_among"),
    "unsubscribe": ("optout.service", "unsubscribe"),
    "resubscribe": ("optout.service", "resubscribe"),
    "normalise_mobile": ("optout.service", "normalise_mobile"),
    # vendors
    "SmsProvider": ("providers.base", "SmsProvider"),
    "ProviderError": ("providers.base", "ProviderError"),
    "Unreachable": ("providers.base", "Unreachable"),
    "OutcomeUnknown": ("providers.base", "OutcomeUnknown"),
    "ReviewResult": ("providers.base", "ReviewResult"),
    "provider_for_account": ("providers", "for_account"),
    # events
    "REVIEW_EVENT": ("jobs", "REVIEW_EVENT"),
}


def __getattr__(name: str) -> Any:
    try:
        module, attribute = _EXPORTS[name]
    except KeyError:
        raise AttributeError(f"module 'scrm_sms' has no attribute '{name}'") from None
    return getattr(importlib.import_module(f".{module}", __name__), attribute)


__all__ = sorted(_EXPORTS)
