"""Who a mass send reaches, in set-based SQL: the audience, one sending employee per target, the frequency limits.

Customer sends (spec 4.4): the audience is the members' condition tree (tags, segment, owners, added between,
genders) compiled by the platform (``compile_audience``); each customer is reached through **one** active WeCom
friendship of an active employee: the owner's when the owner is a friend, otherwise the oldest friendship (rule 6:
a customer who is a friend of several employees gets the message once). Group sends (spec 4.5): the tenant's live
group chats, narrowed by owner, the owner's department (sub-departments included), group tags and name.

Limits (spec 4.4 rules 2, 3, §C; ``rules.limits``): a customer who already had ``enterprise_mass_per_day`` enterprise
mass messages today, ``enterprise_mass_per_week`` this natural week or ``enterprise_mass_per_month`` this natural
month is left out (status ``limit``); a chat likewise by ``group_mass_per_day`` / ``group_mass_per_month``. The
counts are the ledger rows of kind ``mass`` / ``mass_group`` still counted (queued, sent, delivered; distinct
``task_ref``: one send counts once), as ``rules.mass_quota_left`` reads them, in one grouped query joined to the
candidates. Exclusions (purpose ``mass_send``) are SQL too for the plugins that answer ``customer_exclusion_query``
(the members blacklist); plugins without it are asked for the candidate ids in batches
(``customer_exclusion_reasons``).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy import and_, case, exists, func, or_, select
from sqlalchemy.sql import Select
from sqlmodel import Session

from scrm.sdk import (
    AudienceError,
    Customer,
    DeliveryStatus,
    Employee,
    EmployeeStatus,
    MessageDelivery,
    Tenant,
    compile_audience,
    current_bus,
    department_subtree,
)

from ..groupchats.models import ChatStatus, GroupChat, GroupChatTag
from ..rules.quota import day_window, month_window, week_window
from ..rules.settings import Limits, limits
from ..sync.models import Follow, FollowStatus

CHANNEL = "wecom"
KIND_SINGLE = "mass"  # the kind rules.quota reads for enterprise mass messages to customers
KIND_GROUP = "mass_group"
PURPOSE = "mass_send"
COUNTED = (DeliveryStatus.QUEUED.value, DeliveryStatus.SENT.value, DeliveryStatus.DELIVERED.value)
EXCLUSION_BATCH = 5000
_L = MessageDelivery.__table__.c


def task_ref(task_id: int) -> str:
    """The ``task_ref`` of every ledger row of one send (a customer counts once per send)."""
    return f"wecom_mass:{task_id}"


# -- audiences -------------------------------------------------------------------------------------------------------


def filter_types(session: Session, tenant: Tenant):
    return current_bus().platform.hooks(session, tenant).contribute("audience_filters", tenant=tenant)


def _ints(values: Any) -> list[int]:
    return sorted({int(v) for v in values or [] if str(v).strip().isdigit()})


def customer_tree(audience: dict[str, Any]) -> dict[str, Any]:
    """The condition tree of a customer audience (no condition: every customer)."""
    conditions: list[dict[str, Any]] = []
    if tags := _ints(audience.get("tag_ids")):
        conditions.append({"type": "tag", "values": tags})
    if audience.get("segment_id"):
        conditions.append({"type": "segment", "values": [int(audience["segment_id"])]})
    if owners := _ints(audience.get("owner_ids")):
        conditions.append({"type": "owner", "values": owners})
    if audience.get("added_from") or audience.get("added_to"):
        conditions.append({"type": "wecom_added_between",
                           "values": [{"from": audience.get("added_from") or "", "to": audience.get("added_to") or ""}]})
    genders = [int(g) for g in audience.get("genders") or [] if str(g) in ("0", "1", "2")]
    if genders:
        conditions.append({"type": "gender", "values": sorted(set(genders))})
    return {"conditions": conditions}


def customer_audience(session: Session, tenant: Tenant, audience: dict[str, Any]) -> Select:
    """``SELECT customer.id`` of the audience; ``AudienceError`` for a condition the tenant cannot use."""
    return compile_audience(tenant.id, customer_tree(audience), filter_types(session, tenant))


def customer_candidates(session: Session, tenant: Tenant, audience: dict[str, Any]) -> Select:
    """(customer_id, employee_id, account_id, userid, target) of every audience customer with a WeCom friend: one
    row per customer, through the owner when the owner is a friend, else the oldest friendship."""
    ids = customer_audience(session, tenant, audience)
    preferred = case((Follow.employee_id == Customer.owner_employee_id, 0), else_=1)
    rank = func.row_number().over(partition_by=Follow.customer_id, order_by=(preferred, Follow.id)).label("rank")
    ranked = (select(Follow.customer_id.label("customer_id"), Follow.employee_id.label("employee_id"),
                     Follow.account_id.label("account_id"), Follow.userid.label("userid"),
                     Follow.external_userid.label("target"), rank)
              .join(Customer, Customer.id == Follow.customer_id)
              .join(Employee, Employee.id == Follow.employee_id)
              .where(Follow.tenant_id == tenant.id, Follow.status == FollowStatus.ACTIVE,
                     Employee.status == EmployeeStatus.ACTIVE, Follow.customer_id.in_(ids))).subquery()
    return select(ranked.c.customer_id, ranked.c.employee_id, ranked.c.account_id, ranked.c.userid,
                  ranked.c.target).where(ranked.c.rank == 1)


def group_candidates(session: Session, tenant_id: int, audience: dict[str, Any]) -> Select:
    """(group_chat_id, employee_id, account_id, userid, target) of the live chats the group filters match (owners
    OR-ed, departments OR-ed, tags OR-ed; the kinds AND-ed), owned by an active employee."""
    where = [GroupChat.tenant_id == tenant_id, GroupChat.status == ChatStatus.NORMAL,
             Employee.status == EmployeeStatus.ACTIVE]
    if owners := _ints(audience.get("owner_ids")):
        where.append(GroupChat.owner_employee_id.in_(owners))
    if departments := _ints(audience.get("department_ids")):
        subtree: set[int] = set()
        for department in departments:
            subtree |= department_subtree(session, tenant_id, department)
        where.append(Employee.department_id.in_(sorted(subtree)))
    if tags := _ints(audience.get("group_tag_ids")):
        where.append(exists().where(GroupChatTag.group_chat_id == GroupChat.id, GroupChatTag.tenant_id == tenant_id,
                                    GroupChatTag.tag_id.in_(tags)))
    if name := str(audience.get("name") or "").strip():
        where.append(GroupChat.name.contains(name, autoescape=True))
    return (select(GroupChat.id.label("group_chat_id"), GroupChat.owner_employee_id.label("employee_id"),
                   GroupChat.account_id.label("account_id"), GroupChat.owner_userid.label("userid"),
                   GroupChat.chat_id.label("target"))
            .join(Employee, Employee.id == GroupChat.owner_employee_id).where(*where))


# -- limits ----------------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Windows:
    """The natural day, week and month (tenant zone) around ``now``, as UTC bounds."""

    day: tuple[datetime, datetime]
    week: tuple[datetime, datetime]
    month: tuple[datetime, datetime]

    @classmethod
    def around(cls, now: datetime) -> Windows:
        def utc(window):
            return tuple(moment.astimezone(UTC) for moment in window)

        moment = now if now.tzinfo else now.replace(tzinfo=UTC)
        return cls(utc(day_window(moment)), utc(week_window(moment)), utc(month_window(moment)))


def _caps(rules: Limits, chat_type: str, windows: Windows) -> list[tuple[tuple[datetime, datetime], int]]:
    if chat_type == "group":
        return [(windows.day, rules.group_mass_per_day), (windows.month, rules.group_mass_per_month)]
    return [(windows.day, rules.enterprise_mass_per_day), (windows.week, rules.enterprise_mass_per_week),
            (windows.month, rules.enterprise_mass_per_month)]


def received_counts(tenant_id: int, chat_type: str, windows: Windows, rules: Limits):
    """A subquery (key, c0, c1[, c2]): enterprise mass messages each customer (by id) or chat (by chat id) got in
    each limited window, counted once per send."""
    caps = _caps(rules, chat_type, windows)
    send = func.coalesce(_L.task_ref, _L.idempotency_key)
    key = _L.recipient if chat_type == "group" else _L.customer_id
    columns = [func.count(func.distinct(case((and_(_L.created_at >= low, _L.created_at < high), send))))
               .label(f"c{index}") for index, ((low, high), _cap) in enumerate(caps)]
    start = min(low for (low, _high), _cap in caps)
    end = max(high for (_low, high), _cap in caps)
    return (select(key.label("key"), *columns)
            .where(_L.tenant_id == tenant_id, _L.channel == CHANNEL,
                   _L.kind == (KIND_GROUP if chat_type == "group" else KIND_SINGLE),
                   _L.status.in_(COUNTED), _L.created_at >= start, _L.created_at < end, key.is_not(None))
            .group_by(key)).subquery("received")


def with_limits(candidates: Select, tenant_id: int, chat_type: str, now: datetime, rules: Limits) -> Select:
    """``candidates`` plus ``over_limit`` (1 when the target already had its share in any window)."""
    windows = Windows.around(now)
    caps = _caps(rules, chat_type, windows)
    received = received_counts(tenant_id, chat_type, windows, rules)
    base = candidates.subquery("candidate")
    key = base.c.target if chat_type == "group" else base.c.customer_id
    over = or_(*[func.coalesce(received.c[f"c{index}"], 0) >= cap for index, (_window, cap) in enumerate(caps)])
    return (select(*base.c, case((over, 1), else_=0).label("over_limit"))
            .select_from(base.outerjoin(received, received.c.key == key)))


def exclusion_queries(session: Session, tenant: Tenant) -> tuple[list[Select], set[str]]:
    """The set form of the exclusion decision: the ``customer_exclusion_query`` answers (``SELECT customer_id,
    reason``) of the plugins that implement it, and those plugins (their other forms give the same answers, so they
    are not asked again)."""
    hooks = current_bus().platform.hooks(session, tenant)
    asked = set(hooks.subscribers("customer_exclusion_query"))
    queries = []
    for plugin in sorted(asked):
        query = hooks.contribute_by_plugin("customer_exclusion_query", plugin, tenant=tenant, purpose=PURPOSE,
                                           session=session)
        if query is not None:
            queries.append(query)
    return queries, asked


def excluded_by_queries(column, queries: list[Select]):
    """``column`` (a customer id) is among the customers the exclusion queries name."""
    return or_(*[column.in_(select(query.subquery().c[0])) for query in queries])


def other_exclusion_plugins(session: Session, tenant: Tenant, asked: set[str]) -> list[str]:
    hooks = current_bus().platform.hooks(session, tenant)
    return [p for p in hooks.subscribers("customer_exclusion_reason") if p not in asked]


def excluded_customers(session: Session, tenant: Tenant, customer_ids: list[int],
                       skip: set[str] = frozenset()) -> dict[int, str]:
    """{customer id: reason} of the customers another plugin keeps out of mass sends, asked in batches through
    ``customer_exclusion_reasons`` (and ``customer_exclusion_reason`` for plugins without the batched form); the
    plugins in ``skip`` (answered in SQL by :func:`exclusion_queries`) are not asked."""
    hooks = current_bus().platform.hooks(session, tenant)
    batched = set(hooks.subscribers("customer_exclusion_reasons"))
    reasons: dict[int, str] = {}
    for plugin in reversed(hooks.subscribers("customer_exclusion_reason")):
        if plugin in skip:
            continue
        for index in range(0, len(customer_ids), EXCLUSION_BATCH):
            chunk = [cid for cid in customer_ids[index:index + EXCLUSION_BATCH] if cid not in reasons]
            if not chunk:
                continue
            if plugin in batched:
                answer = hooks.contribute_by_plugin("customer_exclusion_reasons", plugin, tenant=tenant,
                                                    customer_ids=chunk, purpose=PURPOSE, session=session) or {}
            else:
                answer = {cid: hooks.contribute_by_plugin("customer_exclusion_reason", plugin, tenant=tenant,
                                                          customer_id=cid, purpose=PURPOSE, session=session)
                          for cid in chunk}
            reasons.update({int(cid): str(reason) for cid, reason in answer.items() if reason})
    return reasons


# -- preview ---------------------------------------------------------------------------------------------------------


@dataclass
class Preview:
    """What the confirm page shows: matched targets, those left out and why, the employees who get a task."""

    matched: int = 0
    reachable: int = 0
    no_friend: int = 0
    over_limit: int = 0
    excluded: int = 0
    employees: int = 0

    @property
    def sendable(self) -> int:
        return self.reachable - self.over_limit - self.excluded


def candidates_of(session: Session, tenant: Tenant, chat_type: str, audience: dict[str, Any]) -> Select:
    if chat_type == "group":
        return group_candidates(session, tenant.id, audience)
    return customer_candidates(session, tenant, audience)


def preview(session: Session, tenant: Tenant, chat_type: str, audience: dict[str, Any], now: datetime) -> Preview:
    """Count what a send of ``audience`` would do now (nothing written)."""
    rules = limits(session, tenant.id)
    planned = with_limits(candidates_of(session, tenant, chat_type, audience), tenant.id, chat_type, now,
                          rules).subquery()
    out = Preview()
    if chat_type == "group":
        rows = session.execute(select(planned.c.over_limit, func.count(), func.count(func.distinct(
            planned.c.userid))).group_by(planned.c.over_limit)).all()
        out.matched = sum(r[1] for r in rows)
    else:
        out.matched = int(session.execute(select(func.count()).select_from(
            customer_audience(session, tenant, audience).subquery())).scalar_one())
        rows = session.execute(select(planned.c.over_limit, func.count(), func.count(func.distinct(
            planned.c.userid))).group_by(planned.c.over_limit)).all()
    out.reachable = sum(r[1] for r in rows)
    out.over_limit = sum(r[1] for r in rows if r[0])
    out.no_friend = out.matched - out.reachable
    open_rows = [planned.c.over_limit == 0]
    if chat_type != "group" and out.reachable - out.over_limit:
        queries, asked = exclusion_queries(session, tenant)
        if queries:
            by_sql = excluded_by_queries(planned.c.customer_id, queries)
            out.excluded = int(session.execute(select(func.count()).where(*open_rows, by_sql)).scalar_one())
            open_rows.append(~by_sql)
        if other_exclusion_plugins(session, tenant, asked):
            ids = list(session.execute(select(planned.c.customer_id).where(*open_rows)).scalars())
            excluded = set(excluded_customers(session, tenant, ids, skip=asked))
            out.excluded += len(excluded)
            if excluded:
                senders = {row[0] for row in session.execute(select(planned.c.userid, planned.c.customer_id).where(
                    *open_rows)) if row[1] not in excluded}
                out.employees = len(senders)
                return out
    out.employees = int(session.execute(select(func.count(func.distinct(planned.c.userid))).where(
        *open_rows)).scalar_one())
    return out


def validate_audience(session: Session, tenant: Tenant, chat_type: str, audience: dict[str, Any]) -> str | None:
    """A translated reason the audience cannot be compiled (a condition of a disabled plugin ...), or None."""
    if chat_type == "group":
        return None
    try:
        customer_audience(session, tenant, audience)
    except AudienceError as exc:
        return str(exc)
    return None


def parse_day(value: Any) -> date | None:
    try:
        return date.fromisoformat(str(value)[:10]) if value else None
    except ValueError:
        return None


