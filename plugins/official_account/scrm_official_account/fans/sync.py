"""Follower sync: ``user/get`` pages (10,000 openids, cursor ``next_openid``) read through ``user/info/batchget``
(100 users a call) and applied a page at a time with a handful of bulk statements, never a per-row ORM object.

One-ID, as ``match_or_create`` does it but in bulk: a fan is matched by ``unionid`` first, then by its
``openid@<appid>`` identity; a fan matching neither becomes a customer (source ``official_account``) holding both
identities. An identity already held by another customer is never taken from it (a merge reconciles them). One
``official_account.fans_synced`` event per page names the customers created or linked.

A run is resumable: after each page is committed the run keeps the ``next_openid`` that follows it, so a run whose
worker died continues from the last page applied (``resume``). When the walk ends, followers the account no longer
lists were missed unfollows: they are marked unsubscribed.
"""

from __future__ import annotations

import json
import logging
import re
from collections import deque
from collections.abc import Iterable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import and_, insert, select, text, update
from sqlmodel import Session

from scrm.sdk import ChannelAccount, Customer, CustomerIdentity, IdentityKind, publish, utcnow

from .models import Fan, FanSyncRun

log = logging.getLogger(__name__)

PAGE = 10_000  # user/get: openids per page (the API's maximum)
INFO_BATCH = 100  # user/info/batchget: users per call (the API's maximum; 40032 beyond)
CHUNK = 900  # bound parameters per IN list (SQLite's historical limit is 999)
SOURCE = "official_account"
FETCH_THREADS = 4  # concurrent batchget calls while the previous page is written
APPLY_THREADS = 2  # PostgreSQL: pages written at once, each on its own connection (1.6x one connection, measured)
SYNCED_EVENT = "official_account.fans_synced"
STALE_AFTER = timedelta(minutes=10)  # a running run without a heartbeat this long is resumable
QUEUED, RUNNING, DONE, FAILED = "queued", "running", "done", "failed"
FAN, CUSTOMER, IDENTITY = Fan.__table__, Customer.__table__, CustomerIdentity.__table__
UPDATE_COLUMNS = ("unionid", "subscribed", "subscribe_time", "subscribe_scene", "qr_scene", "qr_scene_str",
                  "remark", "language", "tagid_list", "nickname", "avatar", "sex", "country", "province", "city",
                  "synced_at", "updated_at", "customer_id")


def _chunks(values: Sequence[Any]) -> Iterable[Sequence[Any]]:
    for start in range(0, len(values), CHUNK):
        yield values[start:start + CHUNK]


def epoch(value: Any) -> datetime | None:
    try:
        seconds = int(value)
    except (TypeError, ValueError):
        return None
    return datetime.fromtimestamp(seconds, UTC) if seconds > 0 else None


def fan_values(info: Mapping[str, Any], now: datetime) -> dict[str, Any]:
    """The fan columns of one ``user/info`` answer (the API no longer gives nickname, avatar, sex or region to new
    callers; when it does, they are kept)."""
    subscribed = int(info.get("subscribe") or 0) == 1
    qr_scene = info.get("qr_scene")
    try:
        qr_scene = int(qr_scene) if qr_scene not in (None, "", 0, "0") else None
    except (TypeError, ValueError):
        qr_scene = None
    tags = [int(t) for t in info.get("tagid_list") or [] if str(t).lstrip("-").isdigit()]
    return {
        "openid": str(info["openid"])[:64],
        "unionid": (str(info.get("unionid") or "")[:64] or None),
        "subscribed": subscribed,
        "subscribe_time": epoch(info.get("subscribe_time")) if subscribed else None,
        "subscribe_scene": str(info.get("subscribe_scene") or "")[:40],
        "qr_scene": qr_scene,
        "qr_scene_str": str(info.get("qr_scene_str") or "")[:64],
        "remark": str(info.get("remark") or "")[:30],
        "language": str(info.get("language") or "")[:20],
        "tagid_list": tags,
        "nickname": str(info.get("nickname") or "")[:100],
        "avatar": str(info.get("headimgurl") or "")[:500],
        "sex": int(info.get("sex") or 0) if str(info.get("sex") or "0").isdigit() else 0,
        "country": str(info.get("country") or "")[:40],
        "province": str(info.get("province") or "")[:40],
        "city": str(info.get("city") or "")[:40],
        "synced_at": now,
        "updated_at": now,
    }


@dataclass
class FanResult:
    fans: int = 0
    fans_created: int = 0
    customers_created: int = 0
    customers_linked: int = 0
    unsubscribed: int = 0
    created_ids: list[int] = field(default_factory=list)
    linked_ids: list[int] = field(default_factory=list)

    def as_dict(self) -> dict[str, int]:
        return {k: v for k, v in vars(self).items() if isinstance(v, int)}

    def add(self, other: FanResult) -> None:
        for name, value in other.as_dict().items():
            setattr(self, name, getattr(self, name) + value)


def _upsert(session: Session):
    """The dialect's INSERT .. ON CONFLICT (PostgreSQL and SQLite both have it)."""
    if session.get_bind().dialect.name == "postgresql":
        from sqlalchemy.dialects.postgresql import insert as dialect_insert
    else:
        from sqlalchemy.dialects.sqlite import insert as dialect_insert
    return dialect_insert


class FanApplier:
    """Applies ``user/info`` answers of one account in bulk (flushes, never commits)."""

    def __init__(self, session: Session, account: ChannelAccount) -> None:
        self.session, self.account = session, account
        self.tenant_id, self.appid, self.account_id = account.tenant_id, account.external_id, account.id
        self.openid_kind = IdentityKind.openid(self.appid)

    def _postgres(self) -> bool:
        return self.session.get_bind().dialect.name == "postgresql"

    def _identities(self, kind: str, values: Sequence[str]) -> dict[str, int]:
        found: dict[str, int] = {}
        if self._postgres() and values:  # one lookup driven by the page's values (an index probe each)
            found.update(self.session.execute(text(
                "SELECT i.value, i.customer_id FROM unnest(CAST(:values AS varchar[])) AS x(v) "
                "JOIN customer_identity i ON i.tenant_id = :tenant AND i.kind = :kind AND i.value = x.v"),
                {"values": list(values), "tenant": self.tenant_id, "kind": kind}).all())
            return found
        for chunk in _chunks(list(values)):
            found.update(self.session.execute(select(CustomerIdentity.value, CustomerIdentity.customer_id).where(
                CustomerIdentity.tenant_id == self.tenant_id, CustomerIdentity.kind == kind,
                CustomerIdentity.value.in_(chunk))).all())
        return found

    def _existing(self, openids: Sequence[str]) -> dict[str, int | None]:
        found: dict[str, int | None] = {}
        if self._postgres() and openids:
            found.update(self.session.execute(text(
                "SELECT f.openid, f.customer_id FROM unnest(CAST(:values AS varchar[])) AS x(v) "
                "JOIN official_account_fan f ON f.account_id = :account AND f.openid = x.v"),
                {"values": list(openids), "account": self.account_id}).all())
            return found
        for chunk in _chunks(list(openids)):
            found.update(self.session.execute(select(Fan.openid, Fan.customer_id).where(
                Fan.account_id == self.account_id, Fan.openid.in_(chunk))).all())
        return found

    def _resolve(self, rows: list[dict[str, Any]], existing: Mapping[str, int | None], result: FanResult) -> None:
        """Set ``customer_id`` on every row: the fan's customer, a match by unionid then openid, or a new one."""
        pending = [r for r in rows if existing.get(r["openid"]) is None]
        for row in rows:
            if existing.get(row["openid"]) is not None:
                row["customer_id"] = existing[row["openid"]]
        if not pending:
            return
        by_union = self._identities(IdentityKind.UNIONID, [r["unionid"] for r in pending if r["unionid"]])
        by_openid = self._identities(self.openid_kind, [r["openid"] for r in pending])
        now = utcnow()
        links: list[dict[str, Any]] = []
        new: list[dict[str, Any]] = []
        for row in pending:
            cy = by_union.get(row["unionid"]) if row["unionid"] else None
            cx = by_openid.get(row["openid"])
            if cx is None and cy is None:
                new.append(row)
                continue
            row["customer_id"] = cy if cy is not None else cx
            if cx is None:
                links.append({"customer_id": cy, "kind": self.openid_kind, "value": row["openid"]})
            elif cy is None and row["unionid"] and row["unionid"] not in by_union:
                links.append({"customer_id": cx, "kind": IdentityKind.UNIONID, "value": row["unionid"]})
                by_union[row["unionid"]] = cx
            result.customers_linked += 1
            result.linked_ids.append(row["customer_id"])
        # two fans of one page sharing a unionid (cannot happen in one account, kept safe): the first creates
        seen_union: dict[str, dict[str, Any]] = {}
        creating: list[dict[str, Any]] = []
        for row in new:
            if row["unionid"] and row["unionid"] in seen_union:
                row["_same_as"] = seen_union[row["unionid"]]
                continue
            if row["unionid"]:
                seen_union[row["unionid"]] = row
            creating.append(row)
        if creating:
            customers = [{"tenant_id": self.tenant_id, "name": row["nickname"], "avatar": row["avatar"] or None,
                          "gender": row["sex"], "source": SOURCE, "is_member": False, "attributes": {},
                          "created_at": now, "updated_at": now} for row in creating]
            ids = self._insert_customers(customers)
            for row, customer_id in zip(creating, ids, strict=True):
                row["customer_id"] = customer_id
                links.append({"customer_id": customer_id, "kind": self.openid_kind, "value": row["openid"]})
                if row["unionid"]:
                    links.append({"customer_id": customer_id, "kind": IdentityKind.UNIONID, "value": row["unionid"]})
            result.customers_created += len(ids)
            result.created_ids.extend(ids)
        for row in new:
            if "_same_as" in row:
                row["customer_id"] = row.pop("_same_as")["customer_id"]
                links.append({"customer_id": row["customer_id"], "kind": self.openid_kind, "value": row["openid"]})
        rows = [{"tenant_id": self.tenant_id, "created_at": now, **link} for link in links]
        if rows and self._postgres():
            copy_upsert(self.session, IDENTITY, rows, ("tenant_id", "kind", "value"), None)
        elif rows:
            self.session.execute(_upsert(self.session)(IDENTITY).on_conflict_do_nothing(
                index_elements=["tenant_id", "kind", "value"]), rows)

    def _insert_customers(self, customers: list[dict[str, Any]]) -> list[int]:
        """Insert ``customers``; their ids in order. PostgreSQL: ids drawn from the sequence, rows COPYed."""
        if not self._postgres():
            return list(self.session.execute(
                insert(CUSTOMER).returning(CUSTOMER.c.id, sort_by_parameter_order=True), customers).scalars())
        ids = list(self.session.execute(text(
            "SELECT nextval(pg_get_serial_sequence('customer', 'id')) FROM generate_series(1, :n)"),
            {"n": len(customers)}).scalars())
        for row, customer_id in zip(customers, ids, strict=True):
            row["id"] = customer_id
        copy_rows(self.session, "customer", list(customers[0]), customers)
        return ids

    def apply(self, infos: Sequence[Mapping[str, Any]], *, publish_event: bool = True) -> FanResult:
        """Upsert the fans of ``infos`` (``user/info`` answers) and link each to its customer."""
        now = utcnow()
        rows = [fan_values(info, now) for info in infos if info.get("openid")]
        result = FanResult(fans=len(rows))
        if not rows:
            return result
        rows = list({r["openid"]: r for r in rows}.values())
        existing = self._existing([r["openid"] for r in rows])
        self._resolve(rows, existing, result)
        result.fans_created = sum(1 for r in rows if r["openid"] not in existing)
        values = [{"tenant_id": self.tenant_id, "account_id": self.account_id, "mobile": "",
                   "first_visit_at": r["subscribe_time"] or now, **r} for r in rows]
        if self._postgres():
            copy_upsert(self.session, FAN, values, ("account_id", "openid"), UPDATE_COLUMNS)
        else:
            statement = _upsert(self.session)(FAN)
            self.session.execute(statement.on_conflict_do_update(
                index_elements=["account_id", "openid"],
                set_={name: getattr(statement.excluded, name) for name in UPDATE_COLUMNS}), values)
        if publish_event and (result.created_ids or result.linked_ids):
            publish(self.session, self.tenant_id, SYNCED_EVENT, {
                "account_id": self.account_id, "created_customer_ids": result.created_ids,
                "linked_customer_ids": sorted(set(result.linked_ids))})
        return result


_ESCAPES = str.maketrans({"\\": "\\\\", "\t": "\\t", "\n": "\\n", "\r": "\\r"})


def _copy_text(value: Any) -> str:
    """One value in COPY's text format."""
    if value is None:
        return "\\N"
    if value is True:
        return "t"
    if value is False:
        return "f"
    if isinstance(value, (int, float)):
        return str(value)
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, (dict, list)):
        value = json.dumps(value, ensure_ascii=False)
    return str(value).translate(_ESCAPES)


_needs_escape = re.compile(r"[\\\t\n\r]").search


def _copy_column(values: Iterable[Any]) -> list[str]:
    """One column's values in COPY's text format: a string as is unless it holds a character to escape; any other
    value formatted once per distinct value (a page repeats its tenant, account, timestamps, flags and empty lists)."""
    out: list[str] = []
    append = out.append
    memo: dict[Any, str] = {}
    for value in values:
        kind = type(value)
        if kind is str:
            append(value.translate(_ESCAPES) if _needs_escape(value) else value)
        elif value is None:
            append("\\N")
        elif kind is list or kind is dict:
            append(_copy_text(value) if value else ("[]" if kind is list else "{}"))
        else:
            key = (kind, value)  # True and 1 format differently
            try:
                text = memo.get(key)
            except TypeError:  # an unhashable value: formatted each time
                text = _copy_text(value)
            else:
                if text is None:
                    text = memo[key] = _copy_text(value)
            append(text)
    return out


def copy_lines(columns: Sequence[str], rows: Sequence[Mapping[str, Any]]) -> list[str]:
    """``rows`` as lines of COPY's text format (the values of ``columns`` in order; a missing key is NULL)."""
    formatted = [_copy_column([row.get(c) for row in rows]) for c in columns]
    return ["\t".join(parts) for parts in zip(*formatted, strict=True)]


def copy_rows(session: Session, table: str, columns: Sequence[str], rows: Sequence[Mapping[str, Any]]) -> None:
    """COPY ``rows`` into ``table`` on the session's PostgreSQL connection (in its transaction), in COPY's text
    format built here (a row at a time through the driver costs several times more)."""
    raw = session.connection().connection.driver_connection
    lines = copy_lines(columns, rows)
    with raw.cursor() as cursor, cursor.copy(f"COPY {table} ({', '.join(columns)}) FROM STDIN") as copy:
        for start in range(0, len(lines), 2_000):
            copy.write("\n".join(lines[start:start + 2_000]) + "\n")


def copy_upsert(session: Session, table: Any, rows: Sequence[Mapping[str, Any]], keys: Sequence[str],
                update_columns: Sequence[str] | None) -> None:
    """PostgreSQL bulk upsert: COPY into a temporary staging table, then one INSERT .. SELECT .. ON CONFLICT (a
    plain executemany sends a statement per row; a multi-row VALUES statement costs seconds to compile)."""
    columns = list(rows[0])
    stage = f"stage_{table.name}"
    session.execute(text(f"CREATE TEMP TABLE IF NOT EXISTS {stage} ON COMMIT DELETE ROWS "
                         f"AS SELECT * FROM {table.name} WITH NO DATA"))  # the columns, no constraints
    session.execute(text(f"DELETE FROM {stage}"))
    copy_rows(session, stage, columns, rows)
    names = ", ".join(columns)
    action = "DO NOTHING" if not update_columns else "DO UPDATE SET " + ", ".join(
        f"{c} = EXCLUDED.{c}" for c in update_columns)
    session.execute(text(f"INSERT INTO {table.name} ({names}) SELECT {names} FROM {stage} "
                         f"ON CONFLICT ({', '.join(keys)}) {action}"))


def mark_missing_unsubscribed(session: Session, account: ChannelAccount, started_at: datetime) -> int:
    """After a complete walk: followers not seen since ``started_at`` unfollowed while a callback was missed."""
    now = utcnow()
    outcome = session.execute(update(Fan).where(
        Fan.account_id == account.id, Fan.subscribed.is_(True),
        and_(Fan.synced_at.is_not(None), Fan.synced_at < started_at) | Fan.synced_at.is_(None),
        Fan.subscribe_time.is_not(None)).values(subscribed=False, unsubscribe_time=now, updated_at=now))
    return outcome.rowcount or 0


# -- runs ---------------------------------------------------------------------------------------------------------------


def active_run(session: Session, tenant_id: int, account_id: int) -> FanSyncRun | None:
    """The account's queued or running run (not stale)."""
    run = session.execute(select(FanSyncRun).where(
        FanSyncRun.tenant_id == tenant_id, FanSyncRun.account_id == account_id,
        FanSyncRun.status.in_((QUEUED, RUNNING))).order_by(FanSyncRun.id.desc()).limit(1)).scalars().first()
    return run if run is not None and not is_stale(run) else None


def is_stale(run: FanSyncRun) -> bool:
    beat = run.heartbeat_at or run.started_at or run.created_at
    return run.status == RUNNING and beat < utcnow() - STALE_AFTER


def resumable_run(session: Session, tenant_id: int, account_id: int) -> FanSyncRun | None:
    """The account's latest run when it failed or went stale part-way: a new sync continues from its cursor."""
    run = session.execute(select(FanSyncRun).where(
        FanSyncRun.tenant_id == tenant_id, FanSyncRun.account_id == account_id)
        .order_by(FanSyncRun.id.desc()).limit(1)).scalars().first()
    if run is not None and run.next_openid and (run.status == FAILED or is_stale(run)):
        return run
    return None


def latest_runs(session: Session, tenant_id: int, account_id: int, limit: int = 5) -> list[FanSyncRun]:
    return list(session.execute(select(FanSyncRun).where(
        FanSyncRun.tenant_id == tenant_id, FanSyncRun.account_id == account_id)
        .order_by(FanSyncRun.id.desc()).limit(limit)).scalars())


def execute(session: Session, api: Any, run: FanSyncRun, account: ChannelAccount) -> FanSyncRun:
    """Walk the follower list from ``run.next_openid`` to the end, a page per transaction. ``api`` has
    ``user_list(next_openid) -> dict`` and ``user_infos(openids) -> list[dict]``. Errors end the run failed with the
    cursor kept (so it resumes); they are not raised.

    On PostgreSQL ``APPLY_THREADS`` pages are applied at once, each in a transaction of its own connection (the next
    pages are read meanwhile). The run's cursor, count and statistics advance in page order, once a page and every
    page before it are committed: a run that fails or dies re-applies from there, and a page applied twice changes
    nothing (fans are upserted, identities found, no customer created again)."""
    if run.status not in (QUEUED, RUNNING, FAILED):
        return run
    run.status, run.error = RUNNING, None
    run.started_at = run.started_at or utcnow()
    run.heartbeat_at = utcnow()
    session.add(run)
    session.commit()
    started_at = run.started_at
    stats = FanResult(**{k: int(v) for k, v in (run.stats or {}).items() if k in FanResult().as_dict()})
    engine = session.get_bind()
    parallel = APPLY_THREADS if engine.dialect.name == "postgresql" else 1
    pool = ThreadPoolExecutor(max_workers=FETCH_THREADS + 1, thread_name_prefix="oa-fan-sync")
    appliers = ThreadPoolExecutor(max_workers=parallel, thread_name_prefix="oa-fan-apply") if parallel > 1 else None

    def fetch(cursor: str) -> tuple[dict[str, Any], list[str], list[Mapping[str, Any]]]:
        page = api.user_list(cursor)
        openids = [str(o) for o in ((page.get("data") or {}).get("openid") or [])]
        chunks = [openids[i:i + INFO_BATCH] for i in range(0, len(openids), INFO_BATCH)]
        infos = [info for batch in pool.map(api.user_infos, chunks) for info in batch] if len(chunks) > 1 else \
            [info for batch in map(api.user_infos, chunks) for info in batch]
        return page, openids, infos

    def apply_page(applier: FanApplier, infos: Sequence[Mapping[str, Any]]) -> FanResult:
        with applier.session:
            result = applier.apply(infos)
            applier.session.commit()
            return result

    in_flight: deque[tuple[Any, list[str], str]] = deque()

    def settle() -> None:
        """Record the oldest page in flight once it is committed (the cursor only moves past committed pages)."""
        future, openids, next_openid = in_flight[0]
        page_stats = future.result() if appliers is not None else future  # a failed page stays first in line
        in_flight.popleft()
        stats.add(page_stats)
        run.done += len(openids)
        run.next_openid = next_openid if openids else ""
        run.heartbeat_at = utcnow()
        run.stats = stats.as_dict()
        session.add(run)
        session.commit()
        refresh_statistics(session, run.done, len(openids))

    try:
        fetched = run.done
        upcoming = pool.submit(fetch, run.next_openid)
        while True:
            page, openids, infos = upcoming.result()
            run.total = int(page.get("total") or 0)
            next_openid = str(page.get("next_openid") or "")
            fetched += len(openids)
            last = not openids or not next_openid or fetched >= run.total
            if not last:  # the next page is read while this one is written
                upcoming = pool.submit(fetch, next_openid)
            if appliers is None:
                in_flight.append((FanApplier(session, account).apply(infos), openids, next_openid))
            else:
                applier = FanApplier(Session(engine, expire_on_commit=False), account)
                in_flight.append((appliers.submit(apply_page, applier, infos), openids, next_openid))
            while in_flight and (len(in_flight) >= parallel or last):
                settle()
            if last:
                break
        stats.unsubscribed += mark_missing_unsubscribed(session, account, started_at)
        run.status, run.finished_at, run.next_openid = DONE, utcnow(), ""
        run.stats = stats.as_dict()
        session.add(run)
        session.commit()
        pool.shutdown(wait=True)
        if appliers is not None:
            appliers.shutdown(wait=True)
    except Exception as exc:  # noqa: BLE001  (the run records why; the cursor stays for the resume)
        pool.shutdown(wait=True, cancel_futures=True)
        session.rollback()
        if appliers is not None:  # pages committed before the failure still move the cursor, in order
            appliers.shutdown(wait=True, cancel_futures=True)
            try:
                while in_flight and not in_flight[0][0].cancelled() and in_flight[0][0].exception() is None:
                    settle()
            except Exception:  # noqa: BLE001  (the cursor stays at the last page recorded)
                session.rollback()
        run = session.get(FanSyncRun, run.id)
        if run is not None:
            run.status, run.error, run.finished_at = FAILED, _error_text(exc), utcnow()
            session.add(run)
            session.commit()
        log.warning("fan sync run failed: %s", _error_text(exc))
    return run


ANALYZE_AT = (10_000, 50_000, 200_000, 500_000, 2_000_000)
ANALYZED = ("customer_identity", "customer", "official_account_fan")


def refresh_statistics(session: Session, done: int, page: int) -> None:
    """On PostgreSQL, ANALYZE the tables a large sync grows when it passes 10k, 50k, 200k, 500k and 2M followers:
    autovacuum lags behind a bulk load, and with the statistics of a nearly empty table the planner reads every
    identity of the tenant for each page's lookup instead of the (tenant, kind, value) index."""
    if session.get_bind().dialect.name != "postgresql" or not any(done - page < mark <= done for mark in ANALYZE_AT):
        return
    from sqlalchemy import text

    for table in ANALYZED:
        session.execute(text(f"ANALYZE {table}"))
    session.commit()


def _error_text(exc: Exception) -> str:
    errcode = getattr(exc, "errcode", None)
    if errcode is not None:
        return f"WeChat error {errcode}: {getattr(exc, 'errmsg', '') or ''}"[:500]
    return f"{type(exc).__name__}: {exc}"[:500]
