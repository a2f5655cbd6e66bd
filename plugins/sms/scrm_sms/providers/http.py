"""The one HTTP call of the providers: what failed before the request left (``Unreachable``, safe to try again) is
told apart from what failed after (``OutcomeUnknown``: the vendor may have acted)."""

from __future__ import annotations

import httpx

from .base import OutcomeUnknown, Unreachable

#: one client per process (thread-safe, keeps connections): a client per call built a new TLS context each time,
#: about 120 ms of CPU under the interpreter lock, which held a worker process to a few sends per second
_CLIENT = httpx.Client(follow_redirects=False)


def call(method: str, url: str, *, content: bytes | None = None, headers: dict[str, str] | None = None,
         timeout: float = 10.0) -> tuple[int, bytes]:
    """One request; returns (HTTP status, body). Raises ``Unreachable`` when no connection was made and
    ``OutcomeUnknown`` when the connection was made but no complete answer came back."""
    try:
        response = _CLIENT.request(method, url, content=content, headers=headers, timeout=timeout)
    except (httpx.ConnectError, httpx.ConnectTimeout, httpx.UnsupportedProtocol) as exc:
        raise Unreachable(f"{type(exc).__name__}: {exc}") from None
    except (httpx.TimeoutException, httpx.TransportError) as exc:
        raise OutcomeUnknown(f"{type(exc).__name__}: {exc}") from None
    return response.status_code, response.content
