"""The WeCom client's retry rule on network errors, against a real local HTTP server that drops connections: a POST
is never sent twice (WeCom may have acted on it: a message sent, a customer transferred), a GET is retried with the
backoff."""

from __future__ import annotations

import json
import socketserver
import threading

import pytest
from scrm_wecom.accounts import SecretKind
from scrm_wecom.client import WeComUnavailable
from wecom_foundation_fixtures import *  # noqa: F403
from wecom_foundation_fixtures import FAST_BACKOFF

TOKEN_PATH = "/cgi-bin/gettoken"


class DroppingServer(socketserver.ThreadingTCPServer):
    """Answers ``gettoken``; reads every other request to its last byte, records it and closes the connection
    without an answer (as when a proxy or WeCom's side goes away after the request arrived)."""

    daemon_threads = True
    allow_reuse_address = True

    def __init__(self) -> None:
        super().__init__(("127.0.0.1", 0), DroppingHandler)
        self.requests: list[tuple[str, str, bytes]] = []
        self.lock = threading.Lock()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}"

    def dropped(self, method: str | None = None) -> list[tuple[str, str, bytes]]:
        with self.lock:
            return [r for r in self.requests if r[1] != TOKEN_PATH and (method is None or r[0] == method)]


class DroppingHandler(socketserver.BaseRequestHandler):
    def handle(self) -> None:
        sock = self.request
        sock.settimeout(5)
        data = b""
        while b"\r\n\r\n" not in data:
            chunk = sock.recv(65536)
            if not chunk:
                return
            data += chunk
        head, _, body = data.partition(b"\r\n\r\n")
        lines = head.decode("latin-1").split("\r\n")
        method, target, _version = lines[0].split(" ", 2)
        headers = {k.strip().lower(): v.strip() for k, _, v in (line.partition(":") for line in lines[1:])}
        length = int(headers.get("content-length") or 0)
        while len(body) < length:
            chunk = sock.recv(65536)
            if not chunk:
                break
            body += chunk
        path = target.split("?", 1)[0]
        with self.server.lock:
            self.server.requests.append((method, path, body))
        if path == TOKEN_PATH:
            payload = json.dumps({"errcode": 0, "errmsg": "ok", "access_token": "token-1", "expires_in": 7200})
            sock.sendall(f"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: {len(payload)}\r\n"
                         f"Connection: close\r\n\r\n{payload}".encode())
        # anything else: the request was read in full, and the connection closes with no answer


@pytest.fixture
def dropping_server():
    server = DroppingServer()
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server
    server.shutdown()
    server.server_close()


@pytest.fixture
def client(tenant, dropping_server, make_account, wecom_client):
    return wecom_client(make_account(tenant, dropping_server.url))


def test_a_post_that_lost_its_connection_is_not_sent_again(client, dropping_server):
    body = {"touser": "zhangsan", "msgtype": "text", "agentid": 1000002, "text": {"content": "once only"}}
    with pytest.raises(WeComUnavailable, match="POST /cgi-bin/message/send"):
        client.call(SecretKind.AGENT, "POST", "/cgi-bin/message/send", json=body)
    posts = dropping_server.dropped("POST")
    assert len(posts) == 1, posts
    assert json.loads(posts[0][2]) == body  # the server had the whole request: WeCom may well have acted on it
    assert dropping_server.dropped() == posts


def test_a_get_that_lost_its_connection_is_retried_with_the_backoff(client, dropping_server):
    with pytest.raises(WeComUnavailable, match="GET /cgi-bin/user/get"):
        client.call(SecretKind.ADDRESS_BOOK, "GET", "/cgi-bin/user/get", params={"userid": "zhangsan"})
    gets = dropping_server.dropped("GET")
    assert len(gets) == 1 + len(FAST_BACKOFF)
    assert {path for _method, path, _body in gets} == {"/cgi-bin/user/get"}
