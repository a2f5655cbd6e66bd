"""A per-process memo whose answers expire: ``Memo(load, ttl).get(key)`` calls ``load(key)`` at most once per ``ttl``
seconds per key. Bounded (emptied when it reaches ``max_entries``), thread-safe, with an injectable clock for tests.

Used where a hot path would otherwise ask the database the same question on every call and a change may take a
moment to reach other processes: the job bus's plugin enablement (``jobs.enablement_cache``) and the callback
gateway's channel accounts (``services.account_directory``). Each user forgets what a change invalidates in its own
process at once; other processes see the change within ``ttl``.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Hashable
from typing import Any

DEFAULT_TTL = 2.0
MAX_ENTRIES = 4096


class Memo:
    def __init__(self, load: Callable[[Any], Any], ttl: float = DEFAULT_TTL,
                 clock: Callable[[], float] = time.monotonic, max_entries: int = MAX_ENTRIES) -> None:
        self.load = load
        self.ttl = ttl
        self.clock = clock
        self.max_entries = max_entries
        self._answers: dict[Hashable, tuple[Any, float]] = {}
        self._lock = threading.Lock()

    def get(self, key: Hashable) -> Any:
        now = self.clock()
        answer = self._answers.get(key)
        if answer is not None and answer[1] > now:
            return answer[0]
        value = self.load(key)
        with self._lock:
            if len(self._answers) >= self.max_entries:
                self._answers.clear()
            self._answers[key] = (value, now + self.ttl)
        return value

    def forget(self, matches: Callable[[Hashable], bool] | None = None) -> None:
        """Drop the answers whose key ``matches`` (all of them when None)."""
        with self._lock:
            if matches is None:
                self._answers.clear()
            else:
                for key in [k for k in self._answers if matches(k)]:
                    self._answers.pop(key, None)
