"""Shared pieces of the outbound path's tests: a local provider (an HTTP server that counts requests), the test
channel ``outtest`` (tests/outbound_channel) registered on the test platform, and a distribution on disk that makes
the channel an installed plugin for worker processes."""

from __future__ import annotations

import json
import sys
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qs, urlparse

import pytest

CHANNEL_PATH = Path(__file__).resolve().parent / "outbound_channel"
if str(CHANNEL_PATH) not in sys.path:
    sys.path.insert(0, str(CHANNEL_PATH))

from scrm_outtest import OuttestChannel  # noqa: E402

CHANNEL = "outtest"


@dataclass
class Provider:
    """A provider simulator on 127.0.0.1. Recipients steer it: ``busy-*`` answers 503 (retryable), ``bad-*`` 400
    ``invalid_recipient``; others get a message id. ``block`` (an Event) holds every request until set."""

    requests: list[dict] = field(default_factory=list)
    times: list[float] = field(default_factory=list)
    block: threading.Event | None = None
    arrived: threading.Event = field(default_factory=threading.Event)
    lock: threading.Lock = field(default_factory=threading.Lock)
    url: str = ""

    def count(self, recipient: str | None = None) -> int:
        with self.lock:
            return sum(1 for r in self.requests if recipient is None or r["recipient"] == recipient)


def _handler(provider: Provider):
    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *args):  # quiet
            pass

        def _answer(self, status: int, body: dict) -> None:
            data = json.dumps(body).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def do_POST(self):
            body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
            with provider.lock:
                provider.requests.append(body)
                provider.times.append(time.time())
                number = len(provider.requests)
            provider.arrived.set()
            if provider.block is not None:
                provider.block.wait(60)
            recipient = body["recipient"]
            if recipient.startswith("busy"):
                return self._answer(503, {"code": "busy", "message": "try later"})
            if recipient.startswith("bad"):
                return self._answer(400, {"code": "invalid_recipient", "message": "no such number"})
            return self._answer(200, {"msgid": f"m{number}"})

        def do_GET(self):
            key = parse_qs(urlparse(self.path).query).get("key", [""])[0]
            with provider.lock:
                found = [i for i, r in enumerate(provider.requests, 1) if r["key"] == key]
            return self._answer(200, {"msgid": f"m{found[0]}" if found else None})

    return Handler


@pytest.fixture
def provider():
    """A running provider simulator; ``provider.url`` is its base URL."""
    state = Provider()
    server = type("ProviderServer", (ThreadingHTTPServer,), {"request_queue_size": 256})(("127.0.0.1", 0),
                                                                                        _handler(state))
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, daemon=True).start()
    state.url = f"http://127.0.0.1:{server.server_port}"
    yield state
    if state.block is not None:
        state.block.set()
    server.shutdown()
    server.server_close()


@pytest.fixture
def outtest(platform):
    """The test channel registered on the running platform (as if installed), removed afterwards."""
    from scrm.core.plugins.registry import PluginRecord, PluginStatus

    registry = platform.registry
    registry.records[CHANNEL] = PluginRecord(CHANNEL, PluginStatus.ACTIVE, plugin=OuttestChannel(CHANNEL))
    platform.relays._cache.clear()
    yield registry.records[CHANNEL].plugin
    registry.records.pop(CHANNEL, None)
    platform.relays._cache.clear()


@pytest.fixture
def make_account(db, platform, outtest, provider, enable_plugins):
    """``make_account(tenant, rate_limit=None, **config)``: an outtest account of the tenant pointing at the provider,
    the channel enabled for the tenant."""
    from scrm.core.services.channels import create_account

    def make(tenant, **config):
        enable_plugins(tenant, CHANNEL)
        account = create_account(db, platform.secrets, tenant.id, CHANNEL, "Test SMS", f"acct-{tenant.slug}",
                                 {}, config={"base_url": provider.url, **config})
        db.commit()
        return account

    return make


def write_distribution(folder: Path) -> Path:
    """A dist-info that makes ``scrm_outtest`` an installed plugin named ``outtest`` for processes whose path holds
    ``folder`` and CHANNEL_PATH."""
    info = folder / "scrm_outtest-0.1.dist-info"
    info.mkdir(parents=True, exist_ok=True)
    (info / "METADATA").write_text("Metadata-Version: 2.1\nName: scrm-outtest\nVersion: 0.1\n", encoding="utf-8")
    (info / "entry_points.txt").write_text(f"[scrm.plugins]\n{CHANNEL} = scrm_outtest:OuttestChannel\n",
                                           encoding="utf-8")
    return folder
