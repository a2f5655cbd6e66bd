"""Tenant lookups shared by the areas' jobs."""

from __future__ import annotations

from sqlmodel import Session

from scrm.sdk import Tenant


def active_tenant(session: Session, tenant_id: int) -> Tenant | None:
    """The tenant a job runs for, or None when it was deleted or deactivated (the job then does nothing)."""
    tenant = session.get(Tenant, tenant_id)
    return tenant if tenant is not None and tenant.active else None
