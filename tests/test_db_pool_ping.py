"""Pooled PostgreSQL connections are pinged only after resting in the pool (core.db.ping_when_idle): a connection
the server dropped while it rested is replaced at checkout; one in use a moment ago goes out without a round trip."""

from __future__ import annotations

import time

import pytest
from sqlalchemy import create_engine
from sqlalchemy.exc import OperationalError
from sqlalchemy.pool import NullPool

from scrm.core.db import make_engine


@pytest.fixture
def pg_url(scrm_test_database_url):
    if not scrm_test_database_url.startswith("postgresql"):
        pytest.skip("pool pings are a PostgreSQL matter (SQLite has no server to lose)")
    return scrm_test_database_url


def _backend_pid(engine) -> int:
    with engine.connect() as conn:
        return conn.exec_driver_sql("SELECT pg_backend_pid()").scalar_one()


def _terminate(url: str, pid: int) -> None:
    killer = create_engine(url, poolclass=NullPool)
    try:
        with killer.connect() as conn:
            assert conn.exec_driver_sql(f"SELECT pg_terminate_backend({int(pid)})").scalar_one()
    finally:
        killer.dispose()


def test_a_rested_connection_the_server_dropped_is_replaced_at_checkout(pg_url):
    engine = make_engine(pg_url, idle_ping_after=0.05, pool_size=1, max_overflow=0)
    try:
        dropped = _backend_pid(engine)
        _terminate(pg_url, dropped)
        time.sleep(0.2)  # longer than idle_ping_after: the next checkout pings, fails and connects anew
        assert _backend_pid(engine) != dropped
    finally:
        engine.dispose()


def test_a_connection_used_a_moment_ago_goes_out_without_a_ping(pg_url):
    engine = make_engine(pg_url, idle_ping_after=60, pool_size=1, max_overflow=0)
    try:
        dropped = _backend_pid(engine)
        _terminate(pg_url, dropped)
        time.sleep(0.2)
        # not pinged (it rested less than 60 s): the unit of work meets the dropped connection, as the docstring says
        with pytest.raises(OperationalError):
            _backend_pid(engine)
        assert _backend_pid(engine) != dropped  # the disconnect invalidated it; the pool connected anew
    finally:
        engine.dispose()
