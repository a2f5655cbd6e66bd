"""The job bus's memory of which plugins a tenant enabled, so that a job does not cost a database query to learn that
its plugin is enabled.

An answer is kept ``ttl`` seconds (2 by default). Enabling or disabling a plugin forgets the tenant's answers in
every cache of the process at once, and again when that transaction commits (``forget_tenant``); another process
(a ``scrm worker`` while the web process disables a plugin) picks the change up within ``ttl``. So "disabled means
inert" holds at once in the process that made the change and within ``ttl`` seconds everywhere else.
"""

from __future__ import annotations

import time
import weakref
from collections.abc import Callable

from ..memo import DEFAULT_TTL, Memo

_caches: weakref.WeakSet[EnablementCache] = weakref.WeakSet()


class EnablementCache:
    """``enabled(tenant_id, plugin)`` answered by ``checker`` and remembered for ``ttl`` seconds."""

    def __init__(self, checker: Callable[[int, str], bool], ttl: float = DEFAULT_TTL,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self.checker = checker
        self._memo = Memo(lambda key: bool(checker(*key)), ttl, clock)
        _caches.add(self)

    def enabled(self, tenant_id: int, plugin: str) -> bool:
        return self._memo.get((tenant_id, plugin))

    def forget(self, tenant_id: int | None = None) -> None:
        """Drop the answers of ``tenant_id`` (all answers when None)."""
        self._memo.forget(None if tenant_id is None else (lambda key: key[0] == tenant_id))


def forget_tenant(tenant_id: int, session=None) -> None:
    """The tenant's plugin enablement changed: forget its answers in every cache of this process now and, when a
    ``session`` is given, once more after it commits (a job may have read the old rows in between)."""
    for cache in list(_caches):
        cache.forget(tenant_id)
    if session is not None:
        from sqlalchemy import event

        event.listen(session, "after_commit", lambda _session: forget_tenant(tenant_id), once=True)
