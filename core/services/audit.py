"""The audit log: who did what, to what, in which tenant."""

from __future__ import annotations

from typing import Any

from sqlmodel import Session

from ..models import AuditLog


def record(session: Session, action: str, *, tenant_id: int | None = None, user_id: int | None = None,
           actor: str = "system", target: str = "", detail: dict[str, Any] | None = None,
           ip: str | None = None) -> AuditLog:
    """Add an audit log entry (who did ``action`` to ``target``, with ``detail``) in the caller's transaction."""
    entry = AuditLog(tenant_id=tenant_id, user_id=user_id, actor=actor, action=action, target=target,
                     detail=detail or {}, ip=ip)
    session.add(entry)
    return entry
