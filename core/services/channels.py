"""Channel accounts with credentials encrypted at rest."""

from __future__ import annotations

from typing import Any

from sqlmodel import Session, select

from ..models import ChannelAccount
from ..secrets import SecretBox


def create_account(session: Session, box: SecretBox, tenant_id: int, plugin: str, name: str, external_id: str,
                   credentials: dict[str, Any], config: dict[str, Any] | None = None) -> ChannelAccount:
    """Add a channel account of ``plugin`` for the tenant, ``credentials`` encrypted with the platform's secret
    box (``platform().secrets``); flushed, so it has an id, and committed with the caller's transaction."""
    account = ChannelAccount(tenant_id=tenant_id, plugin=plugin, name=name, external_id=external_id,
                             credentials=box.encrypt_json(credentials), config=config or {})
    session.add(account)
    session.flush()
    return account


def credentials(box: SecretBox, account: ChannelAccount) -> dict[str, Any]:
    """The decrypted credentials of ``account``."""
    return box.decrypt_json(account.credentials)


def set_credentials(box: SecretBox, account: ChannelAccount, values: dict[str, Any]) -> None:
    """Replace ``account``'s credentials with ``values``, encrypted with the secret ``box``."""
    account.credentials = box.encrypt_json(values)


def accounts(session: Session, tenant_id: int, plugin: str) -> list[ChannelAccount]:
    """The tenant's channel accounts of ``plugin`` (``ChannelAccount`` rows, active or not), oldest first."""
    return list(session.exec(select(ChannelAccount).where(
        ChannelAccount.tenant_id == tenant_id, ChannelAccount.plugin == plugin).order_by(ChannelAccount.id)))
