"""Recording lost friendships from the plugin's domain events (called from ``domain_event`` after the sync handler
has updated the follow relation in the same transaction).

``wecom.friend_deleted_by_customer`` → a ``churned`` row; ``wecom.friend_deleted`` → a ``deleted`` row, except a
deletion WeCom says came from a transfer (``source`` DELETE_BY_TRANSFER, the relation is then ``transferred``).
The row keeps the relation's employee (added by), the customer's owner at that moment, the add time and the time of
the callback; its event id makes a redelivered event harmless. The reminders and notifications follow.

Every loss is recorded, also of a friend the platform does not know yet (added before the account was connected and
never synced): the customer is matched or created through One-ID with its ``external_userid`` identity, named from
the callback when it carries a name, else after its external_userid; after the commit ``sync_friend`` re-reads the
contact from WeCom, which names it properly (and links or merges it) while WeCom still answers for it.
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import update
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, select

from scrm.sdk import (
    ChannelAccount,
    Customer,
    CustomerIdentity,
    DomainEvent,
    Employee,
    IdentityKind,
    Tenant,
    match_or_create,
    utcnow,
)

from .. import timeline
from ..accounts import find_account
from ..sync.events import TRANSFER_SOURCE
from ..sync.models import Follow, FollowStatus
from ..sync.wecom_tags import SOURCE
from ..welcome.handlers import after_commit
from .models import FriendLoss, LossKind

log = logging.getLogger(__name__)

EVENT_KINDS = {"wecom.friend_deleted_by_customer": LossKind.CHURNED, "wecom.friend_deleted": LossKind.DELETED}
EVENT_TYPES = frozenset(EVENT_KINDS)


def _when(payload: dict[str, Any]) -> datetime:
    created = payload.get("create_time")
    return datetime.fromtimestamp(int(created), UTC) if isinstance(created, int) and created > 0 else utcnow()


def _customer_id(session: Session, account: ChannelAccount, external_userid: str) -> int | None:
    return session.exec(select(CustomerIdentity.customer_id).where(
        CustomerIdentity.tenant_id == account.tenant_id,
        CustomerIdentity.kind == IdentityKind.external_userid(account.external_id),
        CustomerIdentity.value == external_userid)).first()


def _unknown_customer(session: Session, account: ChannelAccount, external_userid: str,
                      payload: dict[str, Any]) -> Customer:
    """The customer of a friend the platform did not know (One-ID by external_userid), and a re-read from WeCom
    after the commit."""
    name = str(payload.get("name") or "").strip()[:100] or external_userid
    customer = match_or_create(session, account.tenant_id,
                               {IdentityKind.external_userid(account.external_id): external_userid},
                               name=name, source=SOURCE).customer
    log.info("friend loss of a customer unknown until now (%s, tenant %s): recorded", external_userid,
             account.tenant_id)
    from ..sync import jobs

    tenant_id, account_id = account.tenant_id, account.id
    after_commit(session, lambda: jobs.sync_friend.send(tenant_id, account_id=account_id,
                                                        external_userid=external_userid))
    return customer


def record_loss(session: Session, event: DomainEvent) -> FriendLoss | None:
    """The row of one friend-ended event (None when it is not a loss, unknown, or already recorded)."""
    kind = EVENT_KINDS.get(event.type)
    payload = event.payload
    try:
        account = find_account(session, event.tenant_id, int(payload.get("account_id") or 0))
    except (TypeError, ValueError):
        return None
    userid, ext = str(payload.get("userid") or ""), str(payload.get("external_userid") or "")
    if kind is None or account is None or not userid or not ext:
        return None
    if kind is LossKind.DELETED and str(payload.get("source") or "") == TRANSFER_SOURCE:
        return None
    follow = session.exec(select(Follow).where(Follow.account_id == account.id, Follow.userid == userid,
                                               Follow.external_userid == ext)).first()
    if follow is not None and follow.status == FollowStatus.TRANSFERRED:
        return None
    customer = session.get(Customer, follow.customer_id if follow else _customer_id(session, account, ext) or 0)
    if customer is not None and customer.tenant_id != event.tenant_id:
        return None
    if customer is None:
        customer = _unknown_customer(session, account, ext, payload)
    employee_id = follow.employee_id if follow is not None else None
    if employee_id is None:
        employee_id = session.exec(select(Employee.id).where(Employee.tenant_id == event.tenant_id,
                                                             Employee.userid == userid)).first()
    row = FriendLoss(tenant_id=event.tenant_id, kind=kind.value, event_id=event.event_id[:64], account_id=account.id,
                     customer_id=customer.id, employee_id=employee_id, owner_employee_id=customer.owner_employee_id,
                     operator_employee_id=employee_id if kind is LossKind.DELETED else None, userid=userid,
                     external_userid=ext, added_at=follow.added_at if follow else None, lost_at=_when(payload))
    try:
        with session.begin_nested():
            session.add(row)
            session.flush()
    except IntegrityError:
        return None  # the event was handled before
    timeline.write(session, event.tenant_id, customer.id, timeline.FRIEND_LOST, row.lost_at, userid=userid,
                   loss=kind.value)
    return row


def on_domain_event(event: DomainEvent, session: Session) -> None:
    """Record the loss of an event of :data:`EVENT_TYPES`, then remind or notify as the tenant configured."""
    if event.type not in EVENT_TYPES:
        return
    loss = record_loss(session, event)
    if loss is None:
        return
    from . import alerts

    tenant = session.get(Tenant, event.tenant_id)
    if loss.kind == LossKind.CHURNED:
        alerts.churn_reminders(session, tenant, loss)
    else:
        alerts.deletion_notices(session, tenant, loss)


def customer_merged(session: Session, tenant_id: int, survivor_id: int, merged_id: int) -> None:
    """The merged customer's churn and deletion rows belong to the survivor."""
    session.execute(update(FriendLoss).where(FriendLoss.tenant_id == tenant_id, FriendLoss.customer_id == merged_id)
                    .values(customer_id=survivor_id))
