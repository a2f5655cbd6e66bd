"""The job bus of one platform: a Dramatiq broker (Redis, or in-process when no broker URL is set), the actors bound
to it, and an optional embedded worker."""

from __future__ import annotations

import logging
import threading
import uuid
from collections import deque
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from typing import Any

import dramatiq
from dramatiq.brokers.stub import StubBroker
from dramatiq.middleware import AgeLimit, Callbacks, Pipelines, Retries, ShutdownNotifications, TimeLimit
from sqlalchemy.engine import Engine
from sqlmodel import Session

from ..db import session_scope
from ..memo import Memo
from .actors import ACTORS, Job, ScrmActor
from .batch import enqueue_many
from .enablement_cache import EnablementCache
from .middleware import TenantMiddleware

log = logging.getLogger(__name__)

_current: JobBus | None = None


def current_bus() -> JobBus:
    """The application's job bus (``JobBus``); in jobs, ``current_bus().platform`` is the running platform.
    Raises ``RuntimeError`` before an application was created."""
    if _current is None:
        raise RuntimeError("no job bus: create the application (scrm.hostapp.create_app) first")
    return _current


@contextmanager
def job_session() -> Iterator[Session]:
    """A database session for a job: commits on success, rolls back on error."""
    with session_scope(current_bus().engine, immediate=True) as session:
        yield session


def _middleware() -> list:
    return [AgeLimit(), TimeLimit(), ShutdownNotifications(), Callbacks(), Pipelines(), Retries()]


class _Counter(dramatiq.Middleware):
    """Counts messages the workers finished or skipped, so ``join`` can tell when the bus went quiet."""

    def __init__(self) -> None:
        self.count = 0
        self._lock = threading.Lock()

    def after_process_message(self, broker, message, *, result=None, exception=None) -> None:
        with self._lock:
            self.count += 1

    after_skip_message = after_process_message


class JobBus:
    """Binds the declared actors to a broker. One bus is current per process (the last one created)."""

    def __init__(self, engine: Engine, broker_url: str | None = None, namespace: str = "scrm",
                 plugin_resolver=None, enabled_checker=None) -> None:
        global _current
        self.engine = engine
        self.broker_url = broker_url
        self.plugin_resolver = plugin_resolver or (lambda module: None)
        self.enabled_checker = enabled_checker or (lambda tenant_id, plugin: True)
        self.enablement = EnablementCache(lambda tenant_id, plugin: self.enabled_checker(tenant_id, plugin))
        self.zones = Memo(self._load_zone)
        self.skipped: deque = deque(maxlen=1000)
        if broker_url:
            from dramatiq.brokers.redis import RedisBroker

            self.broker = RedisBroker(url=broker_url, namespace=namespace, middleware=_middleware())
        else:
            self.broker = StubBroker(middleware=_middleware())
            self.broker.emit_after("process_boot")
        self.broker.add_middleware(TenantMiddleware(self))
        self._counter = _Counter()
        self.broker.add_middleware(self._counter)
        self.actors: dict[str, dramatiq.Actor] = {}
        self.plugins: dict[str, str] = {}
        self._worker: dramatiq.Worker | None = None
        self._lock = threading.Lock()
        dramatiq.set_broker(self.broker)
        _current = self
        self.bind_all()

    @property
    def embedded(self) -> bool:
        return not self.broker_url

    def _load_zone(self, tenant_id: int) -> str | None:
        from ..models.tenancy import Tenant

        with Session(self.engine) as session:
            tenant = session.get(Tenant, tenant_id)
            return tenant.timezone if tenant is not None else None

    def tenant_zone(self, tenant_id: int) -> str | None:
        """The time zone name of ``tenant_id`` (remembered 2 seconds): a tenant's jobs run in its zone."""
        return self.zones.get(tenant_id)

    def plugin_enabled(self, tenant_id: int, plugin: str) -> bool:
        """Whether ``plugin`` is enabled for ``tenant_id``, answered from the bus's enablement cache (see
        ``enablement_cache``: a change applies at once in this process, within 2 seconds in the others)."""
        return self.enablement.enabled(tenant_id, plugin)

    def bind_all(self) -> None:
        """Declare every recorded actor on this bus's broker (actors imported later are bound on first send)."""
        for scrm_actor in list(ACTORS.values()):
            self._bind(scrm_actor)

    def _bind(self, scrm_actor: ScrmActor) -> dramatiq.Actor:
        with self._lock:
            bound = self.actors.get(scrm_actor.name)
            if bound is not None:
                return bound
            plugin = scrm_actor.plugin or self.plugin_resolver(getattr(scrm_actor, "module", "")) or "core"
            self.plugins[scrm_actor.name] = plugin
            options = {k: v for k, v in scrm_actor.options.items() if k not in ("queue", "priority")}

            def run(tenant_id, _fn=scrm_actor.fn, **kwargs):
                return _fn(tenant_id, **kwargs)

            run.__name__ = scrm_actor.name
            bound = dramatiq.Actor(run, broker=self.broker, actor_name=scrm_actor.name,
                                   queue_name=scrm_actor.options.get("queue", plugin),
                                   priority=scrm_actor.options.get("priority", 0), options=options)
            self.actors[scrm_actor.name] = bound
            return bound

    def plugin_of(self, actor_name: str) -> str:
        return self.plugins.get(actor_name) or "core"

    def send(self, scrm_actor: ScrmActor | str, tenant_id: int | None, kwargs: dict[str, Any], **options: Any):
        """Enqueue a job. Raises the broker's error when it cannot take the message."""
        message = self._message(scrm_actor, tenant_id, kwargs, options)
        return self.broker.enqueue(message, delay=options.get("delay"))

    def send_many(self, jobs: Iterable[Job]) -> int:
        """Enqueue ``jobs`` together, the most urgent first (lowest priority number, as Dramatiq orders them), in
        one broker round trip on Redis (``batch.enqueue_many``). Returns how many were enqueued; raises the
        broker's error when it could not take the batch, in which case any part of it may have been enqueued."""
        messages = [self._message(job.actor, job.tenant_id, job.kwargs, {})
                    for job in sorted(jobs, key=lambda job: job.priority)]
        return len(enqueue_many(self.broker, messages))

    def _message(self, scrm_actor: ScrmActor | str, tenant_id: int | None, kwargs: dict[str, Any],
                 options: dict[str, Any]) -> dramatiq.Message:
        if isinstance(scrm_actor, str):
            scrm_actor = ACTORS[scrm_actor]
        bound = self._bind(scrm_actor)
        plugin = self.plugins[scrm_actor.name]
        options = {"scrm_tenant_id": tenant_id, "scrm_plugin": plugin if plugin != "core" else None, **options}
        return bound.message_with_options(args=(tenant_id,), kwargs=kwargs, **options)

    # -- workers -----------------------------------------------------------------------------------------------------

    def queues(self) -> set[str]:
        return set(self.broker.get_declared_queues())

    def start_worker(self, threads: int = 4) -> dramatiq.Worker:
        """Start an in-process worker on this broker (embedded mode, tests)."""
        if self._worker is None:
            self._worker = dramatiq.Worker(self.broker, worker_threads=threads, worker_timeout=100)
            self._worker.start()
        return self._worker

    def stop_worker(self) -> None:
        if self._worker is not None:
            worker, self._worker = self._worker, None
            worker.stop(timeout=10_000)
            # dramatiq's Worker registers a middleware on the broker that it never removes: a stopped worker would
            # still add consumers for queues declared later, take their messages and never process them
            self.broker.middleware[:] = [m for m in self.broker.middleware if getattr(m, "worker", None) is not worker]

    def join(self, timeout: float = 30.0) -> None:
        """Wait until every queue is empty and the worker is idle (tests, CLI); jobs enqueued by jobs are waited for."""
        import time

        deadline = time.monotonic() + timeout
        quiet_rounds = 0
        while quiet_rounds < 2:
            before = self._processed()
            for queue in sorted(self.queues()):
                remaining = int(max(0.1, deadline - time.monotonic()) * 1000)
                extra = {"fail_fast": False} if isinstance(self.broker, StubBroker) else {}
                try:
                    self.broker.join(queue, timeout=remaining, **extra)
                except dramatiq.errors.QueueJoinTimeout as exc:
                    raise TimeoutError(f"queue {queue} did not drain in {timeout}s") from exc
            if self._worker is not None:
                self._worker.join()
            quiet_rounds = quiet_rounds + 1 if self._processed() == before else 0
            if time.monotonic() > deadline:
                raise TimeoutError("job queues did not drain in time")

    def _processed(self) -> int:
        return self._counter.count

    def flush(self) -> None:
        """Drop every queued message. With the in-process broker and no worker running, also forget messages a
        stopped worker had taken and never finished: the stub queue would count them as unfinished for good, and
        every later ``join`` on that queue would wait for them until it timed out."""
        self.broker.flush_all()
        if isinstance(self.broker, StubBroker) and self._worker is None:
            for queue in self.broker.queues.values():
                with queue.all_tasks_done:
                    queue.unfinished_tasks = 0
                    queue.all_tasks_done.notify_all()

    def close(self) -> None:
        global _current
        self.stop_worker()
        try:
            self.broker.close()
        except Exception:  # pragma: no cover
            pass
        if _current is self:
            _current = None

    @staticmethod
    def new_namespace() -> str:
        return f"scrm-{uuid.uuid4().hex[:8]}"
