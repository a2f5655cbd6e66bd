"""The tenant's unsubscribe list: adding (a TD reply, an operator, an import), removing, and asking.

A number on the list gets no marketing SMS from any SMS account of the tenant, from the moment the row is committed:

* customers whose mobile is on the list are excluded for ``MARKETING_PURPOSE`` by the channel kit's exclusion
  decision (``excluded_customers``, answering ``customer_exclusion_reason(s)``) when a send is planned;
* and ``deliver`` declines a marketing message to a listed number even when it was planned before the reply came or
  was addressed to a pasted number without a customer (``is_unsubscribed``), so the row ends ``skipped`` with
  ``sms_unsubscribed``.

Notifications are never refused by the list.
"""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import delete, or_
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, select

from scrm.sdk import Customer, CustomerIdentity, IdentityError, normalize_mobile

from .models import SOURCE_MANUAL, SmsUnsubscribe

REASON = "unsubscribed from marketing SMS"


def normalise_mobile(value: str) -> str | None:
    """The 11-digit mainland number of ``value`` (``+86`` / ``86`` / spaces tolerated), or None."""
    raw = str(value or "").strip()
    if raw.startswith("86") and len(raw) == 13:
        raw = raw[2:]
    try:
        return normalize_mobile(raw)
    except IdentityError:
        return None


def unsubscribe(session: Session, tenant_id: int, mobile: str, *, source: str = SOURCE_MANUAL,
                account_id: int | None = None, reply: str = "", user_id: int | None = None) -> bool:
    """Put ``mobile`` on the tenant's list; True when it was not there yet. ``ValueError`` for an invalid number.
    Safe against a concurrent add of the same number (the unique key decides; the first row stands)."""
    number = normalise_mobile(mobile)
    if number is None:
        raise ValueError(f"'{mobile}' is not a mainland mobile number")
    if is_unsubscribed(session, tenant_id, number):
        return False
    row = SmsUnsubscribe(tenant_id=tenant_id, mobile=number, source=source, account_id=account_id,
                         reply=(reply or "")[:70], created_by=user_id)
    try:
        with session.begin_nested():
            session.add(row)
            session.flush()
    except IntegrityError:
        return False
    return True


def resubscribe(session: Session, tenant_id: int, mobile: str) -> bool:
    """Take ``mobile`` off the tenant's list; True when it was there."""
    number = normalise_mobile(mobile)
    if number is None:
        return False
    gone = session.execute(delete(SmsUnsubscribe).where(SmsUnsubscribe.tenant_id == tenant_id,
                                                        SmsUnsubscribe.mobile == number))
    return bool(gone.rowcount)


def is_unsubscribed(session: Session, tenant_id: int, mobile: str) -> bool:
    number = normalise_mobile(mobile)
    if number is None:
        return False
    return session.exec(select(SmsUnsubscribe.id).where(SmsUnsubscribe.tenant_id == tenant_id,
                                                        SmsUnsubscribe.mobile == number)).first() is not None


def unsubscribed_among(session: Session, tenant_id: int, mobiles: Iterable[str]) -> set[str]:
    """The numbers of ``mobiles`` (normalised) that are on the tenant's list: one query per 1,000 numbers (for
    audiences of pasted numbers)."""
    numbers = sorted({n for n in (normalise_mobile(m) for m in mobiles) if n})
    found: set[str] = set()
    for start in range(0, len(numbers), 1000):
        chunk = numbers[start:start + 1000]
        found.update(session.exec(select(SmsUnsubscribe.mobile).where(SmsUnsubscribe.tenant_id == tenant_id,
                                                                      SmsUnsubscribe.mobile.in_(chunk))).all())
    return found


def excluded_customers(session: Session, tenant_id: int, customer_ids: list[int]) -> set[int]:
    """The customers of ``customer_ids`` with a mobile on the list (their main mobile or a mobile identity)."""
    if not customer_ids:
        return set()
    listed = select(SmsUnsubscribe.mobile).where(SmsUnsubscribe.tenant_id == tenant_id)
    main = session.exec(select(Customer.id).where(Customer.tenant_id == tenant_id, Customer.id.in_(customer_ids),
                                                  Customer.mobile.in_(listed))).all()
    other = session.exec(select(CustomerIdentity.customer_id).where(
        CustomerIdentity.tenant_id == tenant_id, CustomerIdentity.customer_id.in_(customer_ids),
        CustomerIdentity.kind == "mobile", CustomerIdentity.value.in_(listed))).all()
    return set(main) | set(other)


def excluded_query(tenant_id: int):
    """``excluded_customers`` as SQL: (customer id, ``REASON``) of the tenant's customers with a listed mobile (their
    main mobile or a mobile identity), for the set-based bulk path."""
    from sqlalchemy import literal, union_all

    listed = select(SmsUnsubscribe.mobile).where(SmsUnsubscribe.tenant_id == tenant_id)
    return union_all(
        select(Customer.id, literal(REASON)).where(Customer.tenant_id == tenant_id, Customer.mobile.in_(listed)),
        select(CustomerIdentity.customer_id, literal(REASON)).where(
            CustomerIdentity.tenant_id == tenant_id, CustomerIdentity.kind == "mobile",
            CustomerIdentity.value.in_(listed)))


def customers_of(session: Session, tenant_id: int, mobile: str) -> list[int]:
    """The tenant's customers (not merged away) reached at ``mobile``."""
    number = normalise_mobile(mobile)
    if number is None:
        return []
    by_identity = select(CustomerIdentity.customer_id).where(
        CustomerIdentity.tenant_id == tenant_id, CustomerIdentity.kind == "mobile", CustomerIdentity.value == number)
    return list(session.exec(select(Customer.id).where(
        Customer.tenant_id == tenant_id, Customer.merged_into_id.is_(None),
        or_(Customer.mobile == number, Customer.id.in_(by_identity))).order_by(Customer.id)).all())
