"""API tokens: the plain value is shown once; only its SHA-256 is stored."""

from __future__ import annotations

import hashlib
import logging
import secrets
from datetime import datetime, timedelta

from sqlalchemy import or_, update
from sqlalchemy.engine import Engine
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm.attributes import set_committed_value
from sqlmodel import Session

from ..db import session_scope
from ..models import ApiToken
from ..timeutil import as_utc

log = logging.getLogger(__name__)

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


LAST_USED_RESOLUTION = timedelta(minutes=1)


def last_used_is_stale(token: ApiToken, now: datetime) -> bool:
    """Whether ``token``'s last-used time is older than ``LAST_USED_RESOLUTION`` (or unset) and worth writing."""
    last = token.last_used_at
    return last is None or now - as_utc(last) >= LAST_USED_RESOLUTION


def touch_token(engine: Engine, token: ApiToken, now: datetime) -> bool:
    """Record that ``token`` was used at ``now``, at most once per ``LAST_USED_RESOLUTION``, in a short transaction of
    its own (never inside the request's: a read request stays a read). Best effort: a database that stays busy skips
    the stamp rather than failing the request. Returns whether it was written."""
    if not last_used_is_stale(token, now):
        return False
    cutoff = now - LAST_USED_RESOLUTION
    try:
        with session_scope(engine, immediate=True) as session:
            session.exec(update(ApiToken).where(
                ApiToken.id == token.id,
                or_(ApiToken.last_used_at.is_(None), ApiToken.last_used_at <= cutoff)).values(last_used_at=now))
    except OperationalError as exc:
        log.warning("API token %s: last-used time not recorded: %s", token.prefix, exc)
        return False
    set_committed_value(token, "last_used_at", now)  # known to the caller's session, not a change to flush
    return True
