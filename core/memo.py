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
        self._loading: dict[Hashable, threading.Lock] = {}  # key -> held by the thread loading it

    def get(self, key: Hashable) -> Any:
        """The answer for ``key``, loaded when it is missing or older than ``ttl``. One thread loads a key at a time:
        threads asking for it meanwhile wait for that answer instead of loading it again (on a busy server an
        expired key is asked by every request thread at once)."""
        answer = self._answers.get(key)
        if answer is not None and answer[1] > self.clock():
            return answer[0]
        with self._lock:
            loading = self._loading.get(key)
            if loading is None:
                loading = self._loading[key] = threading.Lock()
        with loading:
            now = self.clock()
            answer = self._answers.get(key)
            if answer is not None and answer[1] > now:  # loaded by the thread this one waited for
                return answer[0]
            try:
                value = self.load(key)
                with self._lock:
                    if len(self._answers) >= self.max_entries:
                        self._answers.clear()
                    self._answers[key] = (value, now + self.ttl)
            finally:
                with self._lock:
                    if self._loading.get(key) is loading:
                        del self._loading[key]
        return value

    def forget(self, matches: Callable[[Hashable], bool] | None = None) -> None:
        """Drop the answers whose key ``matches`` (all of them when None)."""
        with self._lock:
            if matches is None:
                self._answers.clear()
            else:
                for key in [k for k in self._answers if matches(k)]:
                    self._answers.pop(key, None)
