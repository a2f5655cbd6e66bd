"""The job bus's memory of which plugins a tenant enabled, so that a job does not cost a database query to learn that
its plugin is enabled.

An answer is kept ``ttl`` seconds (2 by default). Enabling or disabling a plugin forgets the tenant's answers in
every cache of the process at once, and again when that transaction commits (``forget_tenant``); another process
(a ``scrm worker`` while the web process disables a plugin) picks the change up within ``ttl``. So "disabled means
inert" holds at once in the process that made the change and within ``ttl`` seconds everywhere else.
"""

from __future__ import annotations

import threading
import time
import weakref
from collections.abc import Callable

DEFAULT_TTL = 2.0
MAX_ENTRIES = 4096

_caches: weakref.WeakSet[EnablementCache] = weakref.WeakSet()


class EnablementCache:
    """``enabled(tenant_id, plugin)`` answered by ``checker`` and remembered for ``ttl`` seconds."""

    def __init__(self, checker: Callable[[int, str], bool], ttl: float = DEFAULT_TTL,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self.checker = checker
        self.ttl = ttl
        self.clock = clock
        self._answers: dict[tuple[int, str], tuple[bool, float]] = {}
        self._lock = threading.Lock()
        _caches.add(self)

    def enabled(self, tenant_id: int, plugin: str) -> bool:
        key = (tenant_id, plugin)
        now = self.clock()
        answer = self._answers.get(key)
        if answer is not None and answer[1] > now:
            return answer[0]
        value = bool(self.checker(tenant_id, plugin))
        with self._lock:
            if len(self._answers) >= MAX_ENTRIES:
                self._answers.clear()
            self._answers[key] = (value, now + self.ttl)
        return value

    def forget(self, tenant_id: int | None = None) -> None:
        """Drop the answers of ``tenant_id`` (all answers when None)."""
        with self._lock:
            if tenant_id is None:
                self._answers.clear()
            else:
                for key in [k for k in self._answers if k[0] == tenant_id]:
                    self._answers.pop(key, None)


def forget_tenant(tenant_id: int, session=None) -> None:
    """The tenant's plugin enablement changed: forget its answers in every cache of this process now and, when a
    ``session`` is given, once more after it commits (a job may have read the old rows in between)."""
    for cache in list(_caches):
        cache.forget(tenant_id)
    if session is not None:
        from sqlalchemy import event

        event.listen(session, "after_commit", lambda _session: forget_tenant(tenant_id), once=True)
