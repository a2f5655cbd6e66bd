"""Engine and sessions. SQLite (WAL, foreign keys on) by default, PostgreSQL in production.

SQLite allows one writer at a time, and a transaction that has read cannot start writing once another connection
committed after its read ("database is locked" at once, whatever the busy timeout). So on SQLite a unit of work reads
outside a transaction, each statement seeing the latest commit (PostgreSQL's READ COMMITTED), and takes the write lock
with ``BEGIN IMMEDIATE`` at its first write (or ``SELECT ... FOR UPDATE``, or savepoint): writers queue on the busy
timeout instead of failing, readers never wait (WAL). A ``writer`` (a job) takes the lock when it begins.
"""

from __future__ import annotations

import re
import time
from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy import Integer, event
from sqlalchemy.engine import Engine
from sqlalchemy.exc import DisconnectionError
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.functions import FunctionElement
from sqlmodel import Session, create_engine


def make_engine(url: str, **kwargs) -> Engine:
    """Create an engine for ``url``; SQLite connections get WAL, foreign keys and a busy timeout."""
    if url.startswith("sqlite"):
        connect_args = {"check_same_thread": False, "timeout": 30}
        engine = create_engine(url, connect_args=connect_args, **kwargs)

        @event.listens_for(engine, "connect")
        def _sqlite_pragmas(dbapi_conn, _record):  # pragma: no cover - exercised by every SQLite test
            # let SQLAlchemy manage transactions (pysqlite's implicit BEGIN breaks SAVEPOINT)
            dbapi_conn.isolation_level = None
            cursor = dbapi_conn.cursor()
            cursor.execute("PRAGMA foreign_keys=ON")
            cursor.execute("PRAGMA journal_mode=WAL")
            cursor.execute("PRAGMA synchronous=NORMAL")
            cursor.execute("PRAGMA busy_timeout=30000")
            cursor.close()
            dbapi_conn.create_function("utf16_length", 1, _utf16_length, deterministic=True)

        @event.listens_for(engine, "begin")
        def _sqlite_begin(conn):  # pragma: no cover
            # A writer (a job) takes the write lock up front; other units of work begin at their first write
            if conn.get_execution_options().get("scrm_immediate", False):
                conn.exec_driver_sql("BEGIN IMMEDIATE")

        @event.listens_for(engine, "before_cursor_execute")
        def _sqlite_write_begins(conn, cursor, statement, _parameters, context, _executemany):  # pragma: no cover
            dbapi_conn = cursor.connection
            if dbapi_conn.in_transaction or not conn.in_transaction() or not _takes_write_lock(statement, context):
                return
            cursor.execute("BEGIN IMMEDIATE")

        return engine
    idle_ping_after = kwargs.pop("idle_ping_after", IDLE_PING_AFTER)
    kwargs.setdefault("pool_size", 10)
    kwargs.setdefault("max_overflow", 20)
    engine = create_engine(url, **kwargs)
    if not kwargs.get("pool_pre_ping"):
        ping_when_idle(engine, idle_ping_after)
    return engine


IDLE_PING_AFTER = 10.0
"""Seconds a pooled connection may rest before its next checkout pings the server first."""


def ping_when_idle(engine: Engine, after: float = IDLE_PING_AFTER) -> None:
    """Check a pooled connection with a round trip only when it rested ``after`` seconds or more in the pool.

    ``pool_pre_ping`` pings at every checkout: one more round trip for each unit of work (a bulk send's worker checks
    out several connections per message). A connection back in the pool a moment ago is as alive as one just
    pinged, so only one that rested longer (a server restart, a firewall dropping idle connections) is pinged; a
    failed ping discards it and the pool connects anew. A server that went away within the last ``after`` seconds
    fails one unit of work, which invalidates the pool's older connections as any disconnect does."""
    dialect = engine.dialect

    @event.listens_for(engine, "checkin")
    def _rested_from(_dbapi_conn, record):
        record.info["scrm_checked_in"] = time.monotonic()

    @event.listens_for(engine, "checkout")
    def _ping_if_rested(dbapi_conn, record, _proxy):
        since = record.info.get("scrm_checked_in")
        if since is None or time.monotonic() - since < after:
            return  # a new connection, or one that was in use a moment ago
        try:
            alive = dialect.do_ping(dbapi_conn)
        except Exception as exc:  # the driver's error for a closed or broken connection
            raise DisconnectionError("a pooled connection failed its ping") from exc
        if alive is False:
            raise DisconnectionError("a pooled connection failed its ping")


_READS = re.compile(r"\s*(SELECT|PRAGMA|EXPLAIN|BEGIN|COMMIT|END|ROLLBACK|RELEASE)\b", re.IGNORECASE)
_CTE_WRITES = re.compile(r"\b(INSERT|UPDATE|DELETE|REPLACE)\b", re.IGNORECASE)


def _takes_write_lock(statement: str, context) -> bool:
    """Whether ``statement`` must run inside a write transaction on SQLite: anything but a plain read, and a read
    that locks rows for an update (its ``FOR UPDATE`` is not rendered on SQLite, so the compiled statement tells)."""
    if _READS.match(statement) is None:
        head = statement.lstrip()[:4].upper()
        return head != "WITH" or _CTE_WRITES.search(statement) is not None
    compiled = getattr(context, "compiled", None)
    return getattr(getattr(compiled, "statement", None), "_for_update_arg", None) is not None


def writer(engine: Engine) -> Engine:
    """``engine`` for a unit of work that reads, then writes, concurrently with others (a job).

    On SQLite a deferred transaction that read before another connection committed cannot upgrade to a write: it fails
    at once with "database is locked". A writer's transactions begin IMMEDIATE instead, so concurrent writers wait
    for the lock (busy timeout) and readers are never blocked (WAL). Other databases ignore the option."""
    return engine.execution_options(scrm_immediate=True) if engine.dialect.name == "sqlite" else engine


@contextmanager
def session_scope(engine: Engine, *, immediate: bool = False) -> Iterator[Session]:
    """A session that commits on success and rolls back on error; ``immediate`` makes it a ``writer``."""
    with Session(writer(engine) if immediate else engine, expire_on_commit=False) as session:
        try:
            yield session
            session.commit()
        except BaseException:
            session.rollback()
            raise


def _utf16_length(value: str | None) -> int | None:
    if value is None:
        return None
    return len(value) + sum(1 for ch in value if ord(ch) > 0xFFFF)


class utf16_length(FunctionElement):  # noqa: N801 (a SQL function)
    """``utf16_length(text)``: UTF-16 code units of a text (characters, plus one for each outside the Basic
    Multilingual Plane): what SMS carriers and WeChat count. SQLite: a function registered on each connection;
    PostgreSQL: ``char_length`` plus the characters a regular expression keeps."""

    type = Integer()
    name = "utf16_length"
    inherit_cache = True


@compiles(utf16_length, "postgresql")
def _utf16_length_pg(element, compiler, **kw):
    arg = compiler.process(element.clauses, **kw)
    # the replacement runs only on texts holding such a character (a match costs a fraction of a replacement)
    return (f"(char_length({arg}) + CASE WHEN {arg} ~ '[\\U00010000-\\U0010FFFF]' THEN "
            f"char_length(regexp_replace({arg}, '[^\\U00010000-\\U0010FFFF]', '', 'g')) ELSE 0 END)")


@compiles(utf16_length)
def _utf16_length_default(element, compiler, **kw):
    return f"utf16_length({compiler.process(element.clauses, **kw)})"
