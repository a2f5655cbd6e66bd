"""The quota operations. Every change is one conditional UPDATE on the (tenant, category) row, never a read followed
by a write, so concurrent bulk sends and single sends can neither overdraw nor lose an update:

- ``reserve(n)``: ``available -= n, reserved += n WHERE available >= n`` (no row moved: ``InsufficientBalance``);
- ``consume(n)``: ``reserved -= n, sent += n WHERE reserved >= n`` (the provider accepted n billed messages);
- ``release(n)``: ``reserved -= n, available += n WHERE reserved >= n`` (failed, skipped, cancelled: refunded);
- ``top_up(n)``: ``available += n, purchased += n`` with a purchase-ledger row and an audit entry.

All run in the caller's transaction: a reservation commits with the bulk send (or the planned chunk) it pays for.
Refund policy (the spec leaves it open): a message the provider refused, a recipient excluded (opt-out, blacklist,
frequency cap), a cancelled or never planned recipient gets its segments back; a message the provider accepted is
consumed even when its delivery report later says it failed (the carrier bills it).
"""

from __future__ import annotations

from dataclasses import dataclass

from flask_babel import lazy_gettext as _l
from sqlalchemy import update
from sqlalchemy.dialects import postgresql, sqlite
from sqlmodel import Session, select

from scrm.sdk import audit, utcnow

from .models import SmsQuota, SmsRecharge

MARKETING, NOTIFICATION = "marketing", "notification"
CATEGORIES = (MARKETING, NOTIFICATION)
CATEGORY_LABELS = {MARKETING: _l("Marketing SMS"), NOTIFICATION: _l("Notification SMS")}
#: the error code of a send refused for want of quota (spec 3.9)
INSUFFICIENT_BALANCE = "INSUFFICIENT_BALANCE"
#: the largest single top-up (a typo guard: 10 million messages)
MAX_TOP_UP = 10_000_000
#: the packages of the 短信充值 page: key -> (messages, price in fen)
PACKAGES = {"p1000": (1_000, 6_000), "p5000": (5_000, 27_500), "p20000": (20_000, 100_000),
            "p100000": (100_000, 450_000)}

_T = SmsQuota.__table__.c


class InsufficientBalance(Exception):
    """Not enough quota: nothing was reserved. ``needed`` and ``available`` are billed messages."""

    code = INSUFFICIENT_BALANCE

    def __init__(self, category: str, needed: int, available: int) -> None:
        self.category, self.needed, self.available = category, needed, available
        super().__init__(f"{INSUFFICIENT_BALANCE}: {needed} {category} SMS needed, {available} available")

    def message(self) -> str:
        return str(_l("Insufficient SMS balance (INSUFFICIENT_BALANCE): this send needs %(needed)s %(category)s "
                      "messages and %(available)s remain. Recharge first.", needed=self.needed,
                      category=CATEGORY_LABELS.get(self.category, self.category), available=self.available))


def check_category(category: str) -> str:
    if category not in CATEGORIES:
        raise ValueError(f"unknown SMS category {category!r}")
    return category


def ensure_row(session: Session, tenant_id: int, category: str) -> None:
    """Create the (tenant, category) row if missing, without racing a concurrent creator (ON CONFLICT DO NOTHING)."""
    check_category(category)
    dialect = session.get_bind().dialect.name
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    session.execute(insert(SmsQuota.__table__).values(
        tenant_id=tenant_id, category=category, available=0, reserved=0, sent=0, purchased=0,
        updated_at=utcnow()).on_conflict_do_nothing(index_elements=["tenant_id", "category"]))


def _row(session: Session, tenant_id: int, category: str) -> SmsQuota | None:
    # populate_existing: the counters change by UPDATE statements, never through this object
    return session.exec(select(SmsQuota).where(SmsQuota.tenant_id == tenant_id,
                                               SmsQuota.category == check_category(category))
                        .execution_options(populate_existing=True)).first()


def _move(session: Session, tenant_id: int, category: str, guard, **values) -> bool:
    query = update(SmsQuota.__table__).where(_T.tenant_id == tenant_id, _T.category == check_category(category))
    if guard is not None:
        query = query.where(guard)
    moved = session.execute(query.values(updated_at=utcnow(), **values))
    return moved.rowcount == 1


def reserve(session: Session, tenant_id: int, category: str, n: int) -> None:
    """Hold ``n`` billed messages; ``InsufficientBalance`` (nothing changed) when fewer are available."""
    if n < 0:
        raise ValueError("a reservation is not negative")
    if n == 0:
        return
    if not _move(session, tenant_id, category, _T.available >= n,
                 available=_T.available - n, reserved=_T.reserved + n):
        row = _row(session, tenant_id, category)
        raise InsufficientBalance(category, n, row.available if row else 0)


def consume(session: Session, tenant_id: int, category: str, n: int) -> None:
    """``n`` reserved messages were accepted by the provider: they move to ``sent``."""
    if n > 0 and not _move(session, tenant_id, category, _T.reserved >= n,
                           reserved=_T.reserved - n, sent=_T.sent + n):
        raise RuntimeError(f"quota of tenant {tenant_id}: consuming {n} {category} SMS not reserved")


def release(session: Session, tenant_id: int, category: str, n: int) -> None:
    """``n`` reserved messages will not be sent: they return to ``available``."""
    if n > 0 and not _move(session, tenant_id, category, _T.reserved >= n,
                           reserved=_T.reserved - n, available=_T.available + n):
        raise RuntimeError(f"quota of tenant {tenant_id}: releasing {n} {category} SMS not reserved")


def settle(session: Session, tenant_id: int, category: str, consumed: int, released: int) -> None:
    """Consume and release in one statement (the settlement of a bulk send)."""
    n = consumed + released
    if n > 0 and not _move(session, tenant_id, category, _T.reserved >= n, reserved=_T.reserved - n,
                           sent=_T.sent + consumed, available=_T.available + released):
        raise RuntimeError(f"quota of tenant {tenant_id}: settling {n} {category} SMS not reserved")


def top_up(session: Session, tenant_id: int, category: str, amount: int, *, user_id: int | None = None,
           package: str = "", price_fen: int = 0, note: str = "", ip: str | None = None) -> SmsRecharge:
    """Add ``amount`` billed messages (a package bought or a manual top-up): the balance, a purchase-ledger row and an
    audit entry, in the caller's transaction."""
    if not isinstance(amount, int) or amount <= 0 or amount > MAX_TOP_UP:
        raise ValueError(f"a top-up is 1 to {MAX_TOP_UP} messages")
    ensure_row(session, tenant_id, category)
    _move(session, tenant_id, category, None, available=_T.available + amount, purchased=_T.purchased + amount)
    order = SmsRecharge(tenant_id=tenant_id, category=category, amount=amount, package=package,
                        price_fen=price_fen, note=note[:200], created_by=user_id)
    session.add(order)
    session.flush()
    audit(session, "sms.quota.top_up", tenant_id=tenant_id, user_id=user_id, actor="user" if user_id else "system",
          target=f"sms_recharge:{order.id}",
          detail={"category": category, "amount": amount, "package": package, "price_fen": price_fen}, ip=ip)
    return order


@dataclass(frozen=True)
class Balance:
    category: str
    available: int = 0
    reserved: int = 0
    sent: int = 0
    purchased: int = 0


def balance(session: Session, tenant_id: int, category: str) -> Balance:
    row = _row(session, tenant_id, category)
    if row is None:
        return Balance(category)
    return Balance(category, row.available, row.reserved, row.sent, row.purchased)


def remaining(session: Session, tenant_id: int, category: str) -> int:
    """剩余短信: billed messages the tenant can still spend in ``category`` (reservations of running sends excluded)."""
    return balance(session, tenant_id, category).available


def sent(session: Session, tenant_id: int, category: str) -> int:
    """已发送短信数量: billed messages the provider accepted in ``category``."""
    return balance(session, tenant_id, category).sent


def purchased(session: Session, tenant_id: int, category: str) -> int:
    """已购买短信数量: billed messages bought in ``category`` (every top-up)."""
    return balance(session, tenant_id, category).purchased


def summary(session: Session, tenant_id: int) -> dict[str, Balance]:
    """Both categories' balances."""
    return {category: balance(session, tenant_id, category) for category in CATEGORIES}
