"""The suite's network guard (``scrm.sdk.testing``): no test reaches a host outside loopback. A connection or a name
lookup elsewhere raises at once, and the test fails at teardown even when the code under test swallowed the error."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import textwrap

import httpx
import pytest

from scrm.sdk.testing import NetworkAccessBlocked, blocked_network_attempts, is_loopback_host

OUTSIDE = ("192.0.2.1", 443)  # TEST-NET-1: documentation addresses, never routed


@pytest.fixture
def listener():
    """A listening TCP socket on 127.0.0.1: ``(host, port)``."""
    with socket.socket() as server:
        server.bind(("127.0.0.1", 0))
        server.listen(4)
        yield server.getsockname()


def test_a_connection_outside_loopback_is_refused_and_recorded():
    with pytest.raises(NetworkAccessBlocked, match="192.0.2.1:443 refused: tests may only reach 127.0.0.1"):
        socket.create_connection(OUTSIDE, timeout=1)
    with socket.socket() as sock, pytest.raises(NetworkAccessBlocked):
        sock.connect(OUTSIDE)
    with socket.socket() as sock, pytest.raises(NetworkAccessBlocked):
        sock.connect_ex(OUTSIDE)
    with socket.socket(socket.AF_INET6) as sock, pytest.raises(NetworkAccessBlocked, match="2001:db8::1"):
        sock.connect(("2001:db8::1", 443))
    assert len(blocked_network_attempts()) == 4
    assert blocked_network_attempts() == []  # reading them forgets them


def test_a_name_lookup_outside_loopback_is_refused():
    with pytest.raises(NetworkAccessBlocked, match="name lookup of qyapi.weixin.qq.com"):
        socket.getaddrinfo("qyapi.weixin.qq.com", 443)
    with pytest.raises(NetworkAccessBlocked):
        httpx.get("https://qyapi.weixin.qq.com/cgi-bin/gettoken", timeout=1)
    assert len(blocked_network_attempts()) == 2


def test_loopback_stays_reachable(listener):
    host, port = listener
    for target in ((host, port), ("localhost", port)):
        socket.create_connection(target, timeout=2).close()
    with socket.socket() as sock:
        sock.connect((host, port))
    assert socket.getaddrinfo("localhost", port)
    assert blocked_network_attempts() == []


@pytest.mark.parametrize(("host", "loopback"), [
    ("127.0.0.1", True), ("127.8.9.10", True), ("::1", True), ("[::1]", True), ("localhost", True),
    ("LOCALHOST.", True), ("app.localhost", True), (None, True), ("", True), ("0.0.0.0", True),
    ("10.0.0.1", False), ("192.168.1.1", False), ("qyapi.weixin.qq.com", False), ("api.mch.weixin.qq.com", False),
    ("localhost.example.com", False), ("2001:db8::1", False),
])
def test_what_counts_as_loopback(host, loopback):
    assert is_loopback_host(host) is loopback


def test_a_test_that_swallows_the_refusal_still_fails(tmp_path):
    (tmp_path / "test_leaks.py").write_text(textwrap.dedent("""
        import socket

        def test_swallows():
            try:
                socket.create_connection(("192.0.2.1", 80), timeout=1)
            except Exception:
                pass

        def test_stays_home():
            socket.getaddrinfo("127.0.0.1", 80)
    """), encoding="utf-8")
    # only this plugin: the other installed pytest plugins would cost seconds of imports
    env = {**os.environ, "PYTEST_DISABLE_PLUGIN_AUTOLOAD": "1"}
    run = subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "-p", "scrm.sdk.testing",
                          "test_leaks.py"], cwd=tmp_path, env=env, capture_output=True, text=True, timeout=120)
    assert run.returncode == 1, run.stdout + run.stderr
    assert "ERROR at teardown of test_swallows" in run.stdout and "2 passed, 1 error" in run.stdout, run.stdout
    assert "the test tried to leave the machine" in run.stdout and "192.0.2.1:80 refused" in run.stdout
