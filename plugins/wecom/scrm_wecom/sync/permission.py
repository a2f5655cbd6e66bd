"""The customer-contact permission (客户联系权限 / 外部联系人权限) of the members, as WeCom's
``externalcontact/get_follow_user_list`` lists it: stored per synced member (``SyncMember.contact_permission``).

* A full sync reads the list once (one WeCom call, whatever the number of members) and stores True or False on every
  member of the account (:func:`apply_follow_users`); the member job (a member created or changed in WeCom) reads it
  again once the tenant has the data; a member who adds a customer has the permission (:func:`mark_added`).
* Until a sync has read it (no member of the tenant has a stored value), every employee counts as permitted, so
  brands that have not synced since are not locked out (:func:`known`).
* Once read, an employee is permitted when a synced member row of theirs says so; staff created by hand (no synced
  member) are not members of the corp and are not permitted.

Spec wecom-operations §2.1.3 and §4.1 rule 1: only employees with the permission may use the Moments pages.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from sqlalchemy import exists, or_, select, update
from sqlmodel import Session

from scrm.sdk import ChannelAccount, Employee

from .models import SyncMember

CHUNK = 900


def apply_follow_users(session: Session, account: ChannelAccount, userids: Iterable[str]) -> dict[str, int]:
    """Store the permission of every synced member of ``account``: True for the ``userids`` WeCom listed, False for
    the others. Returns ``{"with_permission", "without_permission", "changed"}``. Flushes, never commits."""
    listed = {str(u) for u in userids}
    rows = session.execute(select(SyncMember.id, SyncMember.userid, SyncMember.contact_permission).where(
        SyncMember.tenant_id == account.tenant_id, SyncMember.account_id == account.id)).all()
    grant = [r.id for r in rows if r.userid in listed and r.contact_permission is not True]
    revoke = [r.id for r in rows if r.userid not in listed and r.contact_permission is not False]
    for ids, value in ((grant, True), (revoke, False)):
        for start in range(0, len(ids), CHUNK):
            session.execute(update(SyncMember).where(SyncMember.id.in_(ids[start:start + CHUNK]))
                            .values(contact_permission=value))
    session.flush()
    with_permission = sum(1 for r in rows if r.userid in listed)
    return {"with_permission": with_permission, "without_permission": len(rows) - with_permission,
            "changed": len(grant) + len(revoke)}


def mark_added(session: Session, account: ChannelAccount, userid: str) -> None:
    """Member ``userid`` just added a customer, so WeCom gives them the permission: a stored "no" becomes "yes"
    (an unread value stays unread, so a brand without the data is not switched to checking)."""
    session.execute(update(SyncMember).where(
        SyncMember.tenant_id == account.tenant_id, SyncMember.account_id == account.id, SyncMember.userid == userid,
        SyncMember.contact_permission.is_(False)).values(contact_permission=True))


def known(session: Session, tenant_id: int) -> bool:
    """Whether a sync has read the permission for the tenant (else everyone counts as permitted)."""
    return session.execute(select(exists().where(SyncMember.tenant_id == tenant_id,
                                                 SyncMember.contact_permission.is_not(None)))).scalar_one()


def permitted_clause(tenant_id: int) -> Any:
    """A WHERE clause on ``Employee``: permitted (the tenant has no data yet, or a synced member row says so)."""
    read = exists().where(SyncMember.tenant_id == tenant_id, SyncMember.contact_permission.is_not(None))
    granted = exists().where(SyncMember.tenant_id == tenant_id, SyncMember.employee_id == Employee.id,
                             SyncMember.contact_permission.is_(True))
    return or_(~read, granted)


def permitted_ids(session: Session, tenant_id: int) -> set[int] | None:
    """The ids of the tenant's permitted employees, or None while the permission is not known (everyone)."""
    if not known(session, tenant_id):
        return None
    return set(session.execute(select(SyncMember.employee_id).where(
        SyncMember.tenant_id == tenant_id, SyncMember.contact_permission.is_(True))).scalars())


def permitted(session: Session, employee: Employee) -> bool:
    """Whether ``employee`` may use what needs the customer-contact permission."""
    allowed = permitted_ids(session, employee.tenant_id)
    return allowed is None or employee.id in allowed
