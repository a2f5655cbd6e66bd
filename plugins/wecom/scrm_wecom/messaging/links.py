"""Absolute links in application messages.

A text card opens a page of the platform on the employee's phone, so it needs the address employees reach the
platform at (the WeCom app's trusted domain). It is ``SCRM_PUBLIC_URL`` when set, otherwise the address recorded on
the WeCom account (``config["public_url"]``) the last time an admin saved a setting that sends cards (see
:func:`remember_public_url`). Without either, senders fall back to plain text.
"""

from __future__ import annotations

import os

from sqlmodel import Session

from scrm.sdk import ChannelAccount

ENV = "SCRM_PUBLIC_URL"
CONFIG_KEY = "public_url"


def public_url(account: ChannelAccount | None) -> str | None:
    """The platform's public base URL (no trailing slash), or None when unknown."""
    base = os.environ.get(ENV) or ((account.config or {}).get(CONFIG_KEY) if account is not None else None)
    return str(base).rstrip("/") if base else None


def page_url(account: ChannelAccount | None, path: str) -> str | None:
    """``path`` (starting with ``/``) on the public base URL, or None."""
    base = public_url(account)
    return f"{base}{path}" if base else None


def remember_public_url(session: Session, account: ChannelAccount, url_root: str) -> None:
    """Record ``url_root`` (the address an admin uses, e.g. ``request.url_root``) as the account's public URL."""
    value = url_root.rstrip("/")
    if (account.config or {}).get(CONFIG_KEY) != value:
        account.config = {**(account.config or {}), CONFIG_KEY: value}
        session.add(account)
