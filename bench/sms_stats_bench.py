"""SMS push-statistics benchmark: the 推送统计 queries against a delivery ledger of over a million SMS rows on
PostgreSQL.

    .venv/bin/python bench/sms_stats_bench.py                     # 1,000,000-recipient push + 30 daily pushes
    .venv/bin/python bench/sms_stats_bench.py --big 200000

Data: tenant A has one bulk send of ``--big`` recipients (80 % delivered, 10 % failed after the provider took them,
10 % skipped) and 30 daily pushes of 2,000 recipients; tenant B has 200,000 rows of its own (noise another tenant
adds). Rows are written with ``INSERT ... SELECT generate_series`` (no ORM), then ANALYZE.

Timed (best of 3, warm cache): the bulk dispatcher's settlement tally of the big send (what keeps the push counters
current), the statistics page's data (summary, every push record of the last 30 days, the chart: the sends'
settled counters), the first and a deep page of the big send's success details, and the export's rows (every
delivered recipient, batched by ledger id).

``SCRM_BENCH_DATABASE_URL`` (default ``postgresql+psycopg://postgres@127.0.0.1:5432/scrm_bench_sms_stats``; created
when missing, its schema emptied).
"""

from __future__ import annotations

import argparse
import os
import tempfile
import time
from pathlib import Path

from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

DEFAULT_PG = "postgresql+psycopg://postgres@127.0.0.1:5432/scrm_bench_sms_stats"


def prepare_postgres(url: str) -> None:
    parsed = make_url(url)
    admin = create_engine(parsed.set(database="postgres"), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        if not conn.execute(text("SELECT 1 FROM pg_database WHERE datname = :d"), {"d": parsed.database}).first():
            conn.execute(text(f'CREATE DATABASE "{parsed.database}"'))
    admin.dispose()
    engine = create_engine(url)
    with engine.begin() as conn:
        conn.execute(text("DROP SCHEMA public CASCADE"))
        conn.execute(text("CREATE SCHEMA public"))
    engine.dispose()


def build_app(url: str):
    from scrm.core import migrate
    from scrm.core.config import Settings
    from scrm.core.secrets import generate_key
    from scrm.hostapp import create_app

    instance = Path(tempfile.mkdtemp(prefix="scrm-bench-"))
    (instance / "plugins.toml").write_text('[plugins.sms]\nversion = ">=0.1,<1"\n')
    app = create_app(Settings(instance_path=instance, database_url=url, secret_key="bench",
                              plugins_toml=instance / "plugins.toml", encryption_key=generate_key()),
                     broker_namespace="scrm-bench")
    plat = app.extensions["scrm"]
    migrate.upgrade(plat.engine, plat.registry)
    return app


LEDGER = """
INSERT INTO message_delivery (tenant_id, channel, account_id, customer_id, recipient, kind, task_ref, idempotency_key,
    status, provider_id, purpose, message, attempts, created_at, sent_at, delivered_at)
SELECT :tenant, 'sms', :account, NULL, (13000000000 + g)::text, 'sms',
       'sms_bulk:' || :bulk || ':' || (1 + (g % 2)), 'b' || :bulk || ':' || g,
       (CASE WHEN g % 10 < 8 THEN 'DELIVERED' WHEN g % 10 = 8 THEN 'FAILED' ELSE 'SKIPPED' END)::deliverystatus,
       CASE WHEN g % 10 < 9 THEN 'biz' || g ELSE NULL END, :purpose, '{}'::json, 1,
       :at, :at + (g % 3600) * interval '1 second', :at + (g % 3600 + 5) * interval '1 second'
FROM generate_series(1, :n) AS g
"""


def seed(app, big: int) -> tuple[int, int]:
    from datetime import timedelta

    from scrm_sms.bulk.models import SmsBulkSend
    from sqlmodel import Session

    from scrm.core.models import ChannelAccount
    from scrm.core.services.users import create_tenant
    from scrm.sdk import utcnow

    engine = app.extensions["scrm"].engine
    now = utcnow()
    with Session(engine) as session:
        a = create_tenant(session, "brand-a", "品牌A")
        b = create_tenant(session, "brand-b", "品牌B")
        session.flush()
        accounts = {}
        for tenant in (a, b):
            account = ChannelAccount(tenant_id=tenant.id, plugin="sms", name="短信", external_id=f"k{tenant.id}",
                                     credentials="", config={"provider": "aliyun"})
            session.add(account)
            session.flush()
            accounts[tenant.id] = account.id
        pushes = [(a.id, big, now - timedelta(hours=2))]
        pushes += [(a.id, 2000, now - timedelta(days=d, hours=3)) for d in range(1, 31)]
        pushes += [(b.id, 200_000, now - timedelta(days=1))]
        rows = []
        for tenant_id, n, at in pushes:
            bulk = SmsBulkSend(tenant_id=tenant_id, account_id=accounts[tenant_id], category="marketing",
                               signature="茶语时光", content="会员日全场八折", body="会员日全场八折", status="finished",
                               started_at=at, recipients=n, classes={"1": n // 2, "2": n - n // 2})
            session.add(bulk)
            session.flush()
            rows.append((tenant_id, accounts[tenant_id], bulk.id, n, at))
        session.commit()
        big_id, tenant_a = rows[0][2], a.id
    started = time.perf_counter()
    with engine.begin() as conn:
        for tenant_id, account_id, bulk_id, n, at in rows:
            conn.execute(text(LEDGER), {"tenant": tenant_id, "account": account_id, "bulk": bulk_id, "n": n,
                                        "purpose": "marketing", "at": at})
        conn.execute(text("ANALYZE message_delivery"))
        total = conn.execute(text("SELECT count(*) FROM message_delivery")).scalar_one()
    print(f"ledger: {total:,} rows written in {time.perf_counter() - started:.1f} s", flush=True)
    return tenant_a, big_id


def best(label: str, fn, runs: int = 3):
    times = []
    result = None
    for _ in range(runs):
        started = time.perf_counter()
        result = fn()
        times.append(time.perf_counter() - started)
    print(f"  {label:<52} {min(times) * 1000:>9.1f} ms", flush=True)
    return result


def run(url: str, big: int) -> None:
    prepare_postgres(url)
    app = build_app(url)
    tenant_id, big_id = seed(app, big)
    from scrm_sms.bulk.models import SmsBulkSend
    from scrm_sms.statistics import queries
    from sqlmodel import Session, select

    from scrm.sdk import local_today, use_zone

    engine = app.extensions["scrm"].engine
    with Session(engine) as session, use_zone("Asia/Shanghai"):
        bulk = queries.push(session, tenant_id, big_id)
        from scrm_sms.bulk import service as bulk_service

        tally = best("settlement tally of the big send (the dispatcher's GROUP BY)",
                     lambda: bulk_service.tally(bulk_service.ledger_counts(session, bulk)))
        print(f"    sent {tally.sent:,} billed, delivered {tally.delivered:,} billed", flush=True)
        for other in session.exec(select(SmsBulkSend).where(SmsBulkSend.tenant_id == tenant_id)).all():
            t = bulk_service.tally(bulk_service.ledger_counts(session, other))
            other.sent_count, other.delivered_count, other.failed_count = t.sent, t.delivered, t.failed
            session.add(other)
        session.commit()
        result = best("statistics page data (31 records, chart, 30 days)",
                      lambda: queries.records(session, tenant_id, "marketing", None, None, 1,
                                              chart_to=local_today()))
        print(f"    chart: {sum(result.sent_by_day):,} sent, {sum(result.delivered_by_day):,} delivered", flush=True)
        best("success details, first page (50)", lambda: queries.details(session, bulk))
        best("success details, page after 800,000 ids", lambda: queries.details(session, bulk, after=800_000))
        started = time.perf_counter()
        exported = sum(1 for _ in queries.iter_details(session, bulk))
        seconds = time.perf_counter() - started
        print(f"  {'export rows (all delivered recipients)':<52} {exported / seconds:>9,.0f} rows/s "
              f"({exported:,} in {seconds:.1f} s)", flush=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--big", type=int, default=1_000_000, help="recipients of the big push")
    args = parser.parse_args()
    run(os.environ.get("SCRM_BENCH_DATABASE_URL", DEFAULT_PG), args.big)


if __name__ == "__main__":
    main()
