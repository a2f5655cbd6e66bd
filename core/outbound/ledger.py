"""Moving ledger rows forward: one conditional UPDATE per move, so two workers (or a late delivery report) can never
move a row backwards.

Order: queued -> sending -> sent -> delivered -> read. ``failed`` and ``skipped`` end a row, with a code and a reason.
A report may skip steps (a "delivered" report for a row still "sending" moves it to delivered). The only step back
the platform takes itself is ``release``: a claimed row whose provider call surely did not go out (a retryable
failure) returns to queued for the next attempt.
"""

from __future__ import annotations

import hashlib
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import delete, text, update
from sqlmodel import Session, select

from ..models import DeliveryStatus, EarlyDeliveryReport, MessageDelivery
from ..timeutil import utcnow

S = DeliveryStatus

#: the statuses a row may be in for a move to the key to apply
MAY_MOVE_FROM: dict[DeliveryStatus, frozenset[DeliveryStatus]] = {
    S.SENDING: frozenset({S.QUEUED}),
    S.SENT: frozenset({S.QUEUED, S.SENDING}),
    S.DELIVERED: frozenset({S.QUEUED, S.SENDING, S.SENT}),
    S.READ: frozenset({S.QUEUED, S.SENDING, S.SENT, S.DELIVERED}),
    S.FAILED: frozenset({S.QUEUED, S.SENDING, S.SENT}),
    S.SKIPPED: frozenset({S.QUEUED, S.SENDING}),
}

_TIME_OF = {S.SENDING: "sending_at", S.SENT: "sent_at", S.DELIVERED: "delivered_at", S.READ: "read_at"}

_T = MessageDelivery.__table__.c

#: how long a delivery report of a provider id no row has yet is kept for the send job to apply
EARLY_REPORT_KEPT = timedelta(days=1)


def _values(status: DeliveryStatus, at: datetime, provider_id: str | None, error_code: str | None,
            error: str | None) -> dict[str, Any]:
    values: dict[str, Any] = {"status": status}
    column = _TIME_OF.get(status)
    if column:
        values[column] = at
    if status in (S.DELIVERED, S.READ):  # a report that skips "sent" still says when it was sent, at the latest
        from sqlalchemy import func

        values["sent_at"] = func.coalesce(_T.sent_at, at)
    if provider_id:
        values["provider_id"] = str(provider_id)[:128]
    if error_code is not None or status in (S.FAILED, S.SKIPPED):
        values["error_code"] = (error_code or status.value)[:40]
        values["error"] = (error or None) and str(error)[:500]
    return values


def advance(session: Session, delivery_id: int, status: DeliveryStatus | str, *, provider_id: str | None = None,
            error_code: str | None = None, error: str | None = None, at: datetime | None = None,
            tenant_id: int | None = None, expect: DeliveryStatus | None = None) -> bool:
    """Move one row to ``status`` if that is a forward move; returns whether the row moved.

    A backward or sideways move (a late "sent" report for a delivered row, anything after failed or skipped) changes
    nothing and returns False. ``expect`` narrows the move to rows currently in that status (the send job finishing
    its own claim). ``tenant_id`` restricts the update to that tenant's row."""
    status = DeliveryStatus(status)
    allowed = MAY_MOVE_FROM.get(status)
    if allowed is None:
        raise ValueError(f"no move leads to {status.value}")
    if expect is not None:
        allowed = allowed & {DeliveryStatus(expect)}
    query = update(MessageDelivery.__table__).where(_T.id == delivery_id, _T.status.in_(list(allowed)))
    if tenant_id is not None:
        query = query.where(_T.tenant_id == tenant_id)
    moved = session.execute(query.values(**_values(status, at or utcnow(), provider_id, error_code, error)))
    return moved.rowcount == 1


def claim(session: Session, delivery_id: int, at: datetime | None = None) -> bool:
    """queued -> sending, counting the attempt: True for the one worker that gets the row."""
    moved = session.execute(update(MessageDelivery.__table__).where(
        _T.id == delivery_id, _T.status == S.QUEUED).values(
        status=S.SENDING, sending_at=at or utcnow(), attempts=_T.attempts + 1))
    return moved.rowcount == 1


def release(session: Session, delivery_id: int, attempt: int, error_code: str | None, error: str | None) -> bool:
    """sending -> queued after a retryable failure of attempt ``attempt`` (the provider surely did not take it)."""
    moved = session.execute(update(MessageDelivery.__table__).where(
        _T.id == delivery_id, _T.status == S.SENDING, _T.attempts == attempt).values(
        status=S.QUEUED, error_code=(error_code or None) and error_code[:40], error=(error or None) and error[:500]))
    return moved.rowcount == 1


def find_by_provider_id(session: Session, tenant_id: int, channel: str, provider_id: str,
                        account_id: int | None = None) -> MessageDelivery | None:
    """The tenant's ledger row a provider message id belongs to (index ``ix_delivery_provider``)."""
    query = select(MessageDelivery).where(MessageDelivery.channel == channel,
                                          MessageDelivery.provider_id == str(provider_id),
                                          MessageDelivery.tenant_id == tenant_id)
    if account_id is not None:
        query = query.where(MessageDelivery.account_id == account_id)
    return session.exec(query.order_by(MessageDelivery.id)).first()


#: statuses further along the ledger rank higher; an early report keeps the furthest one it was told
_RANK = {S.QUEUED: 0, S.SENDING: 1, S.SENT: 2, S.DELIVERED: 3, S.READ: 4, S.FAILED: 5, S.SKIPPED: 5}


def _lock_report_key(session: Session, tenant_id: int, channel: str, provider_id: str) -> None:
    """Serialise a delivery report and the send job recording the same provider id (PostgreSQL: a transaction
    advisory lock on the key; SQLite: the database's single writer, taken by the first write of each side)."""
    if session.get_bind().dialect.name != "postgresql":
        return
    digest = hashlib.blake2b(f"{tenant_id}|{channel}|{provider_id}".encode(), digest_size=8).digest()
    session.execute(text("SELECT pg_advisory_xact_lock(:key)"),
                    {"key": int.from_bytes(digest, "big", signed=True)})


def _keep_early(session: Session, tenant_id: int, channel: str, provider_id: str, status: DeliveryStatus,
                error_code: str | None, error: str | None, at: datetime, account_id: int | None) -> None:
    """Keep a report of a provider id no ledger row has yet (the furthest status of several reports wins)."""
    kept = session.exec(select(EarlyDeliveryReport).where(
        EarlyDeliveryReport.tenant_id == tenant_id, EarlyDeliveryReport.channel == channel,
        EarlyDeliveryReport.provider_id == provider_id)).first()
    if kept is not None and _RANK[S(kept.status)] >= _RANK[status]:
        return
    kept = kept or EarlyDeliveryReport(tenant_id=tenant_id, channel=channel, provider_id=provider_id)
    kept.status, kept.account_id, kept.reported_at = status.value, account_id, at
    kept.error_code = (error_code or None) and error_code[:40]
    kept.error = (error or None) and str(error)[:500]
    session.add(kept)
    session.flush()


def record_sent(session: Session, row: MessageDelivery, status: DeliveryStatus, provider_id: str | None) -> bool:
    """The send job's answer for its claimed row (sending -> sent or delivered, with the provider id), then any
    report of that id that arrived first, applied forward only in the same transaction. Returns whether the row
    moved."""
    if not advance(session, row.id, status, provider_id=provider_id, expect=S.SENDING):
        return False
    if not provider_id:
        return True
    provider_id = str(provider_id)[:128]
    _lock_report_key(session, row.tenant_id, row.channel, provider_id)
    early = session.exec(select(EarlyDeliveryReport).where(
        EarlyDeliveryReport.tenant_id == row.tenant_id, EarlyDeliveryReport.channel == row.channel,
        EarlyDeliveryReport.provider_id == provider_id)).first()
    if early is not None and early.account_id in (None, row.account_id):
        advance(session, row.id, early.status, error_code=early.error_code, error=early.error,
                at=early.reported_at, tenant_id=row.tenant_id)
        session.delete(early)
    return True


def prune_early_reports(session: Session, before: datetime) -> int:
    """Delete early reports kept since before ``before`` (their send never recorded the id); returns how many."""
    gone = session.execute(delete(EarlyDeliveryReport).where(EarlyDeliveryReport.created_at < before))
    return gone.rowcount or 0


def mark_delivery_report(session: Session, tenant_id: int, channel: str, provider_id: str,
                         status: DeliveryStatus | str, *, error_code: str | None = None, error: str | None = None,
                         at: datetime | None = None, account_id: int | None = None) -> MessageDelivery | None:
    """Apply a channel's delivery report (sent, delivered, read or failed) to the row of ``provider_id``.

    Call it from the channel's callback processing with the tenant of the account the report came through: a report
    never reaches another tenant's row. Returns the row (refreshed). When no row of the tenant has that provider id
    yet (a fast provider reports before the send job recorded the id) the report is kept and returns None; the send
    job applies it when it records the id (``record_sent``), and a kept report nobody claims is deleted after
    ``EARLY_REPORT_KEPT``. A report that would move the row backwards (a late "sent" after "delivered") is
    ignored."""
    status = DeliveryStatus(status)
    provider_id = str(provider_id)[:128]
    at = at or utcnow()
    _lock_report_key(session, tenant_id, channel, provider_id)
    row = find_by_provider_id(session, tenant_id, channel, provider_id, account_id)
    if row is None:
        _keep_early(session, tenant_id, channel, provider_id, status, error_code, error, at, account_id)
        # SQLite: the write above holds the database's writer lock, so this second look sees a send that committed
        # its provider id meanwhile (PostgreSQL: the advisory lock already ordered the two)
        row = find_by_provider_id(session, tenant_id, channel, provider_id, account_id)
        if row is None:
            return None
        session.execute(delete(EarlyDeliveryReport).where(
            EarlyDeliveryReport.tenant_id == tenant_id, EarlyDeliveryReport.channel == channel,
            EarlyDeliveryReport.provider_id == provider_id))
    advance(session, row.id, status, error_code=error_code, error=error, at=at, tenant_id=tenant_id)
    session.refresh(row)
    return row
