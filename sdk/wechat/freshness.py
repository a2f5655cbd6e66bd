"""The freshness window of signed WeChat-family callbacks.

Every WeChat / WeCom callback (the URL-verification GET with ``echostr`` included) carries a signed ``timestamp``
query parameter (Unix seconds). The signature proves who sent a request, not when: a captured callback would verify
forever. :func:`check_timestamp` refuses a timestamp further than the window from the current time, in the past or
in the future (clock skew both ways). :class:`~scrm.sdk.wechat.WeChatCrypto` and :func:`~scrm.sdk.wechat.
check_signature` apply it on every verification, so every channel that verifies through the SDK gets it.

The window is ``SCRM_CALLBACK_MAX_AGE`` seconds (environment, read at each check), default 300 (5 minutes, the
replay window of WeChat Pay's and most webhook providers' recommendations; WeChat retries a callback within 15 s).
``0`` turns the check off: only for replaying stored provider samples, never in production.
"""

from __future__ import annotations

import os
import time

from scrm.sdk.wechat.errors import ExpiredTimestampError

ENV_VAR = "SCRM_CALLBACK_MAX_AGE"
DEFAULT_MAX_AGE = 300


class _Configured:
    """The sentinel for "the configured window" (``SCRM_CALLBACK_MAX_AGE``)."""

    def __repr__(self) -> str:
        return "CONFIGURED"


CONFIGURED = _Configured()


def configured_max_age() -> int:
    """The window in seconds from ``SCRM_CALLBACK_MAX_AGE`` (default 300; ``0`` means no check). A value that is
    not a non-negative integer raises ``ValueError`` (a misconfiguration must not silently disable the check)."""
    raw = os.environ.get(ENV_VAR, "").strip()
    if not raw:
        return DEFAULT_MAX_AGE
    value = int(raw)
    if value < 0:
        raise ValueError(f"{ENV_VAR} must be 0 or a positive number of seconds, not {raw!r}")
    return value


def check_timestamp(timestamp: str | int, max_age: int | None | _Configured = CONFIGURED,
                    now: float | None = None) -> None:
    """Raise :class:`ExpiredTimestampError` (code -40001, a signature refusal) unless ``timestamp`` (Unix seconds,
    as sent in the query string) is within ``max_age`` seconds of ``now`` (default: the current time), before or
    after. ``max_age`` defaults to the configured window; ``None`` or ``0`` skips the check."""
    window = configured_max_age() if isinstance(max_age, _Configured) else max_age
    if not window:
        return
    text = str(timestamp).strip() if isinstance(timestamp, str | int) and not isinstance(timestamp, bool) else ""
    if not text.isascii() or not text.isdigit() or len(text) > 12:
        raise ExpiredTimestampError("timestamp is not a number of seconds")
    age = (time.time() if now is None else now) - int(text)
    if abs(age) > window:
        raise ExpiredTimestampError(
            f"timestamp is {abs(int(age))} s in the {'past' if age > 0 else 'future'}; the window is {window} s")
