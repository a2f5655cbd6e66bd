"""Per-account send rates: a GCRA reservation (generic cell rate algorithm) shared by every worker process.

``reserve(key, rate)`` books the next free slot of ``key`` at ``rate`` messages per second and answers how long to
wait for it; slots are spaced 1/rate apart, so sends never bunch up (no overshoot) and a slot is never left free while
a sender waits (no idling). With Redis the slots live in one key updated by a Lua script on Redis's own clock, so all
processes share them; without Redis they live in this process.

The rate is held at ``HEADROOM`` of the declared one (3 % under). On a busy machine a sender may still wake late
and end up close to the next one; ``admit`` then guards the declared limit itself: right before the provider call it
records the send in a log of the account's last ``floor(rate)`` sends and makes the sender wait while that many
already went out in the last second (plus ``WINDOW_MARGIN``). So no one-second window ever holds more than the
declared number of sends, while the slots keep the senders evenly spaced so that the guard rarely waits. Slots
missed while every sender was busy are made up for ``CATCH_UP`` seconds (never idle after a short stall).
"""

from __future__ import annotations

import math
import threading
import time
from collections import deque
from typing import Protocol

#: fraction of the declared rate the slots are spaced for (absorbs wake-up jitter of up to 3 % of a second)
HEADROOM = 0.97

_GCRA = """
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + tonumber(t[2]) / 1000
local interval = tonumber(ARGV[1])
local max_wait = tonumber(ARGV[2])
local catch_up = tonumber(ARGV[3])
local tat = tonumber(redis.call('GET', KEYS[1]) or '0')
if tat < now - catch_up then tat = now - catch_up end
local wait = math.max(tat - now, 0)
if wait > max_wait then return {0, tostring(wait)} end
redis.call('SET', KEYS[1], tostring(tat + interval), 'PX', math.ceil(wait + interval) + 60000)
return {1, tostring(wait)}
"""


#: slots missed in the last this many seconds (every sender was busy) may still be used, so a short stall of the
#: senders is made up instead of lost; the guard keeps any one-second window within the declared limit
CATCH_UP = 0.2

#: the guard's window: one second plus this margin (the spread of the time from the guard to the provider)
WINDOW_MARGIN = 0.03

_ADMIT = """
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + tonumber(t[2]) / 1000
local limit = tonumber(ARGV[1])
local window = tonumber(ARGV[2])
if redis.call('LLEN', KEYS[1]) >= limit then
  local oldest = tonumber(redis.call('LINDEX', KEYS[1], limit - 1))
  if now - oldest < window then return tostring(window - (now - oldest)) end
end
redis.call('LPUSH', KEYS[1], tostring(now))
redis.call('LTRIM', KEYS[1], 0, limit - 1)
redis.call('PEXPIRE', KEYS[1], math.ceil(window) + 1000)
return '0'
"""


class Throttle(Protocol):
    def reserve(self, key: str, rate: float, max_wait: float) -> float | None:
        """Book the next slot of ``key`` at ``rate`` per second; the seconds to wait for it, or None (nothing
        booked) when the slot is more than ``max_wait`` seconds away."""

    def admit(self, key: str, rate: float) -> float:
        """Record a send of ``key`` now and return 0, or return how long to wait (nothing recorded) while
        ``floor(rate)`` sends already went out in the last second (and ``WINDOW_MARGIN``)."""


def interval_ms(rate: float) -> float:
    return 1000.0 / (rate * HEADROOM)


class LocalThrottle:
    """Slots kept in this process (no Redis): right for the embedded worker, one process."""

    def __init__(self) -> None:
        self._next: dict[str, float] = {}
        self._sent: dict[str, deque] = {}
        self._lock = threading.Lock()

    def reserve(self, key: str, rate: float, max_wait: float) -> float | None:
        with self._lock:
            now = time.monotonic() * 1000
            tat = max(self._next.get(key, 0.0), now - CATCH_UP * 1000)
            wait = max(tat - now, 0.0)
            if wait > max_wait * 1000:
                return None
            self._next[key] = tat + interval_ms(rate)
            return wait / 1000

    def admit(self, key: str, rate: float) -> float:
        limit = max(1, math.floor(rate))
        with self._lock:
            now = time.monotonic()
            log = self._sent.setdefault(key, deque(maxlen=limit))
            if log.maxlen != limit:
                log = self._sent[key] = deque(log, maxlen=limit)
            if len(log) == limit and now - log[0] < 1 + WINDOW_MARGIN:
                return 1 + WINDOW_MARGIN - (now - log[0])
            log.append(now)
            return 0.0


class RedisThrottle:
    """Slots kept in Redis (one key per account), shared by every process using the same Redis and prefix."""

    def __init__(self, client, prefix: str = "scrm:") -> None:
        self.client = client
        self.prefix = prefix
        self._script = client.register_script(_GCRA)
        self._admit = client.register_script(_ADMIT)

    def reserve(self, key: str, rate: float, max_wait: float) -> float | None:
        booked, wait = self._script(keys=[f"{self.prefix}throttle:{key}"],
                                    args=[repr(interval_ms(rate)), repr(max_wait * 1000), repr(CATCH_UP * 1000)])
        return float(wait) / 1000 if int(booked) else None

    def admit(self, key: str, rate: float) -> float:
        wait = self._admit(keys=[f"{self.prefix}throttle:{key}:sent"],
                           args=[max(1, math.floor(rate)), repr((1 + WINDOW_MARGIN) * 1000)])
        return float(wait) / 1000


def make_throttle(cache) -> Throttle:
    """The throttle for a platform cache: Redis-backed when the cache is Redis, local otherwise."""
    client = getattr(cache, "client", None)
    if client is not None:
        return RedisThrottle(client, getattr(cache, "prefix", "scrm:"))
    return LocalThrottle()


def seconds_until(wait: float) -> float:
    """A wait rounded up to whole milliseconds (what the send job sleeps)."""
    return math.ceil(wait * 1000) / 1000
