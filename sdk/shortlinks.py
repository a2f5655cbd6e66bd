"""Short links for every channel: the one service SMS, official-account replies, WeCom materials and posters use.

    from scrm.sdk import shortlinks

    link = shortlinks.create(session, tenant_id, "https://shop.example.com/1212", channel="sms",
                             campaign="sms_task:42", campaign_label="双12会员日", created_by="plugin:sms")
    url = shortlinks.short_url(link)                 # https://<public host>/s/Ab3dE7k
    codes = shortlinks.create_many_personalised(session, link, [("13800000000", customer_id), ...])
    texts = [f"... {shortlinks.short_url(code)} 回TD退订" for code in codes]   # one link per recipient
    png = shortlinks.qr_png(session, link)            # the tenant's logo in the centre when its switch is on

Rules (spec A.2, A.3): a ``short`` link is valid 5 years from its creation, a ``long`` link is permanent; each link
records its channel and campaign; targets are http(s) URLs validated when stored (``ShortLinkError`` otherwise,
``exc.field`` and ``exc.message``, a message id to translate); the public route ``/s/<code>`` records the click and
answers 302 to the stored target (404 unknown, 410 expired). A personalised link (8 characters) counts clicks per
recipient (``recipient_stats``). Functions take the caller's session and never commit.
"""

from __future__ import annotations

import os
from typing import Any

from sqlmodel import Session

from scrm.core.models import ShortLink, ShortLinkClick, ShortLinkRecipient, TenantLogo
from scrm.core.shortlinks import (
    AGENTS,
    ALPHABET,
    CHANNELS,
    CODE_LENGTH,
    KINDS,
    PERSONAL_CODE_LENGTH,
    SHORT_VALIDITY_YEARS,
    TARGET_MAX,
    LinkStats,
    Recipient,
    Resolved,
    ShortLinkError,
    agent_class,
    click_counts,
    clicks,
    create,
    create_many_personalised,
    expiry_for,
    get,
    get_by_code,
    query,
    recipient_stats,
    record_click,
    resolve,
    stats,
    validate_target,
)
from scrm.core.shortlinks import short_url as _short_url

from . import qr

AUTO: Any = object()


def base_url(base: str | None = None) -> str:
    """The public URL short links are written with: ``base`` when given, else the current request's host root, else
    the platform's ``SCRM_PUBLIC_URL``; ``RuntimeError`` when none is known (a job outside a request must have
    ``SCRM_PUBLIC_URL`` set)."""
    if base:
        return base
    from flask import has_request_context, request

    if has_request_context():
        return request.url_root
    public = os.environ.get("SCRM_PUBLIC_URL")
    if public:
        return public
    raise RuntimeError("set SCRM_PUBLIC_URL: short links need the site's public address outside a request")


def short_url(link_or_code: ShortLink | str, base: str | None = None) -> str:
    """``<public URL>/s/<code>`` of a link or a code (a personalised link's code included)."""
    return _short_url(link_or_code, base_url(base))


def qr_png(session: Session, link: ShortLink | str, *, size: int = qr.DEFAULT_SIZE, logo: Any = AUTO,
           base: str | None = None, tenant_id: int | None = None) -> bytes:
    """A PNG QR code of ``size`` px (one of ``qr.SIZES``) encoding the short URL of ``link`` (a ``ShortLink`` or a
    code; give ``tenant_id`` with a code). ``logo``: ``AUTO`` (default) draws the tenant's logo when its
    "logo on QR codes" switch is on (A.2); ``None``/``False`` draws none; PNG bytes (``qr.validate_logo``) draw
    those."""
    tenant = link.tenant_id if isinstance(link, ShortLink) else tenant_id
    if logo is AUTO:
        logo_png = qr.tenant_qr_logo(session, tenant) if tenant is not None else None
    else:
        logo_png = logo or None
    return qr.render_qr(short_url(link, base), size, logo_png)


__all__ = [
    "AGENTS", "ALPHABET", "AUTO", "CHANNELS", "CODE_LENGTH", "KINDS", "PERSONAL_CODE_LENGTH", "SHORT_VALIDITY_YEARS",
    "TARGET_MAX", "LinkStats", "Recipient", "Resolved", "ShortLink", "ShortLinkClick", "ShortLinkError",
    "ShortLinkRecipient", "TenantLogo", "agent_class", "base_url", "click_counts", "clicks", "create",
    "create_many_personalised", "expiry_for", "get", "get_by_code", "qr_png", "query",
    "recipient_stats", "record_click", "resolve", "short_url", "stats", "validate_target",
]
