"""The Sample SMS provider simulated on this machine (tests and ``scrm demo``), following ``provider``'s protocol.

Control endpoints for tests and demos (not part of the provider's API): ``POST /_sandbox/senders`` ``{"sender",
"api_key"}`` registers a sender; ``GET /_sandbox/messages`` lists what was sent; ``POST /_sandbox/busy``
``{"count"}`` answers the next ``count`` sends with 503 ``busy``.
"""

from __future__ import annotations

import json
import re
import threading
import time
import uuid
from pathlib import Path
from typing import Any

from werkzeug.wrappers import Request, Response

MOBILE = re.compile(r"^1[3-9][0-9]{9}$")


def _json(status: int, body: dict[str, Any] | list) -> Response:
    return Response(json.dumps(body), status=status, mimetype="application/json")


def _error(status: int, code: str, message: str) -> Response:
    return _json(status, {"code": code, "message": message})


class SampleSmsSandbox:
    """A WSGI app with the provider's state: senders by API key, messages by idempotency key. Thread-safe; with a
    ``state_path`` the state is kept in that JSON file across restarts."""

    def __init__(self, state_path: str | Path | None = None) -> None:
        self.lock = threading.Lock()
        self.state_path = Path(state_path) if state_path else None
        self.senders: dict[str, str] = {}
        self.messages: list[dict[str, Any]] = []
        self.busy = 0
        if self.state_path and self.state_path.exists():
            saved = json.loads(self.state_path.read_text(encoding="utf-8"))
            self.senders, self.messages = dict(saved.get("senders", {})), list(saved.get("messages", []))

    def _save(self) -> None:
        if self.state_path:
            self.state_path.write_text(json.dumps({"senders": self.senders, "messages": self.messages}),
                                       encoding="utf-8")

    def _sender(self, request: Request) -> str | None:
        header = request.headers.get("Authorization", "")
        return self.senders.get(header.removeprefix("Bearer ").strip()) if header.startswith("Bearer ") else None

    def _send(self, request: Request) -> Response:
        sender = self._sender(request)
        if sender is None:
            return _error(401, "bad_key", "unknown API key")
        body = request.get_json(silent=True)
        if not isinstance(body, dict) or body.get("sender") != sender or not body.get("key"):
            return _error(400, "bad_request", "sender (the key's) and key are required")
        if body.get("kind") not in ("text", "template") or not (body.get("text") or body.get("template")):
            return _error(400, "bad_request", "kind text with text, or template with template")
        if not MOBILE.match(str(body.get("to") or "")):
            return _error(400, "bad_number", "not a mainland mobile number")
        with self.lock:
            known = next((m for m in self.messages if m["sender"] == sender and m["key"] == body["key"]), None)
            if known is not None:
                return _json(200, {"message_id": known["message_id"]})
            if self.busy > 0:
                self.busy -= 1
                return _error(503, "busy", "try again later")
            message = {"message_id": uuid.uuid4().hex, "sender": sender, "to": body["to"], "key": body["key"],
                       "kind": body["kind"], "text": body.get("text"), "template": body.get("template"),
                       "params": body.get("params") or {}, "received_at": time.time()}
            self.messages.append(message)
            self._save()
        return _json(200, {"message_id": message["message_id"]})

    def _lookup(self, request: Request) -> Response:
        sender = self._sender(request)
        if sender is None:
            return _error(401, "bad_key", "unknown API key")
        key = request.args.get("key", "")
        with self.lock:
            known = next((m for m in self.messages if m["sender"] == sender and m["key"] == key), None)
        return _json(200, {"message_id": known["message_id"]}) if known else _error(404, "not_found", "no such key")

    def _control(self, request: Request) -> Response:
        body = request.get_json(silent=True) or {}
        with self.lock:
            if request.path == "/_sandbox/senders" and request.method == "POST":
                self.senders[str(body["api_key"])] = str(body["sender"])
                self._save()
                return _json(200, {"ok": True})
            if request.path == "/_sandbox/busy" and request.method == "POST":
                self.busy = int(body.get("count", 1))
                return _json(200, {"ok": True})
            if request.path == "/_sandbox/messages":
                return _json(200, list(self.messages))
        return _error(404, "not_found", request.path)

    def dispatch(self, request: Request) -> Response:
        """Answer one request of the provider's API or of the control endpoints."""
        if request.path.startswith("/_sandbox/"):
            return self._control(request)
        if request.path == "/v1/messages" and request.method == "POST":
            return self._send(request)
        if request.path == "/v1/messages" and request.method == "GET":
            return self._lookup(request)
        if request.path == "/v1/account":
            sender = self._sender(request)
            return _json(200, {"sender": sender}) if sender else _error(401, "bad_key", "unknown API key")
        return _error(404, "not_found", request.path)

    def __call__(self, environ: dict, start_response: Any) -> Any:
        return self.dispatch(Request(environ))(environ, start_response)
