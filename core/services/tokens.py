"""API tokens: the plain value is shown once; only its SHA-256 is stored."""

from __future__ import annotations

import hashlib
import secrets

from sqlmodel import Session

from ..models import ApiToken

TOKEN_PREFIX = "scrm_"


def hash_token(value: str) -> str:
    return hashlib.sha256(value.encode()).hexdigest()


def issue_token(session: Session, tenant_id: int | None, name: str, user_id: int | None) -> tuple[str, ApiToken]:
    """Create a token for ``tenant_id`` (None: a platform token). Returns (plain value, row)."""
    name = name.strip()
    if not name or len(name) > 100:
        raise ValueError("a token needs a name of 1 to 100 characters")
    value = TOKEN_PREFIX + secrets.token_urlsafe(32)
    row = ApiToken(tenant_id=tenant_id, name=name, token_hash=hash_token(value), prefix=value[:12],
                   created_by=user_id)
    session.add(row)
    session.flush()
    return value, row
