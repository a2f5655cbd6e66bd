"""The bulk form of the outbound path: plan one message to a large audience in chunks.

``plan_bulk_send`` reads the recipients in chunks (1,000 by default) and never holds more than one chunk: for each it
asks the exclusion decision for the whole chunk, applies the daily caps with one count query, writes the ledger rows
with one multi-row INSERT (rows stamped as enqueued), commits, and hands the chunk's send jobs to the broker in one
round trip (a refusal clears the stamps, so the outbound relay takes those rows at once; a process that dies before
the hand-over leaves stamped rows the relay takes once the stamp is stale). Each row's
idempotency key is ``<task_ref>:<customer id or recipient>``, so planning the same task again writes nothing twice: a
plan that stopped (crash, deploy) is resumed by calling it again with the same arguments, and with a query as the
audience it continues after the last customer it planned.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from itertools import islice
from typing import Any

from sqlalchemy import Select, bindparam, func, text
from sqlmodel import Session, select

from ..models import ChannelAccount, DeliveryStatus, MessageDelivery, Tenant
from ..timeutil import utcnow, zone
from . import caps
from .exclusion import exclusion_reasons
from .message import OutboundMessage
from .sending import CAPPED, EXCLUDED, _platform, channel_of, check_capability, load_account

CHUNK = 1000


@dataclass
class BulkPlan:
    """What one ``plan_bulk_send`` call did: rows written queued or skipped, recipients already planned before (a
    resumed plan), jobs the broker took (the relay enqueues the rest later) and chunks committed."""

    queued: int = 0
    skipped: int = 0
    already: int = 0
    enqueued: int = 0
    chunks: int = 0


def _chunks_of_query(session: Session, audience: Select, start_after: int | None, size: int) -> Iterator[list]:
    """Keyset pages of ``audience`` (first column: the customer id, ascending; second: the address)."""
    key = audience.selected_columns[0]
    last = start_after
    while True:
        page = audience if last is None else audience.where(key > last)
        rows = session.execute(page.order_by(key).limit(size)).all()
        if not rows:
            return
        yield [(row[0], row[1]) for row in rows]
        last = rows[-1][0]


def _chunks_of_iterable(recipients: Iterable[tuple[int | None, str]], size: int) -> Iterator[list]:
    iterator = iter(recipients)
    while chunk := list(islice(iterator, size)):
        yield chunk


def last_planned_customer(session: Session, tenant_id: int, task_ref: str) -> int | None:
    """The highest customer id a plan of ``task_ref`` has written (where a query-driven plan resumes)."""
    return session.exec(select(func.max(MessageDelivery.customer_id)).where(
        MessageDelivery.tenant_id == tenant_id, MessageDelivery.task_ref == task_ref)).one()


def plan_bulk_send(session: Session, tenant_id: int, *, account: ChannelAccount | int, message: OutboundMessage,
                   purpose: str, task_ref: str, audience: Select | Iterable[tuple[int | None, str]],
                   kind: str = "mass", chunk_size: int = CHUNK) -> BulkPlan:
    """Plan ``message`` to every recipient of ``audience`` through ``account``; returns a ``BulkPlan``.

    ``audience`` is either a SQL query selecting (customer id, address) ordered by nothing (it is paged by customer
    id, ascending) or any iterable of (customer id or None, address) pairs (consumed lazily). Commits ``session`` once
    per chunk: call it from a job, not inside a transaction that must stay open. Refuses an unsupported message kind
    before writing anything (``UnsupportedMessageKind``). Exclusions and caps are applied per customer as in
    ``send_message`` (recipients without a customer id are not capped); skipped rows carry the reason."""
    platform = _platform()
    account_row = load_account(session, tenant_id, account)
    plugin = channel_of(platform, account_row)
    check_capability(plugin, message.kind)
    account_id, channel = account_row.id, account_row.plugin
    tenant = session.get(Tenant, tenant_id)
    tz = zone(tenant.timezone)
    cap = caps.daily_cap(session, tenant_id, purpose, channel)
    if isinstance(audience, Select):
        chunks = _chunks_of_query(session, audience, last_planned_customer(session, tenant_id, task_ref), chunk_size)
    else:
        chunks = _chunks_of_iterable(audience, chunk_size)
    payload = message.to_json()
    plan = BulkPlan()
    insert = _insert_statement(session.get_bind().dialect.name)
    for chunk in chunks:
        hooks = platform.hooks(session, tenant)
        customer_ids = [cid for cid, _ in chunk if cid is not None]
        excluded = exclusion_reasons(hooks, session, tenant, customer_ids, purpose) if customer_ids else {}
        counts = (caps.sent_today_many(session, tenant_id, purpose, channel, caps.today(tz), customer_ids)
                  if cap is not None and customer_ids else {})
        now = utcnow()
        rows: list[dict[str, Any]] = []
        for customer_id, address in chunk:
            status, code, reason = DeliveryStatus.QUEUED, None, None
            if customer_id is not None and customer_id in excluded:
                status, code, reason = DeliveryStatus.SKIPPED, EXCLUDED, excluded[customer_id][:500]
            elif cap is not None and customer_id is not None and counts.get(customer_id, 0) >= cap:
                status, code = DeliveryStatus.SKIPPED, CAPPED
                reason = f"{counts[customer_id]} of {cap} '{purpose}' messages on {channel} today"
            rows.append({"tenant_id": tenant_id, "channel": channel, "account_id": account_id,
                         "customer_id": customer_id, "recipient": str(address)[:128], "kind": kind,
                         "task_ref": task_ref, "idempotency_key": f"{task_ref}:{customer_id or address}"[:120],
                         "status": status, "error_code": code, "error": reason, "purpose": purpose,
                         "message": payload, "attempts": 0, "created_at": now,
                         "enqueued_at": now if status == DeliveryStatus.QUEUED else None})
        written = insert(session, rows)
        session.commit()
        plan.chunks += 1
        plan.already += len(rows) - len(written)
        queued = {row_id: tenant_id for row_id, status in written if status == DeliveryStatus.QUEUED}
        plan.queued += len(queued)
        plan.skipped += len(written) - len(queued)
        if queued:
            from .jobs import enqueue_deliveries

            plan.enqueued += enqueue_deliveries(session.get_bind(), list(queued), queued, stamped=True,
                                                account_ids=dict.fromkeys(queued, account_id))
    return plan


def _insert_statement(dialect: str):
    """A function writing one chunk of rows: (session, rows) -> [(id, DeliveryStatus)] of the rows it inserted
    (rows whose idempotency key exists already are left out)."""
    table = MessageDelivery.__table__
    if dialect == "postgresql":
        return _insert_unnest
    from sqlalchemy.dialects.sqlite import insert

    statement = insert(table).on_conflict_do_nothing(index_elements=["tenant_id", "idempotency_key"]).returning(
        table.c.id, table.c.status)

    def insert_rows(session: Session, rows: list[dict[str, Any]]) -> list[tuple[int, DeliveryStatus]]:
        # executemany: one compiled statement, sent as multi-row VALUES pages by SQLAlchemy's insertmanyvalues
        return [(row_id, DeliveryStatus(status)) for row_id, status in session.execute(statement, rows).all()]

    return insert_rows


#: PostgreSQL: the chunk's varying columns as arrays through unnest, the shared ones as single parameters; a short
#: statement the driver prepares once, instead of one with 16 parameters per row parsed again for every chunk
_UNNEST = text(
    "INSERT INTO message_delivery (tenant_id, channel, account_id, kind, task_ref, purpose, message, attempts, "
    "created_at, enqueued_at, customer_id, recipient, idempotency_key, status, error_code, error) "
    "SELECT :tenant_id, :channel, :account_id, :kind, :task_ref, :purpose, CAST(:message AS JSON), 0, :created_at, "
    "CASE WHEN r.status = 'QUEUED' THEN :created_at END, "
    "r.customer_id, r.recipient, r.idempotency_key, CAST(r.status AS deliverystatus), r.error_code, r.error "
    "FROM unnest(CAST(:customer_ids AS BIGINT[]), CAST(:recipients AS TEXT[]), CAST(:keys AS TEXT[]), "
    "CAST(:statuses AS TEXT[]), CAST(:codes AS TEXT[]), CAST(:errors AS TEXT[])) "
    "AS r(customer_id, recipient, idempotency_key, status, error_code, error) "
    "ON CONFLICT (tenant_id, idempotency_key) DO NOTHING RETURNING id, status").bindparams(
    bindparam("created_at", type_=MessageDelivery.__table__.c.created_at.type))


def _insert_unnest(session: Session, rows: list[dict[str, Any]]) -> list[tuple[int, DeliveryStatus]]:
    import json

    first = rows[0]
    written = session.execute(_UNNEST, {
        "tenant_id": first["tenant_id"], "channel": first["channel"], "account_id": first["account_id"],
        "kind": first["kind"], "task_ref": first["task_ref"], "purpose": first["purpose"],
        "message": json.dumps(first["message"]), "created_at": first["created_at"],
        "customer_ids": [r["customer_id"] for r in rows], "recipients": [r["recipient"] for r in rows],
        "keys": [r["idempotency_key"] for r in rows], "statuses": [r["status"].name for r in rows],
        "codes": [r["error_code"] for r in rows], "errors": [r["error"] for r in rows]}).all()
    return [(row_id, DeliveryStatus[status]) for row_id, status in written]
