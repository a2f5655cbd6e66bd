"""Declaring jobs. ``@actor`` records a function; the job bus binds it to the broker of the running application.

A job function takes the tenant id first and keyword arguments after: ``def sync(tenant_id, *, account_id): ...``.
``fn.send(tenant_id, **kwargs)`` enqueues it on the queue of its plugin.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, NamedTuple

ACTORS: dict[str, ScrmActor] = {}

DEFAULTS = {"max_retries": 5, "min_backoff": 1_000, "max_backoff": 300_000, "time_limit": 600_000}


@dataclass
class ScrmActor:
    fn: Callable[..., Any]
    name: str
    plugin: str | None
    options: dict[str, Any] = field(default_factory=dict)

    @property
    def queue(self) -> str:
        return self.plugin or "core"

    def __call__(self, tenant_id: int | None, **kwargs: Any) -> Any:
        """Run the job inline (tests, CLI)."""
        return self.fn(tenant_id, **kwargs)

    def send(self, tenant_id: int | None, **kwargs: Any):
        """Enqueue the job for ``tenant_id`` on the current job bus."""
        from .bus import current_bus

        return current_bus().send(self, tenant_id, kwargs)

    def job(self, tenant_id: int | None, **kwargs: Any) -> Job:
        """This job for ``tenant_id`` with ``kwargs``, not sent yet: for ``JobBus.send_many``."""
        return Job(self, tenant_id, kwargs)

    def send_with_options(self, tenant_id: int | None, kwargs: dict[str, Any], **options: Any):
        from .bus import current_bus

        return current_bus().send(self, tenant_id, kwargs, **options)


class Job(NamedTuple):
    """One job to enqueue: what ``ScrmActor.send`` would send, kept for a batch (``JobBus.send_many``)."""

    actor: ScrmActor
    tenant_id: int | None
    kwargs: dict[str, Any]

    @property
    def priority(self) -> int:
        return int(self.actor.options.get("priority", 0))


def actor(fn: Callable | None = None, *, name: str | None = None, plugin: str | None = None, **options: Any):
    """Declare a job. ``plugin`` defaults to the plugin whose package holds the function (resolved at bind time).

    Options are Dramatiq's: ``max_retries``, ``min_backoff``, ``max_backoff`` (ms), ``time_limit`` (ms), ``priority``.
    """

    def wrap(func: Callable) -> ScrmActor:
        actor_name = name or f"{func.__module__}.{func.__qualname__}"
        scrm_actor = ScrmActor(func, actor_name, plugin, {**DEFAULTS, **options})
        scrm_actor.module = func.__module__
        ACTORS[actor_name] = scrm_actor
        return scrm_actor

    return wrap(fn) if fn is not None else wrap
