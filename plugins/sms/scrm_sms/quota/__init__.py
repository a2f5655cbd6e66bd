"""Prepaid SMS quota per tenant and category (marketing / notification): reserve, consume, release, top up.

Public functions for other areas of the plugin (statistics pages): ``remaining``, ``sent``, ``purchased``,
``summary`` (``scrm_sms.quota.service``)."""

from .service import (  # noqa: F401
    CATEGORIES,
    InsufficientBalance,
    purchased,
    remaining,
    sent,
    summary,
)
