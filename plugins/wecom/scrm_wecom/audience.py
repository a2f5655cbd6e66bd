"""WeCom's audience filter types (the ``audience_filters`` hook), each compiled to one SQL expression on ``customer``
(nothing loops over customers in Python), in the condition builder's "interaction" section:

* ``wecom_friend_of`` (choice of employees, several): the customer is a friend (an active follow) of any of them now;
* ``wecom_added_between`` (date range, the tenant's days, both ends inclusive): a friendship of the customer was
  (last) added within the range, whether it still holds or was lost since;
* ``wecom_live_code`` (choice of live codes): a friendship of the customer was (last) added through any of the codes
  (the follow's ``state`` is the code's), whether it still holds or not;
* ``wecom_in_group_chat`` (choice of group chats, or ``any``): the customer is a member of any of the chats now (a
  dismissed chat counts for none);
* ``wecom_friend_status`` (``friend`` / ``lost``): still a friend of some employee of the tenant, or was a friend and
  is no longer a friend of anyone (deleted, churned).

Every condition is an ``EXISTS`` keyed on the tenant: ``wecom_follow`` by (tenant, customer) for the semi-join from
customers, and by (tenant, added_at, customer) / (tenant, state, customer) / (tenant, employee, status, customer)
when the planner starts from the follows (migration ``wecom_audience_0001``); the positive conditions also give
their customer ids (``customer_ids``) so that three or more conditions are intersected from those indexes alone.
"""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from flask_babel import lazy_gettext as _l
from sqlalchemy import and_, exists, not_, or_, select
from sqlmodel import Session

from scrm.sdk import Customer, Employee, EmployeeStatus, FilterType, local_midnight, use_zone

from .groupchats.models import ChatStatus, GroupChat, GroupMember
from .livecodes.models import LiveCode
from .sync.models import Follow, FollowStatus

SECTION = "interaction"
ANY_CHAT = "any"
FRIEND, LOST = "friend", "lost"


def _ids(values: list[Any]) -> list[int]:
    """The values as ids; ``ValueError`` (the builder names the condition) for anything else."""
    ids = []
    for value in values:
        if isinstance(value, bool) or not str(value).strip().lstrip("-").isdigit():
            raise ValueError(f"'{value}' is not an id")
        ids.append(int(str(value).strip()))
    return ids


# -- friend of ------------------------------------------------------------------------------------------------------


def _friend_of_where(values: list[Any], ctx) -> list:
    return [Follow.tenant_id == ctx.tenant_id, Follow.employee_id.in_(_ids(values)),
            Follow.status == FollowStatus.ACTIVE]


def _friend_of(values: list[Any], ctx):
    return exists().where(Follow.customer_id == Customer.id, *_friend_of_where(values, ctx))


def _friend_of_ids(values: list[Any], ctx):
    return select(Follow.customer_id).where(*_friend_of_where(values, ctx))


def _employee_choices(session: Session, tenant_id: int) -> list[tuple[Any, str]]:
    rows = session.execute(select(Employee.id, Employee.name).where(
        Employee.tenant_id == tenant_id, Employee.status == EmployeeStatus.ACTIVE).order_by(Employee.name)).all()
    return [(row.id, row.name) for row in rows]


# -- added between (the tenant's days) ------------------------------------------------------------------------------


def _day(value: Any) -> date | None:
    if value in (None, ""):
        return None
    try:
        return date.fromisoformat(str(value)[:10])
    except ValueError:
        raise ValueError(f"'{value}' is not a date (YYYY-MM-DD)") from None


def _added_where(values: list[Any], ctx, tz: ZoneInfo) -> list:
    """One clause per range: ``from`` 00:00 to the day after ``to`` 00:00 (exclusive), local to the tenant."""
    ranges = []
    for value in values:
        if not isinstance(value, dict):
            raise ValueError("a date range is {'from': 'YYYY-MM-DD', 'to': 'YYYY-MM-DD'}")
        start, stop = _day(value.get("from")), _day(value.get("to"))
        if start is None and stop is None:
            raise ValueError("a date range needs 'from' or 'to'")
        if start is not None and stop is not None and start > stop:
            raise ValueError("the range starts after it ends")
        parts = [Follow.added_at.is_not(None)]
        if start is not None:
            parts.append(Follow.added_at >= local_midnight(start, tz))
        if stop is not None:
            parts.append(Follow.added_at < local_midnight(stop + timedelta(days=1), tz))
        ranges.append(and_(*parts))
    return [Follow.tenant_id == ctx.tenant_id, or_(*ranges)]


def _added_between(tz: ZoneInfo):
    def compile_(values: list[Any], ctx):
        return exists().where(Follow.customer_id == Customer.id, *_added_where(values, ctx, tz))

    def customer_ids(values: list[Any], ctx):
        return select(Follow.customer_id).where(*_added_where(values, ctx, tz))

    return compile_, customer_ids


# -- added through a live code ---------------------------------------------------------------------------------------


def _live_code_where(values: list[Any], ctx) -> list:
    states = select(LiveCode.state).where(LiveCode.tenant_id == ctx.tenant_id, LiveCode.id.in_(_ids(values)))
    return [Follow.tenant_id == ctx.tenant_id, Follow.state.in_(states.scalar_subquery())]


def _live_code(values: list[Any], ctx):
    return exists().where(Follow.customer_id == Customer.id, *_live_code_where(values, ctx))


def _live_code_ids(values: list[Any], ctx):
    return select(Follow.customer_id).where(*_live_code_where(values, ctx))


def _live_code_choices(session: Session, tenant_id: int) -> list[tuple[Any, str]]:
    rows = session.execute(select(LiveCode.id, LiveCode.name).where(LiveCode.tenant_id == tenant_id)
                           .order_by(LiveCode.name, LiveCode.id)).all()
    return [(row.id, row.name) for row in rows]


# -- in group chat ---------------------------------------------------------------------------------------------------


def _chat_where(values: list[Any], ctx) -> list:
    chats = select(GroupChat.id).where(GroupChat.tenant_id == ctx.tenant_id, GroupChat.status == ChatStatus.NORMAL)
    if not any(str(v) == ANY_CHAT for v in values):
        chats = chats.where(GroupChat.id.in_(_ids(values)))
    return [GroupMember.tenant_id == ctx.tenant_id, GroupMember.group_chat_id.in_(chats.scalar_subquery())]


def _in_chat(values: list[Any], ctx):
    return exists().where(GroupMember.customer_id == Customer.id, *_chat_where(values, ctx))


def _in_chat_ids(values: list[Any], ctx):
    return select(GroupMember.customer_id).where(GroupMember.customer_id.is_not(None), *_chat_where(values, ctx))


def _chat_choices(session: Session, tenant_id: int) -> list[tuple[Any, str]]:
    rows = session.execute(select(GroupChat.id, GroupChat.name).where(
        GroupChat.tenant_id == tenant_id, GroupChat.status == ChatStatus.NORMAL)
        .order_by(GroupChat.name, GroupChat.id)).all()
    return [(ANY_CHAT, _l("Any group chat")),
            *((row.id, row.name or _l("Unnamed group chat")) for row in rows)]


# -- still a friend or lost -------------------------------------------------------------------------------------------


def _friend_status(values: list[Any], ctx):
    wanted = {str(v) for v in values}
    unknown = wanted - {FRIEND, LOST}
    if unknown:
        raise ValueError(f"'{sorted(unknown)[0]}' is neither 'friend' nor 'lost'")
    active = exists().where(Follow.tenant_id == ctx.tenant_id, Follow.customer_id == Customer.id,
                            Follow.status == FollowStatus.ACTIVE)
    ever = exists().where(Follow.tenant_id == ctx.tenant_id, Follow.customer_id == Customer.id)
    clauses = []
    if FRIEND in wanted:
        clauses.append(active)
    if LOST in wanted:
        clauses.append(and_(ever, not_(active)))
    return or_(*clauses)


def _status_choices(session: Session, tenant_id: int) -> list[tuple[Any, str]]:
    return [(FRIEND, _l("Still a WeCom friend")), (LOST, _l("Lost (no longer a friend)"))]


def filter_types(tenant) -> list[FilterType]:
    """The WeCom filter types for ``tenant`` (its time zone fixes the days of "added between")."""
    with use_zone(getattr(tenant, "timezone", None)) as tz:  # the tenant's zone (Asia/Shanghai when unset or unknown)
        added, added_ids = _added_between(tz)
    return [
        FilterType("wecom_friend_of", _l("WeCom friend of"), _friend_of, "choice", SECTION,
                   choices=_employee_choices, plugin="wecom", customer_ids=_friend_of_ids),
        FilterType("wecom_added_between", _l("WeCom friend added between"), added, "date_range", SECTION,
                   plugin="wecom", customer_ids=added_ids),
        FilterType("wecom_live_code", _l("Added through live code"), _live_code, "choice", SECTION,
                   choices=_live_code_choices, plugin="wecom", customer_ids=_live_code_ids),
        FilterType("wecom_in_group_chat", _l("In WeCom group chat"), _in_chat, "choice", SECTION,
                   choices=_chat_choices, plugin="wecom", customer_ids=_in_chat_ids),
        FilterType("wecom_friend_status", _l("WeCom friendship"), _friend_status, "choice", SECTION,
                   choices=_status_choices, plugin="wecom"),
    ]
