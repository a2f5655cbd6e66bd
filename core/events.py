"""Domain events through the outbox.

``publish`` writes the event in the caller's transaction. After the commit the event is enqueued for dispatch; if the
broker cannot take it, the outbox relay enqueues it later. Dispatch fans the event out to every enabled plugin that
implements ``domain_event``, one delivery each, recorded so that a redelivered event is not handled twice.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import event as sa_event
from sqlalchemy import or_, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session as OrmSession
from sqlmodel import Session, select

from .models import EventDelivery, Outbox
from .timeutil import utcnow

log = logging.getLogger(__name__)

_PENDING_KEY = "scrm_outbox_pending"


class EventTypes:
    """Event types published by the core. Plugins publish their own, prefixed with their name (``wecom.friend_added``)."""

    CUSTOMER_CREATED = "customer.created"
    CUSTOMER_UPDATED = "customer.updated"
    CUSTOMER_MERGED = "customer.merged"
    IDENTITY_LINKED = "customer.identity_linked"
    TAGS_CHANGED = "customer.tags_changed"
    #: tags were created or renamed outside the tag screens (e.g. on a channel's corp-tag page); payload
    #: ``{"tag_ids": [...], "action": "created" | "updated", "user_id": int | None}``
    TAG_CATALOG_CHANGED = "tag.catalog_changed"
    PLUGIN_ENABLED = "plugin.enabled"
    PLUGIN_DISABLED = "plugin.disabled"


@dataclass(frozen=True)
class DomainEvent:
    """One published domain event as subscribers receive it: ``event_id`` (for idempotency), ``type``
    (an ``EventTypes`` value or a plugin's own), ``tenant_id``, ``payload`` (JSON) and ``occurred_at``."""

    event_id: str
    type: str
    tenant_id: int
    payload: dict[str, Any] = field(default_factory=dict)
    occurred_at: datetime | None = None

    @classmethod
    def from_row(cls, row: Outbox) -> DomainEvent:
        return cls(row.event_id, row.type, row.tenant_id, dict(row.payload), row.created_at)


def publish(session: Session, tenant_id: int, type: str, payload: dict[str, Any] | None = None) -> str:
    """Record a domain event in the current transaction and return its event id."""
    row = Outbox(tenant_id=tenant_id, type=type, payload=payload or {}, event_id=str(uuid.uuid4()))
    session.add(row)
    session.flush()
    session.info.setdefault(_PENDING_KEY, []).append(row.id)
    return row.event_id


#: outbox kinds: the session-info key their pending row ids wait under, and what hands those ids to the broker after
#: the commit (``engine, ids -> taken``). Domain events are one kind; the outbound ledger (``scrm.core.outbound``)
#: registers another: the same machinery, one relay per kind for what the broker never took.
_AFTER_COMMIT: dict[str, Callable[[Any, list[int]], int]] = {}


def register_outbox(key: str, enqueue: Callable[[Any, list[int]], int]) -> None:
    """Declare an outbox kind: ids added with ``enqueue_after_commit(session, key, id)`` are passed to ``enqueue``
    once the transaction commits (dropped on rollback; the kind's relay finds any the broker did not take)."""
    _AFTER_COMMIT[key] = enqueue


def enqueue_after_commit(session: Session, key: str, row_id: int) -> None:
    """Hand ``row_id`` of outbox kind ``key`` to the broker when ``session`` commits."""
    session.info.setdefault(key, []).append(row_id)


@sa_event.listens_for(OrmSession, "after_commit")
def _after_commit(session: OrmSession) -> None:
    if session.in_nested_transaction():  # a savepoint was released; the events wait for the real commit
        return
    # an id published inside a savepoint that was rolled back names no row any more, and dispatch ignores it
    for key, enqueue in _AFTER_COMMIT.items():
        ids = session.info.pop(key, None)
        if ids:
            try:
                enqueue(session.get_bind(), ids)
            except Exception:  # the relay of the kind takes over
                log.exception("handing %s rows to the broker failed; the relay will retry", key)


@sa_event.listens_for(OrmSession, "after_rollback")
def _after_rollback(session: OrmSession) -> None:
    if not session.in_transaction():
        for key in _AFTER_COMMIT:
            session.info.pop(key, None)


def enqueue_dispatch(engine, outbox_ids: list[int]) -> int:
    """Hand events to the broker; marks each taken one. Returns how many the broker took."""
    from .jobs.bus import _current

    if _current is None:
        return 0
    taken = []
    for outbox_id in outbox_ids:
        try:
            _current.send("scrm.core.dispatch_event", None, {"outbox_id": outbox_id})
        except Exception as exc:
            log.warning("broker did not take event %s (%s): the outbox relay will retry", outbox_id, exc)
            continue
        taken.append(outbox_id)
    if taken:
        with engine.begin() as conn:
            conn.execute(update(Outbox).where(Outbox.id.in_(taken)).values(enqueued_at=utcnow()))
    return len(taken)


register_outbox(_PENDING_KEY, enqueue_dispatch)


def relay_outbox(engine, now: datetime | None = None, grace: timedelta = timedelta(seconds=30),
                 stale: timedelta = timedelta(minutes=5), limit: int = 500) -> int:
    """Re-enqueue events the broker never took (or took and lost). Returns how many were handed over."""
    now = now or utcnow()
    with Session(engine) as session:
        ids = list(session.exec(
            select(Outbox.id).where(
                Outbox.dispatched_at.is_(None),
                Outbox.created_at <= now - grace,
                or_(Outbox.enqueued_at.is_(None), Outbox.enqueued_at <= now - stale),
            ).order_by(Outbox.id).limit(limit)
        ))
    return enqueue_dispatch(engine, ids) if ids else 0


def mark_delivered(session: Session, outbox_id: int, plugin: str) -> bool:
    """Record that ``plugin`` handled the event; False if it already had (the caller must then not handle it again)."""
    try:
        with session.begin_nested():
            session.add(EventDelivery(outbox_id=outbox_id, plugin=plugin))
            session.flush()
    except IntegrityError:
        return False
    return True


def was_delivered(session: Session, outbox_id: int, plugin: str) -> bool:
    return session.exec(
        select(EventDelivery.id).where(EventDelivery.outbox_id == outbox_id, EventDelivery.plugin == plugin)
    ).first() is not None
