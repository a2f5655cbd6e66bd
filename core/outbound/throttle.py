"""Per-account send rates: a GCRA reservation (generic cell rate algorithm) shared by every worker process.

``reserve(key, rate)`` books the next free slot of ``key`` at ``rate`` messages per second and answers how long to
wait for it; slots are spaced 1/rate apart, so sends never bunch up (no overshoot) and a slot is never left free while
a sender waits (no idling). With Redis the slots live in one key updated by a Lua script on Redis's own clock, so all
processes share them; without Redis they live in this process.

The rate is held at ``HEADROOM`` of the declared one (2 % under): a sender that wakes a few milliseconds late then
cannot make any one-second window hold more than the declared number of sends.
"""

from __future__ import annotations

import math
import threading
import time
from typing import Protocol

#: fraction of the declared rate the slots are spaced for (absorbs wake-up jitter of up to 2 % of a second)
HEADROOM = 0.98

_GCRA = """
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + tonumber(t[2]) / 1000
local interval = tonumber(ARGV[1])
local max_wait = tonumber(ARGV[2])
local tat = tonumber(redis.call('GET', KEYS[1]) or '0')
if tat < now then tat = now end
local wait = tat - now
if wait > max_wait then return {0, tostring(wait)} end
redis.call('SET', KEYS[1], tostring(tat + interval), 'PX', math.ceil(wait + interval) + 60000)
return {1, tostring(wait)}
"""


class Throttle(Protocol):
    def reserve(self, key: str, rate: float, max_wait: float) -> float | None:
        """Book the next slot of ``key`` at ``rate`` per second; the seconds to wait for it, or None (nothing
        booked) when the slot is more than ``max_wait`` seconds away."""


def interval_ms(rate: float) -> float:
    return 1000.0 / (rate * HEADROOM)


class LocalThrottle:
    """Slots kept in this process (no Redis): right for the embedded worker, one process."""

    def __init__(self) -> None:
        self._next: dict[str, float] = {}
        self._lock = threading.Lock()

    def reserve(self, key: str, rate: float, max_wait: float) -> float | None:
        with self._lock:
            now = time.monotonic() * 1000
            tat = max(self._next.get(key, 0.0), now)
            wait = tat - now
            if wait > max_wait * 1000:
                return None
            self._next[key] = tat + interval_ms(rate)
            return wait / 1000


class RedisThrottle:
    """Slots kept in Redis (one key per account), shared by every process using the same Redis and prefix."""

    def __init__(self, client, prefix: str = "scrm:") -> None:
        self.client = client
        self.prefix = prefix
        self._script = client.register_script(_GCRA)

    def reserve(self, key: str, rate: float, max_wait: float) -> float | None:
        booked, wait = self._script(keys=[f"{self.prefix}throttle:{key}"],
                                    args=[repr(interval_ms(rate)), repr(max_wait * 1000)])
        return float(wait) / 1000 if int(booked) else None


def make_throttle(cache) -> Throttle:
    """The throttle for a platform cache: Redis-backed when the cache is Redis, local otherwise."""
    client = getattr(cache, "client", None)
    if client is not None:
        return RedisThrottle(client, getattr(cache, "prefix", "scrm:"))
    return LocalThrottle()


def seconds_until(wait: float) -> float:
    """A wait rounded up to whole milliseconds (what the send job sleeps)."""
    return math.ceil(wait * 1000) / 1000
