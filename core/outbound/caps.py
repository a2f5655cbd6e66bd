"""Frequency caps: how many messages of one purpose one customer may get on one channel per day (the tenant's day).

Defaults (``DEFAULT_DAILY_CAPS``) hold for every tenant until it sets its own with ``set_daily_cap``: a row in
``message_cap`` for (purpose, channel), or for (purpose, "*") to cover every channel. ``per_day`` None lifts the cap;
0 refuses every message of the purpose. Purposes without a default or a row (welcome, replies, notifications the
customer asked for) are not capped. The count reads the ledger: rows queued, being sent, sent, delivered or read
today; failed and skipped rows do not count.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from zoneinfo import ZoneInfo

from sqlalchemy import func, text
from sqlmodel import Session, select

from ..models import DeliveryStatus, MessageCap, MessageDelivery
from ..timeutil import Span, day_span

#: messages per customer per day, per purpose and channel, when the tenant set nothing
DEFAULT_DAILY_CAPS: dict[str, int] = {"mass_send": 1, "marketing": 1}

#: ledger statuses that count towards a cap
COUNTED = (DeliveryStatus.QUEUED, DeliveryStatus.SENDING, DeliveryStatus.SENT, DeliveryStatus.DELIVERED,
           DeliveryStatus.READ)

_UNSET = object()


def daily_cap(session: Session, tenant_id: int, purpose: str | None, channel: str) -> int | None:
    """The tenant's cap for ``purpose`` on ``channel`` (messages per customer per day), None when uncapped."""
    if not purpose:
        return None
    rows = {row.channel: row.per_day for row in session.exec(select(MessageCap).where(
        MessageCap.tenant_id == tenant_id, MessageCap.purpose == purpose, MessageCap.channel.in_([channel, "*"])))}
    if channel in rows:
        return rows[channel]
    if "*" in rows:
        return rows["*"]
    return DEFAULT_DAILY_CAPS.get(purpose)


def set_daily_cap(session: Session, tenant_id: int, purpose: str, per_day: int | None, channel: str = "*") -> None:
    """Set the tenant's cap for ``purpose`` on ``channel`` ("*": every channel); None lifts it."""
    if per_day is not None and per_day < 0:
        raise ValueError("a cap is a number of messages, 0 or more")
    row = session.exec(select(MessageCap).where(MessageCap.tenant_id == tenant_id, MessageCap.purpose == purpose,
                                                MessageCap.channel == channel)).first()
    row = row or MessageCap(tenant_id=tenant_id, purpose=purpose, channel=channel)
    row.per_day = per_day
    session.add(row)
    session.flush()


def today(tz: ZoneInfo, now: datetime | None = None) -> Span:
    return day_span(now, tz=tz)


def _counted(tenant_id: int, purpose: str, channel: str, span: Span):
    return (MessageDelivery.tenant_id == tenant_id, MessageDelivery.purpose == purpose,
            MessageDelivery.channel == channel, MessageDelivery.created_at >= span.start,
            MessageDelivery.created_at < span.end, MessageDelivery.status.in_(COUNTED))


def sent_today(session: Session, tenant_id: int, purpose: str, channel: str, span: Span, *,
               customer_id: int | None, recipient: str) -> int:
    """Messages of ``purpose`` on ``channel`` to the customer (or, without one, to the recipient) in ``span``."""
    who = (MessageDelivery.customer_id == customer_id if customer_id is not None
           else MessageDelivery.recipient == recipient)
    return session.exec(select(func.count()).select_from(MessageDelivery).where(
        *_counted(tenant_id, purpose, channel, span), who)).one()


def among(column, ids: list[int], dialect: str):
    """``column IN ids`` for a chunk of ids: one array parameter on PostgreSQL (a short statement the driver parses
    once, not a thousand placeholders per chunk), a plain IN elsewhere."""
    if dialect == "postgresql":
        from sqlalchemy import BigInteger, any_, bindparam
        from sqlalchemy.dialects.postgresql import ARRAY

        return column == any_(bindparam(None, ids, type_=ARRAY(BigInteger)))
    return column.in_(ids)


def sent_today_many(session: Session, tenant_id: int, purpose: str, channel: str, span: Span,
                    customer_ids: Iterable[int]) -> dict[int, int]:
    """``sent_today`` for many customers in one query: {customer_id: count} (customers with none are absent)."""
    ids = list(customer_ids)
    if not ids:
        return {}
    rows = session.exec(select(MessageDelivery.customer_id, func.count()).where(
        *_counted(tenant_id, purpose, channel, span),
        among(MessageDelivery.customer_id, ids, session.get_bind().dialect.name)).group_by(
        MessageDelivery.customer_id))
    return {customer_id: count for customer_id, count in rows}


def lock_customer(session: Session, tenant_id: int, customer_id: int | None, recipient: str) -> None:
    """Serialise capped sends to one customer until the transaction ends (PostgreSQL; SQLite writes are serial
    already), so two concurrent sends cannot both pass the last free slot."""
    if session.get_bind().dialect.name != "postgresql":
        return
    if customer_id is not None:
        session.execute(text("SELECT pg_advisory_xact_lock(:a, :b)"), {"a": 0x5C4D0000 + tenant_id % 65536,
                                                                       "b": customer_id})
    else:
        session.execute(text("SELECT pg_advisory_xact_lock(hashtext(:key))"), {"key": f"cap:{tenant_id}:{recipient}"})
