"""Triggers from domain events (the plugin's ``domain_event`` hook, after the sync recorded the follow relation):

* ``wecom.friend_added`` → rules "added as friend" that the employee executes;
* ``customer.tags_changed`` with added tags → rules "tag added" of one of those tags;
* ``members.stage_changed`` → rules "stage entered" of the new stage;
* ``wecom.group_member_joined`` (customers) → rules "joined a group".

The anchor is the event's time; the event id is part of each task's key, so a redelivered event plans nothing twice.
"""

from __future__ import annotations

from datetime import UTC, datetime

from sqlmodel import Session, select

from scrm.sdk import DomainEvent, EventTypes, utcnow

from ..sync.models import Follow
from .models import Trigger
from .planning import plan_customers

FRIEND_ADDED = "wecom.friend_added"
STAGE_CHANGED = "members.stage_changed"
GROUP_JOINED = "wecom.group_member_joined"
EVENT_TYPES = frozenset({FRIEND_ADDED, EventTypes.TAGS_CHANGED, STAGE_CHANGED, GROUP_JOINED})


def _anchor(event: DomainEvent) -> datetime:
    created = event.payload.get("create_time")
    if isinstance(created, int) and created > 0:
        return datetime.fromtimestamp(created, UTC)
    when = event.occurred_at or utcnow()
    return when if when.tzinfo else when.replace(tzinfo=UTC)


def _ints(values) -> list[int]:
    out = []
    for value in values or []:
        try:
            out.append(int(value))
        except (TypeError, ValueError):
            continue
    return out


def on_domain_event(event: DomainEvent, session: Session) -> None:
    payload, tenant_id, key = event.payload, event.tenant_id, f"e{event.event_id}"
    if event.type == FRIEND_ADDED:
        follow = session.exec(select(Follow).where(
            Follow.tenant_id == tenant_id, Follow.account_id == int(payload.get("account_id") or 0),
            Follow.external_userid == str(payload.get("external_userid") or ""),
            Follow.userid == str(payload.get("userid") or ""))).first()
        if follow is not None and follow.employee_id is not None:
            plan_customers(session, tenant_id, Trigger.FRIEND_ADDED, [follow.customer_id], _anchor(event), key,
                           employee_id=follow.employee_id)
    elif event.type == EventTypes.TAGS_CHANGED:
        added = set(_ints(payload.get("added_tag_ids")))
        customers = _ints(payload.get("customer_ids"))
        if added and customers:
            plan_customers(session, tenant_id, Trigger.TAG_ADDED, customers, _anchor(event), key,
                           match=lambda rule: (rule.params or {}).get("tag_id") in added)
    elif event.type == STAGE_CHANGED:
        stage, customer = payload.get("to_stage_id"), payload.get("customer_id")
        if stage is not None and customer is not None:
            plan_customers(session, tenant_id, Trigger.STAGE_ENTERED, _ints([customer]), _anchor(event), key,
                           match=lambda rule: (rule.params or {}).get("stage_id") == stage)
    elif event.type == GROUP_JOINED:
        customers = _ints(m.get("customer_id") for m in payload.get("members") or [] if isinstance(m, dict))
        if customers:
            plan_customers(session, tenant_id, Trigger.JOINED_GROUP, customers, _anchor(event), key)
