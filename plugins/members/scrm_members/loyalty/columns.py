"""What the members plugin shows in other plugins' customer lists (the ``customer_columns`` hook): member type,
member level (with its validity) and current lifecycle stage, read for one page of customers at a time."""

from __future__ import annotations

from collections.abc import Iterable

from flask_babel import lazy_gettext as _l
from sqlalchemy import select
from sqlmodel import Session

from scrm.sdk import Customer, CustomerColumn

from .levels import CHUNK, held_levels
from .models import Stage, StageMembership


def _chunks(ids: list[int]) -> Iterable[list[int]]:
    for start in range(0, len(ids), CHUNK):
        yield ids[start:start + CHUNK]


def member_types(session: Session, tenant_id: int, ids: list[int]) -> dict[int, str]:
    member, other = str(_l("Member")), str(_l("Non-member"))
    out: dict[int, str] = {}
    for part in _chunks(ids):
        rows = session.execute(select(Customer.id, Customer.is_member).where(
            Customer.tenant_id == tenant_id, Customer.id.in_(part))).all()
        out.update({customer_id: member if is_member else other for customer_id, is_member in rows})
    return out


def level_texts(session: Session, tenant_id: int, ids: list[int]) -> dict[int, str]:
    out = {}
    for customer_id, held in held_levels(session, tenant_id, ids).items():
        out[customer_id] = held.name if held.permanent else str(
            _l("%(level)s (until %(day)s)", level=held.name, day=held.valid_until.isoformat()))
    return out


def current_stages(session: Session, tenant_id: int, ids: list[int]) -> dict[int, str]:
    out: dict[int, str] = {}
    for part in _chunks(ids):
        rows = session.execute(select(StageMembership.customer_id, Stage.name).join(
            Stage, Stage.id == StageMembership.stage_id).where(
            StageMembership.tenant_id == tenant_id, StageMembership.customer_id.in_(part),
            StageMembership.left_at.is_(None))).all()
        out.update(dict(rows))
    return out


def customer_columns(tenant, customer_ids, session) -> list[CustomerColumn]:
    ids = list(dict.fromkeys(int(i) for i in customer_ids if i is not None))
    # the columns come for an empty page too, so a list's header does not depend on its rows
    return [CustomerColumn("member_type", str(_l("Member type")), member_types(session, tenant.id, ids), order=10),
            CustomerColumn("member_level", str(_l("Member level")), level_texts(session, tenant.id, ids), order=20),
            CustomerColumn("stage", str(_l("Current stage")), current_stages(session, tenant.id, ids), order=30)]
