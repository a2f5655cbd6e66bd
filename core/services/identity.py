"""One-ID: inbound identities are matched to one customer (unionid first, then mobile) or create one."""

from __future__ import annotations

import re
from dataclasses import dataclass

from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, select

from ..events import EventTypes, publish
from ..models import Customer, CustomerIdentity, IdentityKind

MOBILE_RE = re.compile(r"^1[3-9]\d{9}$")
MATCH_ORDER = (IdentityKind.UNIONID, IdentityKind.MOBILE)


class IdentityError(ValueError):
    """An identity value that cannot be used (a malformed mobile number, an unknown kind)."""


def normalize_mobile(value: str) -> str:
    """An 11-digit mainland mobile number, without spaces, dashes or the +86 / 0086 prefix; raises IdentityError."""
    digits = re.sub(r"[\s-]", "", value or "")
    for prefix in ("+86", "0086"):
        if digits.startswith(prefix):
            digits = digits[len(prefix):]
    if not MOBILE_RE.match(digits):
        raise IdentityError(f"'{value}' is not an 11-digit mainland mobile number")
    return digits


def mask_mobile(value: str | None) -> str:
    """``13800000000`` -> ``138****0000``."""
    if not value or len(value) < 7:
        return value or ""
    return f"{value[:3]}****{value[-4:]}"


@dataclass
class MatchResult:
    customer: Customer
    created: bool
    linked: list[str]


def find_by_identity(session: Session, tenant_id: int, kind: str, value: str) -> Customer | None:
    row = session.exec(
        select(CustomerIdentity).where(
            CustomerIdentity.tenant_id == tenant_id, CustomerIdentity.kind == kind, CustomerIdentity.value == value)
    ).first()
    if row is None:
        return None
    customer = session.get(Customer, row.customer_id)
    while customer is not None and customer.merged_into_id is not None:
        customer = session.get(Customer, customer.merged_into_id)
    return customer


def link_identity(session: Session, customer: Customer, kind: str, value: str) -> bool:
    """Attach an identity to ``customer``; False if it already was. Raises IdentityError if another customer has it."""
    existing = session.exec(
        select(CustomerIdentity).where(CustomerIdentity.tenant_id == customer.tenant_id,
                                       CustomerIdentity.kind == kind, CustomerIdentity.value == value)
    ).first()
    if existing is not None:
        if existing.customer_id == customer.id:
            return False
        raise IdentityError(f"{kind} {value} already belongs to customer {existing.customer_id}")
    session.add(CustomerIdentity(tenant_id=customer.tenant_id, customer_id=customer.id, kind=kind, value=value))
    session.flush()
    publish(session, customer.tenant_id, EventTypes.IDENTITY_LINKED,
            {"customer_id": customer.id, "kind": kind, "value": value})
    return True


def _clean_identities(identities: dict[str, str]) -> dict[str, str]:
    identities = {k: v for k, v in identities.items() if v}
    if IdentityKind.MOBILE in identities:
        identities[IdentityKind.MOBILE] = normalize_mobile(identities[IdentityKind.MOBILE])
    return identities


def _match_order(identities: dict[str, str]) -> list[str]:
    return [k for k in MATCH_ORDER if k in identities] + sorted(k for k in identities if k not in MATCH_ORDER)


def find_match(session: Session, tenant_id: int, identities: dict[str, str]) -> Customer | None:
    """The customer ``match_or_create`` would match (unionid first, then mobile, then any other), or None."""
    identities = _clean_identities(identities)
    for kind in _match_order(identities):
        customer = find_by_identity(session, tenant_id, kind, identities[kind])
        if customer is not None:
            return customer
    return None


def match_or_create(session: Session, tenant_id: int, identities: dict[str, str], *, name: str = "",
                    source: str = "manual", defaults: dict | None = None) -> MatchResult:
    """Match ``identities`` (kind -> value) to a customer: unionid first, then mobile, then any other identity given;
    create the customer when none matches. Identities not yet known are linked to the customer found."""
    identities = _clean_identities(identities)
    order = _match_order(identities)
    customer = find_match(session, tenant_id, identities)
    created = customer is None
    if created:
        customer = Customer(tenant_id=tenant_id, name=name, source=source,
                            mobile=identities.get(IdentityKind.MOBILE), **(defaults or {}))
        session.add(customer)
        session.flush()
        publish(session, tenant_id, EventTypes.CUSTOMER_CREATED, {"customer_id": customer.id, "source": source})
    linked = []
    for kind in order:
        try:
            with session.begin_nested():
                if link_identity(session, customer, kind, identities[kind]):
                    linked.append(kind)
        except (IdentityError, IntegrityError):
            # the identity belongs to another customer: One-ID never steals it; a merge reconciles them
            continue
    if customer.mobile is None and IdentityKind.MOBILE in identities:
        customer.mobile = identities[IdentityKind.MOBILE]
    if not customer.name and name:
        customer.name = name
    session.add(customer)
    return MatchResult(customer, created, linked)
