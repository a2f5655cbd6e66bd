"""What happens when friends come and go through a live code: statistics rows, tags, and the code's welcome.

``friend_added`` and ``friend_deleted`` are called from the plugin's ``domain_event`` hook with the event's session;
they are idempotent by event id. Statistics are counted in SQL (one grouped query per page).
"""

from __future__ import annotations

import logging
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import Date, cast, func
from sqlmodel import Session, select

from scrm.sdk import (
    ChannelAccount,
    CustomerTag,
    DomainEvent,
    Employee,
    IdentityKind,
    Tag,
    current_zone,
    match_or_create,
    utc_offset_hours,
    utcnow,
)

from .. import timeline
from ..welcome.routing import NewFriend, WelcomeChoice, register_state_prefix
from . import service
from .models import LiveCodeFriendEvent

log = logging.getLogger(__name__)

ADD, DELETE = "add", "delete"
TAG_SOURCE = "wecom"


def _occurred_at(event: DomainEvent) -> datetime:
    return event.occurred_at or utcnow()


def _seen(session: Session, event_id: str) -> bool:
    return session.exec(select(LiveCodeFriendEvent.id).where(LiveCodeFriendEvent.event_id == event_id)).first() \
        is not None


def _last_of_pair(session: Session, tenant_id: int, userid: str, external_userid: str) -> LiveCodeFriendEvent | None:
    return session.exec(select(LiveCodeFriendEvent).where(
        LiveCodeFriendEvent.tenant_id == tenant_id, LiveCodeFriendEvent.userid == userid,
        LiveCodeFriendEvent.external_userid == external_userid)
        .order_by(LiveCodeFriendEvent.id.desc()).limit(1)).first()


def friend_added(session: Session, event: DomainEvent, account: ChannelAccount) -> list[int]:
    """Count an add through a live code (``state`` ``lc:<id>``) and give the customer the code's tags, marked by the
    employee who was added. Returns the ids of the tags newly applied (empty when the state names no code)."""
    payload = event.payload
    code = service.by_state(session, event.tenant_id, str(payload.get("state") or ""))
    if code is None or code.account_id != account.id or _seen(session, event.event_id):
        return []
    userid, external_userid = str(payload.get("userid") or ""), str(payload.get("external_userid") or "")
    customer_id = payload.get("customer_id")
    if not customer_id and external_userid:
        customer_id = match_or_create(
            session, event.tenant_id, {IdentityKind.external_userid(account.external_id): external_userid},
            name=str(payload.get("name") or ""), source=TAG_SOURCE).customer.id
    last = _last_of_pair(session, event.tenant_id, userid, external_userid)
    if last is None or last.kind != ADD or last.live_code_id != code.id:  # a half add then the add count once
        session.add(LiveCodeFriendEvent(tenant_id=event.tenant_id, live_code_id=code.id, kind=ADD, userid=userid,
                                        external_userid=external_userid, customer_id=customer_id,
                                        event_id=event.event_id, occurred_at=_occurred_at(event)))
    if not customer_id:
        return []
    employee = session.exec(select(Employee).where(Employee.tenant_id == event.tenant_id,
                                                   Employee.userid == userid)).first()
    employee_key = employee.id if employee is not None else 0
    applied, names = [], []
    for tag in service.tags_of(session, code):
        exists = session.exec(select(CustomerTag.id).where(
            CustomerTag.customer_id == customer_id, CustomerTag.tag_id == tag.id,
            CustomerTag.employee_key == employee_key)).first()
        if exists is None:
            session.add(CustomerTag(tenant_id=event.tenant_id, customer_id=customer_id, tag_id=tag.id,
                                    employee_id=employee.id if employee is not None else None,
                                    employee_key=employee_key, source=TAG_SOURCE))
            applied.append(tag.id)
            names.append(tag.name)
    timeline.write(session, event.tenant_id, customer_id if names else None, timeline.TAGGED, _occurred_at(event),
                   userid=userid, tags=names, live_code=code.name)
    session.flush()
    return applied


def wecom_tag_ids(session: Session, tenant_id: int, tag_ids: list[int]) -> list[str]:
    """The WeCom corp tag ids of those tags that are synced with WeCom (local-only tags have none)."""
    if not tag_ids:
        return []
    return [t for t in session.exec(select(Tag.external_id).where(
        Tag.tenant_id == tenant_id, Tag.id.in_(tag_ids), Tag.source == TAG_SOURCE, Tag.external_id.is_not(None)))]


def friend_deleted(session: Session, event: DomainEvent) -> bool:
    """Count the end of a friendship that began through a live code (the latest add of the same employee and
    customer). Returns True when a deletion was counted."""
    payload = event.payload
    userid, external_userid = str(payload.get("userid") or ""), str(payload.get("external_userid") or "")
    if not userid or not external_userid or _seen(session, event.event_id):
        return False
    last = _last_of_pair(session, event.tenant_id, userid, external_userid)
    if last is None or last.kind != ADD:
        return False
    session.add(LiveCodeFriendEvent(tenant_id=event.tenant_id, live_code_id=last.live_code_id, kind=DELETE,
                                    userid=userid, external_userid=external_userid, customer_id=last.customer_id,
                                    event_id=event.event_id, occurred_at=_occurred_at(event)))
    session.flush()
    return True


# -- statistics --------------------------------------------------------------------------------------------------------


def totals(session: Session, tenant_id: int, code_ids: list[int]) -> dict[int, dict[str, int]]:
    """``{code_id: {"adds", "deletions", "net"}}`` for the codes (zeros included)."""
    out = {cid: {"adds": 0, "deletions": 0, "net": 0} for cid in code_ids}
    if not code_ids:
        return out
    rows = session.exec(select(LiveCodeFriendEvent.live_code_id, LiveCodeFriendEvent.kind, func.count())
                        .where(LiveCodeFriendEvent.tenant_id == tenant_id,
                               LiveCodeFriendEvent.live_code_id.in_(code_ids))
                        .group_by(LiveCodeFriendEvent.live_code_id, LiveCodeFriendEvent.kind))
    for code_id, kind, count in rows:
        out[code_id]["adds" if kind == ADD else "deletions"] = count
    for figures in out.values():
        figures["net"] = figures["adds"] - figures["deletions"]
    return out


def _local_day(session: Session):
    column = LiveCodeFriendEvent.occurred_at
    if session.get_bind().dialect.name == "postgresql":
        return cast(func.timezone(str(current_zone()), column), Date)
    return func.date(column, f"{utc_offset_hours():+.2f} hours")  # SQLite keeps UTC text; the offset of today


def daily(session: Session, tenant_id: int, code_id: int, days: int = 30,
          today: date | None = None) -> dict[str, list[Any]]:
    """Adds and deletions per local day (tenant time zone) over the last ``days`` days, for the chart."""
    today = today or utcnow().astimezone(current_zone()).date()
    first = today - timedelta(days=days - 1)
    since = datetime.combine(first, datetime.min.time(), current_zone())
    day = _local_day(session)
    rows = session.exec(select(day, LiveCodeFriendEvent.kind, func.count())
                        .where(LiveCodeFriendEvent.tenant_id == tenant_id, LiveCodeFriendEvent.live_code_id == code_id,
                               LiveCodeFriendEvent.occurred_at >= since)
                        .group_by(day, LiveCodeFriendEvent.kind))
    counts: dict[tuple[str, str], int] = {}
    for value, kind, count in rows:
        counts[(str(value)[:10], kind)] = count
    labels = [(first + timedelta(days=i)).isoformat() for i in range(days)]
    return {"labels": labels, "adds": [counts.get((d, ADD), 0) for d in labels],
            "deletions": [counts.get((d, DELETE), 0) for d in labels]}


# -- the code's welcome comes first ----------------------------------------------------------------------------------


def resolve_welcome(session: Session, friend: NewFriend) -> WelcomeChoice | None:
    """The welcome of the live code named by ``friend.state``; None when the code has none of its own (the
    employee's welcome message applies then)."""
    code = service.by_state(session, friend.tenant_id, friend.state)
    if code is None or code.account_id != friend.account_id or not code.welcome:
        return None
    return WelcomeChoice(code.welcome, f"live_code:{code.id}")


register_state_prefix(service.STATE_PREFIX, resolve_welcome)
