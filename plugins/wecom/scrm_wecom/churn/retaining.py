"""What the "Retain" page offers the employee who lost a customer (spec B §4.5.2).

WeCom has no API that re-adds a friend: only the customer can accept a new friend request or scan the employee's
"contact me" code. The page therefore gathers what the employee needs on a phone: the remark they gave the customer,
the customer's mobile (a tap-to-call link), and their own live code (its QR image and link, to send through
another channel or show in the store) when one exists.
"""

from __future__ import annotations

from sqlalchemy import case, select
from sqlmodel import Session

from scrm.sdk import Customer, IdentityError, normalize_mobile

from ..livecodes.models import SINGLE, LiveCode, LiveCodeEmployee
from ..sync.models import Follow
from .models import FriendLoss


def remark_of(session: Session, loss: FriendLoss) -> str:
    """The employee's remark of the customer on the lost relation ("" without one)."""
    remark = session.execute(select(Follow.remark).where(
        Follow.tenant_id == loss.tenant_id, Follow.account_id == loss.account_id, Follow.userid == loss.userid,
        Follow.external_userid == loss.external_userid)).scalar()
    return remark or ""


def mobile_of(customer: Customer) -> str | None:
    """The customer's mainland mobile number, normalized for a ``tel:`` link; None when unknown or malformed."""
    try:
        return normalize_mobile(customer.mobile) if customer.mobile else None
    except IdentityError:
        return None


def live_code_of(session: Session, loss: FriendLoss) -> LiveCode | None:
    """The relation's employee's live code on the same WeCom account that has a QR code: a code of that employee
    alone first, then the newest code they are part of; None when there is none."""
    if loss.employee_id is None:
        return None
    return session.execute(
        select(LiveCode).join(LiveCodeEmployee, LiveCodeEmployee.live_code_id == LiveCode.id)
        .where(LiveCode.tenant_id == loss.tenant_id, LiveCode.account_id == loss.account_id,
               LiveCodeEmployee.tenant_id == loss.tenant_id, LiveCodeEmployee.employee_id == loss.employee_id,
               LiveCode.qr_code.is_not(None))
        .order_by(case((LiveCode.kind == SINGLE, 0), else_=1), LiveCode.id.desc()).limit(1)).scalars().first()
