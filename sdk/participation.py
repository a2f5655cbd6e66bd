"""Participation rules for campaigns: who may join a fission activity and who may win a draw.

    from scrm.sdk import participation

    reason = participation.refusal(session, tenant, customer_id, participation.TASK_FISSION)
    if reason:
        raise CampaignError(reason)           # e.g. "The customer is blacklisted: ..."
    wins = drawn and participation.may_win(session, tenant, customer_id, win_rate=0.5)

The answers come from the tenant's enabled plugins (the members blacklist and its rule switches: blacklisted
customers cannot join task, red-packet or interactive fission while the switch is on, and take part in marketing
activities but never win unless everyone wins). Activities: ``TASK_FISSION`` (share-for-gift, invite-to-unlock),
``REDPACKET_FISSION``, ``INTERACTIVE_FISSION``. Messages need no call here: the outbound path asks the same rules.
Works in a request and in a job (the tenant's hooks come from the running platform); ``tenant`` is the tenant
row or its id.
"""

from __future__ import annotations

from typing import Any

from sqlmodel import Session

from scrm.core import participation as _rules
from scrm.core.jobs import current_bus
from scrm.core.models import Tenant
from scrm.core.participation import ACTIVITIES, INTERACTIVE_FISSION, REDPACKET_FISSION, TASK_FISSION

__all__ = ["ACTIVITIES", "INTERACTIVE_FISSION", "REDPACKET_FISSION", "TASK_FISSION", "may_win", "refusal",
           "refusals"]


def _tenant(session: Session, tenant: Any) -> Tenant:
    row = session.get(Tenant, tenant) if isinstance(tenant, int) else tenant
    if row is None:
        raise ValueError(f"no tenant {tenant}")
    return row


def _hooks(session: Session, tenant: Tenant):
    return current_bus().platform.hooks(session, tenant)


def refusal(session: Session, tenant: Any, customer_id: int, activity: str) -> str | None:
    """Why ``customer_id`` may not join ``activity`` (a translated reason), or None when they may."""
    tenant = _tenant(session, tenant)
    return _rules.refusal(_hooks(session, tenant), session, tenant, customer_id, activity)


def refusals(session: Session, tenant: Any, customer_ids: list[int], activity: str) -> dict[int, str]:
    """``refusal`` for many customers in one pass: {customer_id: reason} for those refused."""
    tenant = _tenant(session, tenant)
    return _rules.refusals(_hooks(session, tenant), session, tenant, customer_ids, activity)


def may_win(session: Session, tenant: Any, customer_id: int, win_rate: float) -> bool:
    """Whether ``customer_id`` may win a draw whose win rate is ``win_rate`` (0 to 1; 1 means everyone wins)."""
    tenant = _tenant(session, tenant)
    return _rules.may_win(_hooks(session, tenant), session, tenant, customer_id, win_rate)
