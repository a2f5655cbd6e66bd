"""Enqueueing many jobs at once: one Redis round trip for a whole batch instead of one per message.

``JobBus.send_many`` builds the Dramatiq messages as ``send`` does and hands them to :func:`enqueue_many`. On the
Redis broker the messages go through Dramatiq's own ``dispatch`` script, exactly as ``RedisBroker.enqueue`` sends
them (a fresh ``redis_message_id`` per message, the enqueue middleware called before and after), but queued on one
non-transactional pipeline, so a batch of 50 costs one network round trip. Any other broker (the in-process one)
takes them one by one.

A pipeline is not atomic: when Redis fails part way, some messages of the batch may be on their queues and others
not. Callers treat a failed batch as "not enqueued" and rely on their recovery path (stored work is re-enqueued, and
handlers are idempotent), exactly as with a failed single ``send``.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence

import dramatiq
from dramatiq.common import current_millis
from redis.exceptions import NoScriptError


def enqueue_many(broker: dramatiq.Broker, messages: Sequence[dramatiq.Message]) -> list[dramatiq.Message]:
    """Enqueue ``messages`` (no delay) in one round trip when the broker is Redis; returns what was enqueued.

    The messages must be built for this call (``JobBus.send_many`` does): on Redis each gets its
    ``redis_message_id`` option in place rather than through a copy of the message."""
    if not messages:
        return []
    if not _pipelines(broker):
        return [broker.enqueue(message) for message in messages]
    sent = list(messages)
    for message in sent:
        message.options["redis_message_id"] = str(uuid.uuid4())
        broker.emit_before("enqueue", message, None)
    calls = [("enqueue", current_millis(), message.queue_name, broker.broker_id, broker.heartbeat_timeout,
              broker.dead_message_ttl, broker._should_do_maintenance("enqueue"), broker._max_unpack_size(),
              message.options["redis_message_id"], message.encode()) for message in sent]
    dispatch = broker.scripts["dispatch"]
    try:
        _run_pipeline(broker, dispatch.sha, calls)
    except NoScriptError:  # Redis restarted or its script cache was flushed: every call failed, none was enqueued
        dispatch.sha = broker.client.script_load(dispatch.script)
        _run_pipeline(broker, dispatch.sha, calls)
    for message in sent:
        broker.emit_after("enqueue", message, None)
    return sent


def _run_pipeline(broker: dramatiq.Broker, sha: str, calls: list[tuple]) -> None:
    """``EVALSHA dispatch`` per call on one pipeline (no ``SCRIPT EXISTS`` round trip first, unlike calling the
    redis-py ``Script`` on a pipeline)."""
    pipe = broker.client.pipeline(transaction=False)
    for args in calls:
        pipe.evalsha(sha, 1, broker.namespace, *args)
    pipe.execute()


def _pipelines(broker: dramatiq.Broker) -> bool:
    """Whether ``broker`` is Dramatiq's Redis broker with the internals this module relies on (checked, not
    assumed: another Dramatiq version falls back to one ``enqueue`` per message)."""
    try:
        from dramatiq.brokers.redis import RedisBroker
    except ImportError:  # pragma: no cover - dramatiq without its redis extra
        return False
    return isinstance(broker, RedisBroker) and all(
        hasattr(broker, name) for name in ("client", "scripts", "namespace", "broker_id", "heartbeat_timeout",
                                           "dead_message_ttl", "_should_do_maintenance", "_max_unpack_size")) \
        and "dispatch" in broker.scripts
