"""Points: one balance per customer and a ledger of every change. An adjustment needs a reason and may not take a
balance below zero (the whole adjustment is refused, nothing changes). Bulk adjustments apply the same delta to every
chosen customer in one transaction, all or nothing."""

from __future__ import annotations

from dataclasses import dataclass

from flask_babel import lazy_gettext as _l
from sqlalchemy import select, update
from sqlmodel import Session

from scrm.sdk import Customer, utcnow

from .models import PointsBalance, PointsEntry

REASON_MAX = 200
DELTA_LIMIT = 10_000_000
BULK_LIMIT = 5000


class PointsError(ValueError):
    """An adjustment was refused: ``field`` names the input at fault."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(message)
        self.field = field


@dataclass(frozen=True)
class Adjustment:
    customer_id: int
    delta: int
    balance_after: int


def balance(session: Session, tenant_id: int, customer_id: int) -> int:
    value = session.execute(select(PointsBalance.balance).where(
        PointsBalance.tenant_id == tenant_id, PointsBalance.customer_id == customer_id)).scalar()
    return int(value or 0)


def check_input(delta: int | str | None, reason: str | None) -> tuple[int, str]:
    """The delta as a non-zero int and the trimmed reason; raises PointsError."""
    try:
        value = int(str(delta).strip())
    except (TypeError, ValueError):
        raise PointsError("delta", str(_l("Give a whole number of points, e.g. 100 or -50."))) from None
    if value == 0 or abs(value) > DELTA_LIMIT:
        raise PointsError("delta", str(_l("Give a non-zero number of points up to %(n)d.", n=DELTA_LIMIT)))
    text = (reason or "").strip()
    if not text or len(text) > REASON_MAX:
        raise PointsError("reason", str(_l("Give a reason (1 to %(n)d characters).", n=REASON_MAX)))
    return value, text


def adjust(session: Session, tenant_id: int, customer_ids: list[int], delta: int | str | None,
           reason: str | None, *, actor: str = "", user_id: int | None = None) -> list[Adjustment]:
    """Add ``delta`` points to each customer (the tenant's live customers only) and write one ledger line each.

    Raises PointsError, changing nothing, when the input is bad, a customer is not the tenant's, or a balance would
    fall below zero."""
    value, text = check_input(delta, reason)
    ids = sorted({int(i) for i in customer_ids})
    if not ids:
        raise PointsError("customer_id", str(_l("Choose at least one customer.")))
    if len(ids) > BULK_LIMIT:
        raise PointsError("customer_id", str(_l("Adjust at most %(n)d customers at once.", n=BULK_LIMIT)))
    found = set(session.execute(select(Customer.id).where(
        Customer.tenant_id == tenant_id, Customer.id.in_(ids), Customer.merged_into_id.is_(None))).scalars())
    if found != set(ids):
        raise PointsError("customer_id", str(_l("Some of the chosen customers do not exist.")))
    rows = {r.customer_id: r for r in session.execute(
        select(PointsBalance).where(PointsBalance.tenant_id == tenant_id, PointsBalance.customer_id.in_(ids))
        .with_for_update()).scalars()}
    short = [i for i in ids if (rows[i].balance if i in rows else 0) + value < 0]
    if short:
        raise PointsError("delta", str(_l("%(n)d customers do not have enough points for this deduction.",
                                          n=len(short))))
    now = utcnow()
    out = []
    for customer_id in ids:
        row = rows.get(customer_id)
        if row is None:
            row = PointsBalance(tenant_id=tenant_id, customer_id=customer_id, balance=0)
        row.balance += value
        row.updated_at = now
        session.add(row)
        session.add(PointsEntry(tenant_id=tenant_id, customer_id=customer_id, delta=value, balance_after=row.balance,
                                reason=text, actor=actor[:120], user_id=user_id, created_at=now))
        out.append(Adjustment(customer_id, value, row.balance))
    session.flush()
    return out


def move_merged(session: Session, tenant_id: int, survivor_id: int, merged_id: int) -> None:
    """The merged customer's points join the survivor's balance (one ledger line) and its ledger moves along."""
    moved = balance(session, tenant_id, merged_id)
    session.execute(update(PointsEntry).where(PointsEntry.tenant_id == tenant_id,
                                              PointsEntry.customer_id == merged_id).values(customer_id=survivor_id))
    merged_row = session.execute(select(PointsBalance).where(
        PointsBalance.tenant_id == tenant_id, PointsBalance.customer_id == merged_id)).scalar_one_or_none()
    if merged_row is not None:
        session.delete(merged_row)
        session.flush()
    if moved:
        row = session.execute(select(PointsBalance).where(
            PointsBalance.tenant_id == tenant_id, PointsBalance.customer_id == survivor_id)).scalar_one_or_none()
        if row is None:
            row = PointsBalance(tenant_id=tenant_id, customer_id=survivor_id, balance=0)
        row.balance += moved
        row.updated_at = utcnow()
        session.add(row)
        session.add(PointsEntry(tenant_id=tenant_id, customer_id=survivor_id, delta=moved, balance_after=row.balance,
                                reason=f"merged customer #{merged_id}", actor="system"))
        session.flush()
