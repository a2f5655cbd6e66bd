"""The set-based form of the bulk outbound path: the ledger rows of a chunk written by one INSERT ... SELECT.

``plan_bulk_send`` reads each chunk into Python and writes it back; ``plan_bulk_set`` never moves a recipient through
Python. Per chunk, in one transaction:

1. the chunk's bounds: the next ``chunk_size`` customers of the audience query after the cursor (keyset on the
   customer id), or the next part of a list of recipients (sent as one ``VALUES`` list);
2. one ``INSERT INTO message_delivery ... SELECT`` from the audience: exclusions as SQL (each plugin's
   ``customer_exclusion_query``, in decision order, the first objection's reason kept), the daily cap as a count of
   the customer's ledger rows today, the message and task of the recipient's *variant* (e.g. one per billed segment
   class), an optional *budget* (a running sum of the variants' weights: the rows past it are left out), and
   ``ON CONFLICT (tenant_id, idempotency_key) DO NOTHING``: the key is ``<key_prefix>:<customer id or address>``,
   one per (task, recipient), so a chunk planned again after a crash writes nothing twice;
3. plugins that answer exclusions only through the per-customer or batch hooks are asked for the chunk's queued
   customers, and the rows they refuse are moved to ``skipped`` in the same transaction;
4. the caller's ``on_chunk(session, chunk)`` (its cursor, progress, quota), then the commit, then the chunk's send
   jobs handed to the broker in one round trip, one job per ``jobs.BATCH`` rows (``send_deliveries``; a refusal
   leaves the rows to the relay, as with ``plan_bulk_send``).

Resuming: call it again with the caller's cursor as ``after`` (committed with the chunk by ``on_chunk``); without a
cursor, a query-driven plan continues after the highest customer id written under ``key_prefix``'s tasks.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from itertools import islice
from typing import Any

from sqlalchemy import (
    BigInteger,
    Integer,
    Select,
    String,
    Text,
    and_,
    bindparam,
    case,
    cast,
    column,
    func,
    literal,
    null,
    table,
    text,
    true,
    update,
)
from sqlalchemy import select as sa_select
from sqlmodel import Session

from ..models import ChannelAccount, DeliveryStatus, MessageDelivery, Tenant
from ..timeutil import utcnow, zone
from . import caps
from .exclusion import exclusion_reasons
from .message import OutboundMessage
from .sending import CAPPED, EXCLUDED, _platform, channel_of, check_capability, load_account

#: recipients per chunk of a query-driven plan (one INSERT ... SELECT each)
SET_CHUNK = 10_000
#: recipients per chunk of a list (one VALUES list each: four parameters a recipient)
LIST_CHUNK = 2_000

_T = MessageDelivery.__table__


@dataclass(frozen=True)
class Variant:
    """One message of a bulk plan: the task it is ledgered under, the message, and its ``weight`` against the
    plan's budget (an SMS: its billed segments)."""

    task_ref: str
    message: OutboundMessage
    weight: int = 1


@dataclass
class PlannedChunk:
    """One committed chunk: ``read`` recipients of the audience (``last``: the highest customer id read, for a
    query; for a list, the position after the chunk), the rows it wrote as (id, status, customer id, recipient,
    variant), and how many it read but did not write (``unwritten``: planned before by a run that stopped, or left
    out past the budget)."""

    read: int = 0
    last: int | None = None
    rows: list[tuple[int, DeliveryStatus, int | None, str, int]] = field(default_factory=list)
    unwritten: int = 0

    def weight(self, variants: Mapping[int, Variant], *, status: DeliveryStatus | None = None) -> int:
        """Σ weight of the rows written (of one ``status`` only, when given)."""
        return sum(variants[v].weight for _, s, _, _, v in self.rows if status is None or s == status)


@dataclass
class SetPlan:
    """What one ``plan_bulk_set`` call did: rows written queued or skipped, recipients read but not written
    (``unwritten``: planned before, or past the budget), jobs the broker took, chunks committed, recipients read,
    the cursor after the last chunk (``last``) and whether the audience is exhausted."""

    queued: int = 0
    skipped: int = 0
    unwritten: int = 0
    enqueued: int = 0
    chunks: int = 0
    read: int = 0
    last: int | None = None
    exhausted: bool = False


def exclusion_sources(hooks: Any, session: Session, tenant: Any, purpose: str) -> tuple[list[Select], list[str]]:
    """The tenant's exclusion decision for ``purpose`` in SQL: the queries of the plugins answering
    ``customer_exclusion_query`` (decision order), and the plugins that answer only through the other forms."""
    queries: list[Select] = []
    hook_only: list[str] = []
    with_query = set(hooks.subscribers("customer_exclusion_query"))
    for plugin in reversed(hooks.subscribers("customer_exclusion_reason")):  # pluggy: last registered asked first
        if plugin not in with_query:
            hook_only.append(plugin)
            continue
        query = hooks.contribute_by_plugin("customer_exclusion_query", plugin, tenant=tenant, purpose=purpose,
                                           session=session)
        if query is not None:
            queries.append(query)
    return queries, hook_only


def plan_bulk_set(session: Session, tenant_id: int, *, account: ChannelAccount | int, purpose: str,
                  audience: Select | Iterable[tuple[int | None, str, int]], variants: Mapping[int, Variant],
                  key_prefix: str, kind: str = "mass", chunk_size: int | None = None, after: int | None = None,
                  limit: int | None = None, budget: int | None = None,
                  on_chunk: Callable[[Session, PlannedChunk], None] | None = None) -> SetPlan:
    """Plan a message to every recipient of ``audience`` through ``account``, set-based (module documentation).

    ``audience``: a query whose first three columns are the customer id, the address and the variant key (an
    integer of ``variants``; ``literal(0)`` for a single message), paged by customer id ascending after ``after``;
    or an iterable of (customer id or None, address, variant key), consumed lazily (``after`` then counts the
    items to skip). ``limit`` stops after about that many recipients (whole chunks). ``budget``: the most weight
    the rows may carry in total (rows past it are left out). Commits once per
    chunk: call it from a job. Refuses an unsupported message kind before writing anything."""
    platform = _platform()
    account_row = load_account(session, tenant_id, account)
    plugin = channel_of(platform, account_row)
    for variant in variants.values():
        check_capability(plugin, variant.message.kind)
    dialect = session.get_bind().dialect.name
    tenant = session.get(Tenant, tenant_id)
    cap = caps.daily_cap(session, tenant_id, purpose, account_row.plugin)
    span = caps.today(zone(tenant.timezone))
    plan = SetPlan()
    is_query = isinstance(audience, Select)
    if is_query:
        if after is None:
            after = _last_planned(session, tenant_id, variants)
        sources = _query_chunks(session, audience, after, chunk_size or SET_CHUNK)
    else:
        sources = _list_chunks(session, audience, after or 0, min(chunk_size or LIST_CHUNK, LIST_CHUNK))
    remaining = budget
    for source, read, last in sources:
        chunk = PlannedChunk(read=read, last=last)
        hooks = platform.hooks(session, tenant)
        queries, hook_only = exclusion_sources(hooks, session, tenant, purpose)
        now = utcnow()
        statement = _insert(dialect, source, tenant_id=tenant_id, account=account_row, purpose=purpose, kind=kind,
                            variants=variants, key_prefix=key_prefix, exclusions=queries, cap=cap, span=span,
                            now=now, budget=remaining)
        chunk.rows = [(i, DeliveryStatus(s) if not isinstance(s, DeliveryStatus) else s, c, r, int(v))
                      for i, s, c, r, v in session.execute(statement).all()]
        if hook_only:
            _apply_hook_exclusions(session, hooks, tenant, purpose, hook_only, chunk)
        chunk.unwritten = read - len(chunk.rows)
        if remaining is not None:
            remaining -= chunk.weight(variants)
        if on_chunk is not None:
            on_chunk(session, chunk)
        session.commit()
        plan.chunks += 1
        plan.read += read
        plan.last = last
        queued = [row_id for row_id, status, *_ in chunk.rows if status == DeliveryStatus.QUEUED]
        plan.queued += len(queued)
        plan.skipped += len(chunk.rows) - len(queued)
        plan.unwritten += chunk.unwritten
        if queued:
            from .jobs import BATCH, enqueue_deliveries

            plan.enqueued += enqueue_deliveries(session.get_bind(), queued, dict.fromkeys(queued, tenant_id),
                                                stamped=True, account_ids=dict.fromkeys(queued, account_row.id),
                                                batch=BATCH)
        if limit is not None and plan.read >= limit:
            return plan
    plan.exhausted = True
    return plan


# -- the chunks -------------------------------------------------------------------------------------------------------


def _last_planned(session: Session, tenant_id: int, variants: Mapping[int, Variant]) -> int | None:
    refs = sorted({v.task_ref for v in variants.values()})
    return session.execute(sa_select(func.max(_T.c.customer_id)).where(
        _T.c.tenant_id == tenant_id, _T.c.task_ref.in_(refs))).scalar()


def _query_chunks(session: Session, audience: Select, after: int | None, size: int) -> Iterator:
    """(source, read, last id) per chunk: the audience rows with customer ids in (previous last, last]."""
    inner = audience.subquery("audience")
    key, address, variant = list(inner.c)[:3]
    last = after
    while True:
        page = sa_select(key).where(true() if last is None else key > last).order_by(key).limit(size).subquery()
        top, read = session.execute(sa_select(func.max(page.c[0]), func.count())).one()
        if not read:
            return
        lower = true() if last is None else key > last
        source = sa_select(key.label("customer_id"), address.label("address"), variant.label("variant"),
                           key.label("position")).where(lower, key <= top).subquery("src")
        yield source, int(read), int(top)
        last = int(top)


def _list_chunks(session: Session, recipients: Iterable[tuple[int | None, str, int]], skip: int,
                size: int) -> Iterator:
    """(source, read, position after the chunk) per chunk of a list: PostgreSQL reads the chunk as arrays through
    ``unnest`` (one short statement the driver prepares once); SQLite from a temporary table filled by executemany."""
    iterator = islice(iter(recipients), skip, None)
    position = skip
    postgres = session.get_bind().dialect.name == "postgresql"
    while chunk := list(islice(iterator, size)):
        rows = [(cid, str(address)[:128], int(variant), position + n) for n, (cid, address, variant)
                in enumerate(chunk, 1)]
        position += len(chunk)
        if postgres:
            from sqlalchemy.dialects.postgresql import ARRAY

            columns = list(zip(*rows, strict=True))
            source = func.unnest(*[cast(bindparam(name, list(data)), ARRAY(kind)) for name, data, kind in zip(
                ("customer_ids", "addresses", "variants", "positions"), columns,
                (BigInteger, Text, Integer, BigInteger), strict=True)]).table_valued(
                "customer_id", "address", "variant", "position").render_derived(name="src")
        else:
            session.execute(text("CREATE TEMP TABLE IF NOT EXISTS scrm_plan_source (customer_id INTEGER, "
                                 "address TEXT, variant INTEGER, position INTEGER)"))
            session.execute(text("DELETE FROM scrm_plan_source"))
            session.execute(text("INSERT INTO scrm_plan_source VALUES (:c, :a, :v, :p)"),
                            [{"c": c, "a": a, "v": v, "p": n} for c, a, v, n in rows])
            source = table("scrm_plan_source", column("customer_id", BigInteger), column("address", String),
                           column("variant", Integer), column("position", BigInteger)).alias("src")
        yield source, len(chunk), position


# -- the statement ----------------------------------------------------------------------------------------------------


def _json(value: dict, dialect: str):
    text = literal(json.dumps(value, ensure_ascii=False), String)
    return cast(text, _T.c.message.type) if dialect == "postgresql" else text


def _by_variant(src, variants: Mapping[int, Variant], pick: Callable[[Variant], Any]):
    items = sorted(variants.items())
    if len(items) == 1:
        return pick(items[0][1])
    return case(*[(src.c.variant == key, pick(v)) for key, v in items[:-1]], else_=pick(items[-1][1]))


def _insert(dialect: str, source, *, tenant_id: int, account: ChannelAccount, purpose: str, kind: str,
            variants: Mapping[int, Variant], key_prefix: str, exclusions: list[Select], cap: int | None, span,
            now, budget: int | None):
    src = source
    if budget is not None:  # the running weight in the audience's order; the rows past the budget are left out
        weight = _by_variant(src, variants, lambda v: literal(int(v.weight), Integer))
        ranked = sa_select(src, func.sum(weight).over(order_by=src.c.position).label("running")).subquery("ranked")
        src = ranked
    reasons = []
    for query in exclusions:
        q = query.subquery()
        reasons.append(sa_select(cast(list(q.c)[1], String)).where(list(q.c)[0] == src.c.customer_id)
                       .limit(1).scalar_subquery())
    judged_columns = [src.c.customer_id, src.c.address, src.c.variant]
    if reasons:
        judged_columns.append((func.coalesce(*reasons, null()) if len(reasons) > 1 else reasons[0]).label("reason"))
    if cap is not None:
        prior = _T.alias("prior")
        judged_columns.append(sa_select(func.count()).where(
            prior.c.tenant_id == tenant_id, prior.c.purpose == purpose, prior.c.channel == account.plugin,
            prior.c.created_at >= span.start, prior.c.created_at < span.end, prior.c.status.in_(caps.COUNTED),
            prior.c.customer_id == src.c.customer_id).scalar_subquery().label("prior_count"))
    # each recipient's exclusion and cap looked up once (OFFSET 0 keeps PostgreSQL from copying the lookups into
    # every CASE below)
    judged = sa_select(*judged_columns).where(true() if budget is None else src.c.running <= budget).offset(0) \
        .subquery("judged")
    src = judged
    skipped = []
    if reasons:
        skipped.append((and_(src.c.customer_id.is_not(None), src.c.reason.is_not(None)), EXCLUDED, src.c.reason))
    if cap is not None:
        skipped.append((and_(src.c.customer_id.is_not(None), src.c.prior_count >= cap), CAPPED,
                        cast(src.c.prior_count, String)
                        + literal(f" of {cap} '{purpose}' messages on {account.plugin} today")))
    status_type = _T.c.status.type
    queued_name, skipped_name = DeliveryStatus.QUEUED.name, DeliveryStatus.SKIPPED.name
    if skipped:
        status = case(*[(cond, literal(skipped_name)) for cond, _, _ in skipped], else_=literal(queued_name))
        code = case(*[(cond, literal(c)) for cond, c, _ in skipped], else_=null())
        error = case(*[(cond, func.substr(r, 1, 500)) for cond, _, r in skipped], else_=null())
        enqueued = case(*[(cond, null()) for cond, _, _ in skipped], else_=literal(now, _T.c.enqueued_at.type))
    else:
        status, code, error = literal(queued_name), null(), null()
        enqueued = literal(now, _T.c.enqueued_at.type)
    who = func.coalesce(cast(src.c.customer_id, String), src.c.address)
    rows = sa_select(
        literal(tenant_id), literal(account.plugin), literal(account.id), src.c.customer_id,
        func.substr(src.c.address, 1, 128), literal(kind),
        _by_variant(src, variants, lambda v: literal(v.task_ref)),
        func.substr(literal(f"{key_prefix}:") + who, 1, 120),
        cast(status, status_type), code, error, literal(purpose),
        _by_variant(src, variants, lambda v: _json(v.message.to_json(), dialect)),
        literal(0), literal(now, _T.c.created_at.type), enqueued,
    ).select_from(src).where(true())
    columns = ["tenant_id", "channel", "account_id", "customer_id", "recipient", "kind", "task_ref",
               "idempotency_key", "status", "error_code", "error", "purpose", "message", "attempts", "created_at",
               "enqueued_at"]
    if dialect == "postgresql":
        from sqlalchemy.dialects.postgresql import insert
    else:
        from sqlalchemy.dialects.sqlite import insert
    return insert(_T).from_select(columns, rows).on_conflict_do_nothing(
        index_elements=["tenant_id", "idempotency_key"]).returning(
        _T.c.id, _T.c.status, _T.c.customer_id, _T.c.recipient, _variant_key(variants))


def _variant_key(variants: Mapping[int, Variant]):
    """The variant of a returned row, from its task ref."""
    items = sorted(variants.items())
    if len({v.task_ref for _, v in items}) == 1:
        return literal(items[0][0], Integer)
    return case(*[(_T.c.task_ref == v.task_ref, literal(k, Integer)) for k, v in items], else_=literal(-1, Integer))


def _apply_hook_exclusions(session: Session, hooks: Any, tenant: Any, purpose: str, plugins: list[str],
                           chunk: PlannedChunk) -> None:
    """Ask the plugins without a SQL form about the chunk's queued customers; skip the rows they refuse."""
    queued = {cid: row_id for row_id, status, cid, _, _ in chunk.rows
              if status == DeliveryStatus.QUEUED and cid is not None}
    if not queued:
        return
    refused = exclusion_reasons(hooks, session, tenant, list(queued), purpose, only=plugins)
    if not refused:
        return
    for cid, reason in refused.items():
        session.execute(update(_T).where(_T.c.id == queued[cid]).values(
            status=DeliveryStatus.SKIPPED, error_code=EXCLUDED, error=str(reason)[:500], enqueued_at=None))
    chunk.rows = [(i, DeliveryStatus.SKIPPED if c in refused and i == queued.get(c) else s, c, r, v)
                  for i, s, c, r, v in chunk.rows]
