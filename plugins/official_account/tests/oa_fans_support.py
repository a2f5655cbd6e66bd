"""Shared helpers of the fans, QR code, store and share-for-gift tests: a sandbox served on a local port whose
state the test reads and drives directly, and official accounts of a tenant configured against it."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager

from werkzeug.serving import make_server


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
