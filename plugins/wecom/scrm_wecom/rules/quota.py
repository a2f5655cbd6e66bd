"""Frequency caps of mass messages, read from the core delivery ledger (``message_delivery``).

Conventions for the rows a WeCom mass send records (channel ``wecom``, one row per customer and sending employee):

* ``kind`` is :attr:`MassKind.ENTERPRISE` (``mass``) for the enterprise's mass messages and
  :attr:`MassKind.PERSONAL` (``mass_personal``) for an employee's own;
* ``task_ref`` names the send. Every row of one enterprise send carries the same ``task_ref``, so a customer who is
  a friend of several employees counts once per send. A personal send is one employee's: its rows carry
  :func:`personal_task_ref` (``<task>@<sender userid>``), so the daily cap can be read per sender.

Queued, sent and delivered rows count; failed and skipped rows do not. Natural days, weeks (Monday to Sunday) and
months are the tenant's time zone (Asia/Shanghai by default). Everything is counted in SQL, a grouped query per chunk of customers.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, datetime, timedelta
from enum import StrEnum

from sqlalchemy import and_, case, func, select
from sqlmodel import Session

from scrm.sdk import DeliveryStatus, MessageDelivery, current_zone

from .settings import limits

CHANNEL = "wecom"
CHUNK = 900
COUNTED = (DeliveryStatus.QUEUED, DeliveryStatus.SENT, DeliveryStatus.DELIVERED)


class MassKind(StrEnum):
    ENTERPRISE = "mass"
    PERSONAL = "mass_personal"


def personal_task_ref(task: str, sender_userid: str) -> str:
    """The ``task_ref`` of a personal mass send's rows: the task and the sending employee's WeCom userid."""
    return f"{task}@{sender_userid}"[:80]


def day_window(now: datetime) -> tuple[datetime, datetime]:
    local = now.astimezone(current_zone())
    start = local.replace(hour=0, minute=0, second=0, microsecond=0)
    return start, start + timedelta(days=1)


def week_window(now: datetime) -> tuple[datetime, datetime]:
    start, _end = day_window(now)
    start -= timedelta(days=start.weekday())
    return start, start + timedelta(days=7)


def month_window(now: datetime) -> tuple[datetime, datetime]:
    start = day_window(now)[0].replace(day=1)
    return start, (start + timedelta(days=32)).replace(day=1)


def _escape_like(value: str) -> str:
    return value.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def _counts(session: Session, tenant_id: int, customer_ids: list[int], kind: MassKind,
            windows: list[tuple[datetime, datetime]], sender_userid: str | None) -> dict[int, list[int]]:
    """customer id → sends counted in each window (distinct ``task_ref``, else the row's own key)."""
    ledger = MessageDelivery.__table__.c
    windows = [(low.astimezone(UTC), high.astimezone(UTC)) for low, high in windows]
    send = func.coalesce(ledger.task_ref, ledger.idempotency_key)
    start, end = min(w[0] for w in windows), max(w[1] for w in windows)
    columns = [func.count(func.distinct(case((and_(ledger.created_at >= low, ledger.created_at < high), send))))
               for low, high in windows]
    found: dict[int, list[int]] = {}
    for index in range(0, len(customer_ids), CHUNK):
        chunk = customer_ids[index:index + CHUNK]
        query = (select(ledger.customer_id, *columns)
                 .where(ledger.tenant_id == tenant_id, ledger.channel == CHANNEL, ledger.kind == kind.value,
                        ledger.customer_id.in_(chunk), ledger.status.in_([s.value for s in COUNTED]),
                        ledger.created_at >= start, ledger.created_at < end)
                 .group_by(ledger.customer_id))
        if sender_userid:
            query = query.where(ledger.task_ref.like(f"%@{_escape_like(sender_userid)}", escape="\\"))
        for customer_id, *counts in session.execute(query):
            found[customer_id] = [int(c) for c in counts]
    return found


def mass_quota_left(session: Session, tenant_id: int, customer_ids: Iterable[int], kind: MassKind | str,
                    now: datetime, *, sender_userid: str | None = None) -> dict[int, int]:
    """How many more mass messages of ``kind`` each customer may get in the periods around ``now``.

    Enterprise: the smaller of what the natural week and the natural month leave. Personal: what the natural day
    leaves, from ``sender_userid`` when given (otherwise from all employees together). 0 means "do not send"."""
    kind = MassKind(kind)
    ids = sorted({int(c) for c in customer_ids})
    rules = limits(session, tenant_id)
    if kind is MassKind.ENTERPRISE:
        windows = [week_window(now), month_window(now)]
        caps = [rules.enterprise_mass_per_week, rules.enterprise_mass_per_month]
    else:
        windows, caps = [day_window(now)], [rules.personal_mass_per_day]
    counts = _counts(session, tenant_id, ids, kind, windows, sender_userid) if ids else {}
    zero = [0] * len(caps)
    return {cid: max(0, min(cap - used for cap, used in zip(caps, counts.get(cid, zero), strict=True)))
            for cid in ids}
