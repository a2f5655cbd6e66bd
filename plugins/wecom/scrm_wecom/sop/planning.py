"""Turning triggers into tasks: one task per node of a rule for each customer (or group) the trigger fired for.

A task is due ``day_offset`` days, ``hour`` hours and ``minute`` minutes after its anchor (the moment the trigger
fired: the friend add, the tag or stage change, the group join, the binding of a group; the tenant's midnight of a
birthday; the scheduled time of a fixed schedule). Tasks are inserted with ``ON CONFLICT DO NOTHING`` on their
``dedupe`` key (rule, revision, node, subject and anchor), so a redelivered event or a planner that runs twice writes
each task once. Tasks due before the rule was last switched on are not planned (a rule never sends to-dos for the
past it was paused through).

Customer rules apply to the customers of their executing employees: the task goes to the customer's owner when
the owner executes the rule, otherwise to the executing employee the customer added first (one to-do per customer
and node). Group rules apply to their bound groups; the task goes to the group's owner.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import func
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlmodel import Session, select

from scrm.sdk import Customer, local_datetime, local_midnight, local_now, local_today, utcnow

from ..groupchats.models import GroupChat
from ..sync.models import Follow, FollowStatus
from .models import RuleKind, RuleStatus, SopBinding, SopNode, SopRule, SopTask, Trigger

#: a subject: (customer id, group chat id, employee id)
Subject = tuple[int | None, int | None, int | None]


def due_at(anchor: datetime, node: SopNode) -> datetime:
    return anchor + timedelta(days=node.day_offset, hours=node.hour, minutes=node.minute)


def nodes_of(session: Session, rule: SopRule) -> list[SopNode]:
    return list(session.exec(select(SopNode).where(SopNode.rule_id == rule.id, SopNode.position >= 0).order_by(SopNode.position)))


def _insert(session: Session, rows: list[dict[str, Any]]) -> int:
    if not rows:
        return 0
    dialect = session.get_bind().dialect.name
    insert = postgresql_insert if dialect == "postgresql" else sqlite_insert
    table = SopTask.__table__
    inserted = 0
    for start in range(0, len(rows), 1000):
        statement = insert(table).values(rows[start:start + 1000]).on_conflict_do_nothing(
            index_elements=["tenant_id", "dedupe"]).returning(table.c.id)
        inserted += len(session.execute(statement).all())
    return inserted


def plan(session: Session, rule: SopRule, subjects: Iterable[Subject], anchor: datetime, anchor_key: str,
         nodes: Sequence[SopNode] | None = None) -> int:
    """Write the tasks of every node of ``rule`` for ``subjects`` anchored at ``anchor`` (naive UTC); returns how
    many were new."""
    return plan_anchored(session, rule, ((subject, anchor, anchor_key) for subject in subjects), nodes)


def plan_anchored(session: Session, rule: SopRule, items: Iterable[tuple[Subject, datetime, str]],
                  nodes: Sequence[SopNode] | None = None) -> int:
    """:func:`plan` with an anchor (and its key) per subject: ``items`` are ``(subject, anchor, anchor_key)``."""
    if rule.status != RuleStatus.ON:
        return 0
    nodes = list(nodes) if nodes is not None else nodes_of(session, rule)
    not_before = rule.updated_at - timedelta(seconds=1)
    now = utcnow()
    rows = []
    for (customer_id, group_id, employee_id), anchor, anchor_key in items:
        subject = f"c{customer_id}" if customer_id is not None else f"g{group_id}"
        for node in nodes:
            due = due_at(anchor, node)
            if due < not_before:
                continue
            rows.append({"tenant_id": rule.tenant_id, "rule_id": rule.id, "node_id": node.id,
                         "revision": rule.revision, "customer_id": customer_id, "group_chat_id": group_id,
                         "employee_id": employee_id, "anchor_at": anchor, "due_at": due, "status": "pending",
                         "sent_by": "", "created_at": now,
                         "dedupe": f"{rule.id}.{rule.revision}.{node.id}.{subject}.{anchor_key}"[:120]})
    return _insert(session, rows)


def active_rules(session: Session, tenant_id: int, kind: str, trigger: str) -> list[SopRule]:
    return list(session.exec(select(SopRule).where(SopRule.tenant_id == tenant_id, SopRule.kind == kind,
                                                   SopRule.trigger == trigger, SopRule.status == RuleStatus.ON)))


def executors(session: Session, rule: SopRule, customer_ids: Sequence[int]) -> dict[int, int]:
    """customer id → the executing employee who gets the to-do, for the customers of ``customer_ids`` that have
    one (the owner when executing, else the executing employee added first)."""
    employees = [int(e) for e in rule.employee_ids or []]
    if not employees or not customer_ids:
        return {}
    chosen: dict[int, int] = {}
    owners = session.exec(select(Customer.id, Customer.owner_employee_id).where(
        Customer.tenant_id == rule.tenant_id, Customer.id.in_(list(customer_ids)),
        Customer.owner_employee_id.in_(employees))).all()
    chosen.update({c: e for c, e in owners})
    friends = session.exec(select(Follow.customer_id, Follow.employee_id).where(
        Follow.tenant_id == rule.tenant_id, Follow.customer_id.in_(list(customer_ids)),
        Follow.employee_id.in_(employees), Follow.status == FollowStatus.ACTIVE).order_by(Follow.added_at)).all()
    for customer_id, employee_id in friends:
        chosen.setdefault(customer_id, employee_id)
    return chosen


def plan_customers(session: Session, tenant_id: int, trigger: str, customer_ids: Sequence[int], anchor: datetime,
                   anchor_key: str, match=lambda rule: True, employee_id: int | None = None) -> int:
    """Plan every ON customer rule of ``trigger`` (that ``match`` accepts) for ``customer_ids``; with
    ``employee_id`` (a friend add) only rules that employee executes, the to-do going to them."""
    planned = 0
    for rule in active_rules(session, tenant_id, RuleKind.CUSTOMER, trigger):
        if not match(rule):
            continue
        if employee_id is not None:
            if employee_id not in {int(e) for e in rule.employee_ids or []}:
                continue
            chosen = {c: employee_id for c in customer_ids}
        else:
            chosen = executors(session, rule, customer_ids)
        planned += plan(session, rule, [(c, None, e) for c, e in chosen.items()], anchor, anchor_key)
    return planned


def plan_binding(session: Session, rule: SopRule, binding: SopBinding) -> int:
    owner = session.exec(select(GroupChat.owner_employee_id).where(GroupChat.id == binding.group_chat_id)).first()
    # the key holds day 0, so a restarted cycle or a group moved back to a rule is planned again
    return plan(session, rule, [(None, binding.group_chat_id, owner)], binding.joined_at,
                f"b{binding.id}.{binding.joined_at:%Y%m%d%H%M%S%f}")


# -- the periodic triggers: a date field and a fixed schedule ---------------------------------------------------------

def _customers_of(session: Session, rule: SopRule):
    employees = [int(e) for e in rule.employee_ids or []] or [0]
    owned = select(Customer.id).where(Customer.tenant_id == rule.tenant_id, Customer.merged_into_id.is_(None),
                                      Customer.owner_employee_id.in_(employees))
    friends = select(Follow.customer_id).where(Follow.tenant_id == rule.tenant_id, Follow.employee_id.in_(employees),
                                               Follow.status == FollowStatus.ACTIVE)
    return owned.union(friends)


def _plan_customer_query(session: Session, rule: SopRule, query, anchor: datetime, anchor_key: str) -> int:
    nodes = nodes_of(session, rule)
    ids = [row[0] for row in session.execute(query)]
    planned = 0
    for start in range(0, len(ids), 1000):
        chunk = ids[start:start + 1000]
        chosen = executors(session, rule, chunk)
        planned += plan(session, rule, [(c, None, e) for c, e in chosen.items()], anchor, anchor_key, nodes)
    return planned


def plan_birthdays(session: Session, rule: SopRule) -> int:
    """Customers of the rule whose birthday (``attributes.birthday``, ``YYYY-MM-DD``) is today in the tenant's time
    zone; the anchor is today's midnight there."""
    today = local_today()
    field = str((rule.params or {}).get("field") or "birthday")
    birthday = Customer.attributes[field].as_string()
    people = _customers_of(session, rule).subquery()
    query = select(Customer.id).where(Customer.tenant_id == rule.tenant_id, Customer.id.in_(select(people.c[0])),
                                      func.substr(birthday, 6, 5) == today.strftime("%m-%d"))
    return _plan_customer_query(session, rule, query, local_midnight(today), f"d{today.isoformat()}")


def schedule_occurrence(rule: SopRule, now_local: datetime) -> datetime | None:
    """The latest occurrence (tenant-local, naive) of a fixed schedule at or before ``now_local``, or None."""
    params = rule.params or {}
    try:
        start = datetime.fromisoformat(str(params.get("start")))
    except ValueError:
        return None
    every = int(params.get("every_days") or 0)
    now_local = now_local.replace(tzinfo=None)
    if start > now_local:
        return None
    if every <= 0:
        return start
    steps = (now_local - start) // timedelta(days=every)
    return start + timedelta(days=every * steps)


def plan_schedule(session: Session, rule: SopRule) -> int:
    occurrence = schedule_occurrence(rule, local_now())
    if occurrence is None:
        return 0
    anchor = local_datetime(occurrence.date(), occurrence.time())
    key = f"s{occurrence:%Y%m%d%H%M}"
    if rule.kind == RuleKind.GROUP:
        rows = session.exec(select(SopBinding.group_chat_id, GroupChat.owner_employee_id).join(
            GroupChat, GroupChat.id == SopBinding.group_chat_id).where(SopBinding.rule_id == rule.id)).all()
        return plan(session, rule, [(None, g, e) for g, e in rows], anchor, key)
    return _plan_customer_query(session, rule, _customers_of(session, rule), anchor, key)


def plan_periodic(session: Session, tenant_id: int) -> int:
    """Plan the date-field and fixed-schedule rules of the tenant (each once per occurrence)."""
    planned = 0
    rules = session.exec(select(SopRule).where(SopRule.tenant_id == tenant_id, SopRule.status == RuleStatus.ON,
                                               SopRule.trigger.in_([Trigger.DATE_FIELD, Trigger.SCHEDULE])))
    for rule in list(rules):
        if rule.trigger == Trigger.DATE_FIELD:
            marker = local_today().isoformat()
            if (rule.params or {}).get("planned_day") == marker:
                continue
            planned += plan_birthdays(session, rule)
            rule.params = {**(rule.params or {}), "planned_day": marker}
            session.add(rule)
        else:
            planned += plan_schedule(session, rule)
    return planned
