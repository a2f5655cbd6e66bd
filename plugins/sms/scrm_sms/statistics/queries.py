"""推送统计: the numbers of the push-statistics page, per category (marketing / notification).

* **Summary**: 剩余短信 (remaining), 已发送 (sent) and 已购买 (purchased) billed messages of the category, read from
  the quota (``scrm_sms.quota.service.balance``).
* **Push records**: one record per bulk send of the category that started, by push time (the tenant's days), newest
  first: 总发送量 (billed messages the provider accepted) and 成功到达量 (billed messages delivered): the send's
  counters, settled from the delivery ledger by the bulk dispatcher (``scrm_sms.bulk.service.settle``), so the
  push records and the bulk list never disagree and a page reads no ledger row.
* **Daily chart**: the records of the range summed per local day (sent vs delivered).
* **Success details** (成功明细): the ledger rows of one push delivered to the phone (status delivered or read):
  phone, customer name, send time; keyset pages by ledger id, and the same rows for the CSV / XLSX export.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from sqlalchemy import select
from sqlmodel import Session

from scrm.sdk import Customer, DeliveryStatus, MessageDelivery, local, local_today

from ..bulk import service as bulk_service
from ..bulk.models import SmsBulkSend

PAGE_SIZE = 10
DETAIL_PAGE = 50
EXPORT_BATCH = 2000
DELIVERED = (DeliveryStatus.DELIVERED.value, DeliveryStatus.READ.value)
_D = MessageDelivery


@dataclass
class Summary:
    category: str
    remaining: int = 0
    sent: int = 0
    purchased: int = 0


def summary(session: Session, tenant_id: int, category: str) -> Summary:
    from ..quota import service as quota

    balance = quota.balance(session, tenant_id, category)
    return Summary(category, balance.available, balance.sent, balance.purchased)


@dataclass
class PushRecord:
    bulk: SmsBulkSend
    pushed_at: datetime
    sent: int
    delivered: int
    failed: int
    pending: int


@dataclass
class Records:
    rows: list[PushRecord]
    total: int
    page: int
    pages: int
    days: list[date] = field(default_factory=list)
    sent_by_day: list[int] = field(default_factory=list)
    delivered_by_day: list[int] = field(default_factory=list)


def _pushes(tenant_id: int, category: str, start: datetime | None, end: datetime | None):
    query = select(SmsBulkSend).where(SmsBulkSend.tenant_id == tenant_id, SmsBulkSend.category == category,
                                      SmsBulkSend.started_at.is_not(None))
    if start is not None:
        query = query.where(SmsBulkSend.started_at >= start)
    if end is not None:
        query = query.where(SmsBulkSend.started_at < end)
    return query


def record_of(session: Session, bulk: SmsBulkSend) -> PushRecord:
    """The push's figures: the send's own counters, which the bulk dispatcher settles from the ledger (one GROUP BY
    on the task index every few seconds while it sends and every minute for a while after, as delivery reports
    arrive), so a page of records costs no ledger scan however large the pushes."""
    return PushRecord(bulk, bulk.started_at or bulk.created_at, bulk.sent_count, bulk.delivered_count,
                      bulk.failed_count, bulk.pending_count)


def records(session: Session, tenant_id: int, category: str, start: datetime | None, end: datetime | None,
            page: int = 1, chart_from: date | None = None, chart_to: date | None = None) -> Records:
    """The push records of ``category`` started within [start, end) (UTC bounds of the tenant's days), a page of
    ``PAGE_SIZE``, and per-day sums over every record of the range for the chart (``chart_from``..``chart_to``)."""
    pushes = list(session.execute(_pushes(tenant_id, category, start, end)
                                  .order_by(SmsBulkSend.started_at.desc(), SmsBulkSend.id.desc())).scalars())
    total = len(pushes)
    pages = max(1, -(-total // PAGE_SIZE))
    page = min(max(1, page), pages)
    all_records = [record_of(session, bulk) for bulk in pushes]
    chart_to = chart_to or local_today()
    chart_from = chart_from or (chart_to - timedelta(days=29))
    days = [chart_from + timedelta(days=i) for i in range((chart_to - chart_from).days + 1)][:400]
    index = {d: i for i, d in enumerate(days)}
    sent, delivered = [0] * len(days), [0] * len(days)
    for record in all_records:
        i = index.get(local(record.pushed_at).date())
        if i is not None:
            sent[i] += record.sent
            delivered[i] += record.delivered
    rows = all_records[(page - 1) * PAGE_SIZE: page * PAGE_SIZE]
    return Records(rows, total, page, pages, days, sent, delivered)


def push(session: Session, tenant_id: int, bulk_id: int) -> SmsBulkSend | None:
    bulk = session.get(SmsBulkSend, bulk_id)
    return bulk if bulk is not None and bulk.tenant_id == tenant_id else None


def _refs(bulk: SmsBulkSend) -> list[str]:
    """The send's task refs: one per segment class (``sms_bulk:<id>:<segments>``), every class a message of at most
    494 characters plus signature, suffix and variables can take."""
    classes = {int(k) for k in (bulk.classes or {}) if str(k).isdigit()}
    return [bulk_service.task_ref(bulk.id, seg) for seg in sorted(classes | set(range(1, 13)))]


def _delivered_query(bulk: SmsBulkSend):
    return (select(_D.id, _D.recipient, Customer.name, _D.sent_at, _D.delivered_at, _D.created_at)
            .select_from(_D).outerjoin(Customer, Customer.id == _D.customer_id)
            .where(_D.tenant_id == bulk.tenant_id, _D.task_ref.in_(_refs(bulk)), _D.status.in_(DELIVERED)))


@dataclass
class Detail:
    id: int
    phone: str
    customer_name: str
    sent_at: datetime | None


def _detail(row) -> Detail:
    return Detail(row[0], row[1] or "", row[2] or "", row[3] or row[4] or row[5])


def details(session: Session, bulk: SmsBulkSend, after: int | None = None,
            limit: int = DETAIL_PAGE) -> tuple[list[Detail], int | None]:
    """A page of the push's delivered recipients (oldest ledger id first) and the cursor of the next page."""
    query = _delivered_query(bulk)
    if after is not None:
        query = query.where(_D.id > after)
    rows = [_detail(r) for r in session.execute(query.order_by(_D.id).limit(limit + 1))]
    more = len(rows) > limit
    rows = rows[:limit]
    return rows, (rows[-1].id if more and rows else None)


def iter_details(session: Session, bulk: SmsBulkSend, batch: int = EXPORT_BATCH) -> Iterator[Detail]:
    """Every delivered recipient of the push in batches by ledger id (no cursor held across a streamed answer)."""
    after = None
    while True:
        rows, _next = details(session, bulk, after, batch)
        if not rows:
            break
        yield from rows
        if len(rows) < batch:
            break
        after = rows[-1].id
