"""Shared helpers of the fans, QR code, store and share-for-gift tests: a sandbox served on a local port whose
state the test reads and drives directly, and official accounts of a tenant configured against it. The fixtures
``sandbox`` and ``oa_clients`` come with ``from oa_fans_support import *``."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager

import pytest
from werkzeug.serving import make_server

__all__ = ["oa_clients", "sandbox"]  # the fixtures, for ``from oa_fans_support import *``


@contextmanager
def served_sandbox() -> Iterator[tuple[str, object]]:
    from scrm_official_account.sandbox import create_sandbox_app

    sandbox = create_sandbox_app()
    server = make_server("127.0.0.1", 0, sandbox, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}", sandbox.extensions["official_account_sandbox"]
    finally:
        server.shutdown()


def make_oa(make_channel_account, state, tenant, base, appid, name="门店服务号"):
    """An official account of ``tenant`` (AppID ``appid``) known to the sandbox ``state`` at ``base``."""
    state.add_account(appid=appid, secret="s3cret-" + appid)
    return make_channel_account(tenant, "official_account", name=name, external_id=appid,
                                credentials={"app_secret": "s3cret-" + appid, "token": "tok",
                                             "encoding_aes_key": "a" * 43},
                                config={"api_base": base, "account_type": "service", "verified": True,
                                        "message_mode": "plain"})


def directory(state, appid):
    from scrm_official_account.sandbox.fans_api import directory as of

    return of(state, appid)


@pytest.fixture
def sandbox():
    """The sandbox served for one test: ``(base URL, state)``."""
    with served_sandbox() as (base, state):
        yield base, state


def enabled_oa(tenant, enable_plugins, make_channel_account, sandbox, appid):
    """The official_account plugin enabled for ``tenant`` with one account against ``sandbox``: ``(account, state)``."""
    base, state = sandbox
    enable_plugins(tenant, "official_account")
    return make_oa(make_channel_account, state, tenant, base, appid), state


@pytest.fixture
def oa_clients(app):
    """``oa_clients(account)``: an API client of the account without backoff, closed after the test."""
    from scrm_official_account.client import OAClient

    opened = []

    def make(account):
        client = OAClient.for_account(account, app.extensions["scrm"], backoff=())
        opened.append(client)
        return client

    yield make
    for c in opened:
        c.close()
