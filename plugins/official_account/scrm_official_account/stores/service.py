"""Stores linked to official accounts (spec D.1): a company admin links a store (a department of the org tree) to
an account, its own or one shared with other stores. A link cannot be undone: linking a linked store again is
refused, and the model refuses any update or delete of a link (a department or account deleted with it takes its
links along, in the database)."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import event, func, select
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session

from scrm.sdk import ChannelAccount, Department, utcnow

from ..fans.models import Fan
from .models import StoreLink


class StoreLinkError(ValueError):
    """``str(exc)``: already_linked, unknown_store, unknown_account, permanent."""


@event.listens_for(StoreLink, "before_update")
def _no_update(_mapper, _connection, _target) -> None:
    raise StoreLinkError("permanent")


@event.listens_for(StoreLink, "before_delete")
def _no_delete(_mapper, _connection, _target) -> None:
    raise StoreLinkError("permanent")


def link_store(session: Session, tenant_id: int, department_id: int, account: ChannelAccount,
               linked_by: str = "") -> StoreLink:
    department = session.get(Department, department_id)
    if department is None or department.tenant_id != tenant_id:
        raise StoreLinkError("unknown_store")
    if account.tenant_id != tenant_id or account.plugin != "official_account":
        raise StoreLinkError("unknown_account")
    if session.execute(select(StoreLink.id).where(StoreLink.tenant_id == tenant_id,
                                                  StoreLink.department_id == department_id)).first():
        raise StoreLinkError("already_linked")
    link = StoreLink(tenant_id=tenant_id, account_id=account.id, department_id=department_id,
                     linked_by=linked_by[:200], linked_at=utcnow())
    try:
        with session.begin_nested():
            session.add(link)
    except IntegrityError:
        raise StoreLinkError("already_linked") from None
    return link


@dataclass
class StoreRow:
    department: Department
    link: StoreLink | None
    account: ChannelAccount | None
    shared_with: int  # other stores on the same account
    followers: int


def store_rows(session: Session, tenant_id: int) -> list[StoreRow]:
    departments = list(session.execute(select(Department).where(Department.tenant_id == tenant_id)
                                       .order_by(Department.order, Department.name)).scalars())
    links = {link.department_id: link for link in session.execute(select(StoreLink).where(
        StoreLink.tenant_id == tenant_id)).scalars()}
    per_account: dict[int, int] = {}
    for link in links.values():
        per_account[link.account_id] = per_account.get(link.account_id, 0) + 1
    accounts = {a.id: a for a in session.execute(select(ChannelAccount).where(
        ChannelAccount.tenant_id == tenant_id, ChannelAccount.plugin == "official_account")).scalars()}
    followers = dict(session.execute(select(Fan.account_id, func.count()).where(
        Fan.tenant_id == tenant_id, Fan.subscribed.is_(True)).group_by(Fan.account_id)).all())
    rows = []
    for department in departments:
        link = links.get(department.id)
        account = accounts.get(link.account_id) if link else None
        rows.append(StoreRow(department, link, account, (per_account.get(link.account_id, 1) - 1) if link else 0,
                             followers.get(link.account_id, 0) if link else 0))
    return rows


def account_of_store(session: Session, tenant_id: int, department_id: int) -> int | None:
    row = session.execute(select(StoreLink.account_id).where(StoreLink.tenant_id == tenant_id,
                                                             StoreLink.department_id == department_id)).first()
    return row[0] if row else None
