"""A tiny third-party-style channel for the outbound path's tests: it posts each message to a provider at the
account's ``config["base_url"]`` (a local HTTP server in the tests) and maps the provider's answers onto
``SendResult``. Registered for the tests only (an entry point in a temporary distribution for worker processes)."""

from __future__ import annotations

import json
import os
import time
import urllib.error
import urllib.request

from scrm.sdk import ChannelPlugin, MessageKind, SendResult


class OuttestChannel(ChannelPlugin):
    """Sends text and link cards; 20 messages per second per account unless the account says otherwise."""

    title = "Outbound test channel"
    hidden = True
    migrations_folder = None
    capabilities = (MessageKind.TEXT, MessageKind.LINK)
    rate_limit = 20.0

    def deliver(self, account, outgoing):
        body = json.dumps({"recipient": outgoing.recipient, "kind": outgoing.message.kind,
                           "payload": outgoing.message.payload, "key": outgoing.idempotency_key,
                           "attempt": outgoing.attempt, "pid": os.getpid(),
                           "sent_at": time.time()}).encode()
        request = urllib.request.Request(f"{account.config['base_url']}/send", data=body,
                                         headers={"Content-Type": "application/json"})
        try:
            with urllib.request.urlopen(request, timeout=account.config.get("timeout", 30)) as response:
                return SendResult.sent(json.loads(response.read())["msgid"])
        except urllib.error.HTTPError as exc:
            answer = json.loads(exc.read() or b"{}")
            return SendResult.failed(answer.get("code", str(exc.code)), answer.get("message", ""),
                                     retryable=exc.code in (429, 503))
        except urllib.error.URLError as exc:
            if isinstance(exc.reason, ConnectionRefusedError):  # nothing reached the provider
                return SendResult.failed("unreachable", str(exc.reason), retryable=True)
            raise

    def query_outcome(self, account, outgoing):
        """The provider can be asked by idempotency key (``GET /status?key=``)."""
        if not account.config.get("queryable"):
            return None
        url = f"{account.config['base_url']}/status?key={outgoing.idempotency_key}"
        with urllib.request.urlopen(url, timeout=5) as response:
            answer = json.loads(response.read())
        return SendResult.sent(answer["msgid"]) if answer.get("msgid") else None
