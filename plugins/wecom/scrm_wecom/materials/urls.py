"""Absolute addresses of a material's public pages and files (``/p/<tenant>/wecom/...``, no sign-in).

The base is the platform's public URL (``SCRM_PUBLIC_URL``, else the address recorded on the WeCom account, else the
current request's host): what a customer's phone reaches.
"""

from __future__ import annotations

from sqlmodel import Session

from scrm.sdk import ChannelAccount, Tenant, shortlinks

from ..messaging.links import public_url
from .models import Material


def base(session: Session, account_id: int | None = None) -> str:
    account = session.get(ChannelAccount, account_id) if account_id else None
    found = public_url(account)
    return found or shortlinks.base_url().rstrip("/")


def public_path(tenant: Tenant, rest: str) -> str:
    return f"/p/{tenant.slug}/wecom/{rest.lstrip('/')}"


def file_url(session: Session, material: Material, role: str, sha256: str, account_id: int | None = None) -> str:
    """The public address of a material's file (``role`` "file" or "cover"); ``sha256`` makes a new file a new URL."""
    tenant = session.get(Tenant, material.tenant_id)
    return base(session, account_id) + public_path(tenant, f"mf/{material.token}/{role}?v={sha256[:12]}")


def preview_url(session: Session, material: Material, account_id: int | None = None) -> str:
    """The untracked page of a material (内部分享 preview; attachments of mass sends and welcomes)."""
    tenant = session.get(Tenant, material.tenant_id)
    return base(session, account_id) + public_path(tenant, f"mp/{material.token}")


def tracked_url(session: Session, tenant: Tenant, token: str) -> str:
    """The tracked page of one send (the target of its short link)."""
    return base(session) + public_path(tenant, f"mt/{token}")
