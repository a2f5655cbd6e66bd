"""The Sample SMS provider's HTTP API (what ``sandbox`` simulates) and the calls the channel makes.

* ``POST {api_base}/v1/messages`` with ``Authorization: Bearer <api_key>`` and JSON ``{"sender", "to", "kind":
  "text"|"template", "text" | "template" + "params", "key"}``: 200 ``{"message_id"}``; the same ``key`` again answers
  the first message's id and sends nothing (the provider deduplicates). Errors: 401 ``bad_key``, 400 ``bad_request``
  or ``bad_number``, 429 ``rate_limited`` and 503 ``busy`` (nothing was taken: retry later).
* ``GET {api_base}/v1/messages?key=<key>``: 200 ``{"message_id"}`` of the message sent under ``key``, 404 otherwise.
* ``GET {api_base}/v1/account``: 200 ``{"sender"}`` of the key's sender, 401 ``bad_key``.
* Callbacks to the platform (WeChat-family safe mode: ``?msg_signature=&timestamp=&nonce=``, an XML ``<Encrypt>``
  envelope, the account's callback token and EncodingAESKey, receive id = the sender id) carry JSON:
  ``{"type": "report", "report_id", "message_id", "status": "delivered"|"failed", "code"?}`` or
  ``{"type": "reply", "reply_id", "from": mobile, "text"}``.
"""

from __future__ import annotations

import json
import urllib.error
import urllib.parse
import urllib.request
from typing import Any

TIMEOUT = 10.0
RETRYABLE = frozenset({429, 503})


class ProviderError(Exception):
    """The provider answered an error: HTTP ``status``, its ``code`` and ``message``."""

    def __init__(self, status: int, code: str, message: str = "") -> None:
        super().__init__(f"{status} {code} {message}".strip())
        self.status, self.code, self.message = status, code, message

    @property
    def retryable(self) -> bool:
        """Whether the provider surely took nothing and a later try may succeed."""
        return self.status in RETRYABLE


class Unreachable(Exception):
    """The provider could not be reached at all (connection refused): nothing was sent."""


def call(api_base: str, api_key: str, method: str, path: str, body: dict[str, Any] | None = None,
         query: dict[str, str] | None = None, timeout: float = TIMEOUT) -> dict[str, Any]:
    """One API call; returns the JSON answer or raises ``ProviderError`` / ``Unreachable``. A timeout after the
    request went out is raised as is (the outcome is unknown)."""
    url = api_base.rstrip("/") + path + (f"?{urllib.parse.urlencode(query)}" if query else "")
    data = json.dumps(body).encode() if body is not None else None
    request = urllib.request.Request(url, data=data, method=method, headers={
        "Authorization": f"Bearer {api_key}", "Content-Type": "application/json"})
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            return json.loads(response.read() or b"{}")
    except urllib.error.HTTPError as exc:
        try:
            answer = json.loads(exc.read() or b"{}")
        except ValueError:
            answer = {}
        raise ProviderError(exc.code, str(answer.get("code") or exc.code), str(answer.get("message") or "")) from None
    except urllib.error.URLError as exc:
        if isinstance(exc.reason, ConnectionRefusedError):
            raise Unreachable(str(exc.reason)) from None
        raise
