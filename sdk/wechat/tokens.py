"""Access-token stores of the WeChat family (official accounts, WeCom, WeCom kf): one token per (channel account,
secret kind), refreshed single-flight. A channel plugin binds them to its own token table and cache-key prefix
(``scrm_wecom.tokens``, ``scrm_official_account.tokens``).

``CacheTokenStore`` keeps tokens in the platform cache under its lock: Redis when the platform has Redis (shared by
every process), process memory otherwise. ``DatabaseTokenStore`` keeps them, encrypted, in the plugin's token table
(a model with ``tenant_id``, ``account_id``, ``kind``, ``token``, ``refresh_after``, ``fetched_at``) and serialises
refreshes with a process lock plus a row lock (``SELECT ... FOR UPDATE``), so N concurrent callers trigger one token
request.

:func:`token_store` chooses: Redis if configured; else the database on PostgreSQL (several processes share it);
else, on SQLite, process memory. A SQLite deployment runs one process (no Redis means the embedded worker), and a
token committed by a separate transaction would make the caller's next write fail: SQLite cannot upgrade a read
snapshot older than another connection's commit (``SQLITE_BUSY_SNAPSHOT``).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any, Protocol

from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, select

from scrm.core.timeutil import utcnow

Fetch = Callable[[], tuple[str, int]]
"""Fetches a new token from the provider: returns ``(access_token, expires_in_seconds)`` or raises."""

LOCK_TIMEOUT = 30


def usable_lifetime(expires_in: int) -> int:
    """Seconds a token is used before a proactive refresh: ``expires_in`` minus a margin of a tenth (at most 5 min)."""
    expires_in = max(0, int(expires_in))
    return expires_in - min(300, expires_in // 10)


class TokenStore(Protocol):
    def read(self, account_id: int, kind: str) -> str | None:
        """The cached token, or None when there is none or it is due for refresh."""

    def refresh(self, account_id: int, kind: str, fetch: Fetch, *, stale: str | None = None,
                force: bool = False) -> str:
        """Single-flight refresh. Under the lock, a cached token that is fresh and differs from ``stale`` is returned
        as is (another caller refreshed it meanwhile) unless ``force``; otherwise ``fetch`` runs and its token is
        stored. Errors from ``fetch`` propagate and leave the cache unchanged."""


def _key(prefix: str, account_id: int, kind: str) -> str:
    return f"{prefix}:{account_id}:{kind}"


class CacheTokenStore:
    """Tokens in the platform cache (Redis or process memory) under ``<prefix>:<account>:<kind>``, expiring with
    their usable lifetime."""

    def __init__(self, cache: Any, prefix: str) -> None:
        self.cache = cache
        self.prefix = prefix

    def read(self, account_id: int, kind: str) -> str | None:
        return self.cache.get(_key(self.prefix, account_id, kind))

    def refresh(self, account_id: int, kind: str, fetch: Fetch, *, stale: str | None = None,
                force: bool = False) -> str:
        key = _key(self.prefix, account_id, kind)
        with self.cache.lock(key + ":refresh", timeout=LOCK_TIMEOUT):
            current = self.cache.get(key)
            if current and current != stale and not force:
                return current
            token, expires_in = fetch()
            ttl = usable_lifetime(expires_in)
            if ttl > 0:
                self.cache.set(key, token, ttl)
            else:
                self.cache.delete(key)
            return token

    def clear(self, account_id: int, kind: str) -> None:
        self.cache.delete(_key(self.prefix, account_id, kind))


def _aware(value: datetime | None) -> datetime | None:
    if value is None:
        return None
    return value.replace(tzinfo=UTC) if value.utcoffset() is None else value


class DatabaseTokenStore:
    """Tokens in the plugin's token table ``model`` (encrypted with ``box``) for platforms without Redis.

    ``process_locks`` is the platform cache: its ``lock`` serialises threads of this process; the row lock taken in
    the refresh transaction serialises processes on PostgreSQL (SQLite serialises writers itself).
    """

    def __init__(self, engine: Any, box: Any, tenant_id: int, process_locks: Any, *, model: Any,
                 prefix: str) -> None:
        self.engine = engine
        self.box = box
        self.tenant_id = tenant_id
        self.process_locks = process_locks
        self.model = model
        self.prefix = prefix

    def _row(self, session: Session, account_id: int, kind: str, lock: bool) -> Any | None:
        model = self.model
        query = select(model).where(model.account_id == account_id, model.kind == kind,
                                    model.tenant_id == self.tenant_id)
        if lock:
            query = query.with_for_update()
        return session.exec(query).first()

    def _fresh(self, row: Any | None) -> str | None:
        if row is None or not row.token:
            return None
        due = _aware(row.refresh_after)
        if due is None or due <= utcnow():
            return None
        return self.box.decrypt(row.token)

    def read(self, account_id: int, kind: str) -> str | None:
        with Session(self.engine) as session:
            return self._fresh(self._row(session, account_id, kind, lock=False))

    def refresh(self, account_id: int, kind: str, fetch: Fetch, *, stale: str | None = None,
                force: bool = False) -> str:
        with self.process_locks.lock(_key(self.prefix, account_id, kind) + ":refresh", timeout=LOCK_TIMEOUT), \
                Session(self.engine, expire_on_commit=False) as session:
            row = self._row(session, account_id, kind, lock=True)
            if row is None:
                try:
                    with session.begin_nested():
                        session.add(self.model(tenant_id=self.tenant_id, account_id=account_id, kind=kind))
                        session.flush()
                except IntegrityError:
                    pass  # another process created it: lock theirs below
                row = self._row(session, account_id, kind, lock=True)
            current = self._fresh(row)
            if current and current != stale and not force:
                session.commit()
                return current
            token, expires_in = fetch()
            now = utcnow()
            row.token = self.box.encrypt(token)
            row.refresh_after = now + timedelta(seconds=usable_lifetime(expires_in))
            row.fetched_at = now
            session.add(row)
            session.commit()
            return token

    def clear(self, account_id: int, kind: str) -> None:
        with Session(self.engine) as session:
            row = self._row(session, account_id, kind, lock=False)
            if row is not None:
                session.delete(row)
                session.commit()


def uses_cache(platform: Any) -> bool:
    """Whether the platform keeps tokens in its cache (Redis, or process memory on SQLite) rather than the database."""
    return bool(getattr(platform.settings, "redis_url", None)) or platform.engine.dialect.name == "sqlite"


def token_store(platform: Any, tenant_id: int, *, model: Any, prefix: str) -> TokenStore:
    """The store for the platform: its Redis cache, else the database (PostgreSQL), else process memory (SQLite)."""
    if uses_cache(platform):
        return CacheTokenStore(platform.cache, prefix)
    return DatabaseTokenStore(platform.engine, platform.secrets, tenant_id, platform.cache, model=model, prefix=prefix)
