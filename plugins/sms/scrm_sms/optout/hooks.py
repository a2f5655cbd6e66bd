"""The unsubscribe list's answer to the channel kit's exclusion decision (``customer_exclusion_reason(s)``)."""

from __future__ import annotations

from sqlmodel import Session

from ..payload import MARKETING_PURPOSE
from .service import REASON, excluded_customers, excluded_query


def exclusion_reasons(session: Session, tenant_id: int, customer_ids: list[int], purpose: str) -> dict[int, str]:
    """{customer_id: reason} of the customers whose mobile is on the tenant's list, for marketing SMS only."""
    if purpose != MARKETING_PURPOSE or not customer_ids:
        return {}
    return {customer_id: REASON for customer_id in excluded_customers(session, tenant_id, list(customer_ids))}


def exclusion_query(tenant_id: int, purpose: str):
    """The same answer as SQL (the set-based bulk path): None for any purpose but marketing SMS."""
    if purpose != MARKETING_PURPOSE:
        return None
    return excluded_query(tenant_id)
