"""Official-account fan sync benchmark (issue 14, performance): 1,000,000 followers read from the sandbox over HTTP
(``user/get`` 10,000 per page, ``user/info/batchget`` 100 per call) and applied in bulk (fans upserted, One-ID by
unionid then openid, a customer and its identities for every new fan). Target on PostgreSQL: < 600 s.

    .venv/bin/python bench/oa_fansync_bench.py --db postgresql            # 1,000,000 followers
    .venv/bin/python bench/oa_fansync_bench.py --fans 50000               # SQLite file under bench/data/

PostgreSQL: ``SCRM_BENCH_DATABASE_URL`` (default ``postgresql+psycopg://postgres@127.0.0.1:5432/scrm_bench_oa``;
created when missing, its schema emptied). The sandbox runs in a process of its own. Baselines in the same run:
the bare bulk insert of the same number of plain fan rows (no HTTP, no One-ID: the floor), and the per-row ORM path
(``match_or_create`` and one ``Fan`` object per follower) on a sample, extrapolated.
"""

from __future__ import annotations

import argparse
import logging
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from members_bench import prepare_postgres  # noqa: E402

APPID = "wxbenchfans000001"
SECRET = "bench-secret"
PG_DEFAULT = "postgresql+psycopg://postgres@127.0.0.1:5432/scrm_bench_oa"

SANDBOX = """
import logging
import sys
from werkzeug.serving import WSGIRequestHandler, make_server
logging.getLogger("werkzeug").setLevel(logging.WARNING)  # no log line per request (WeChat's servers are elsewhere)
WSGIRequestHandler.protocol_version = "HTTP/1.1"  # keep-alive, as WeChat's API answers
from scrm_official_account.sandbox import create_sandbox_app
from scrm_official_account.sandbox.fans_api import directory
app = create_sandbox_app()
state = app.extensions["official_account_sandbox"]
state.add_account(appid=sys.argv[1], secret=sys.argv[2])
directory(state, sys.argv[1]).generated = int(sys.argv[3])
server = make_server("127.0.0.1", 0, app, threaded=True)
print(server.server_port, flush=True)
server.serve_forever()
"""


def serve_sandbox(fans: int) -> tuple[str, subprocess.Popen]:
    process = subprocess.Popen([sys.executable, "-c", SANDBOX, APPID, SECRET, str(fans)], stdout=subprocess.PIPE,
                               stderr=subprocess.DEVNULL, text=True)
    port = int(process.stdout.readline().strip())
    return f"http://127.0.0.1:{port}", process


def build_platform(url: str):
    from scrm.core import migrate
    from scrm.core.config import Settings
    from scrm.core.secrets import generate_key
    from scrm.hostapp import create_app

    instance = Path(tempfile.mkdtemp(prefix="scrm-bench-"))
    (instance / "plugins.toml").write_text("[plugins.official_account]\n")
    app = create_app(Settings(instance_path=instance, database_url=url, secret_key="bench",
                              plugins_toml=instance / "plugins.toml", encryption_key=generate_key()),
                     broker_namespace="scrm-bench-oa")
    plat = app.extensions["scrm"]
    migrate.upgrade(plat.engine, plat.registry)
    return app, plat


def baseline_bulk_insert(engine, count: int) -> float:
    """The floor: ``count`` plain rows of the fan's columns bulk-inserted into a scratch table, no HTTP, no One-ID."""
    from sqlalchemy import Boolean, Column, DateTime, Integer, MetaData, String, Table, insert

    meta = MetaData()
    table = Table("bench_plain_fan", meta, Column("id", Integer, primary_key=True), Column("openid", String(64)),
                  Column("unionid", String(64)), Column("subscribed", Boolean), Column("subscribe_time", DateTime),
                  Column("subscribe_scene", String(40)), Column("language", String(20)))
    meta.drop_all(engine)
    meta.create_all(engine)
    from datetime import datetime

    now = datetime(2026, 1, 1)
    started = time.monotonic()
    with engine.begin() as conn:
        for start in range(0, count, 10_000):
            conn.execute(insert(table), [{"openid": f"o{n:012d}", "unionid": f"u{n:012d}", "subscribed": True,
                                          "subscribe_time": now, "subscribe_scene": "ADD_SCENE_SEARCH",
                                          "language": "zh_CN"} for n in range(start, min(count, start + 10_000))])
    elapsed = time.monotonic() - started
    meta.drop_all(engine)
    return elapsed


def baseline_per_row(session, account, infos) -> float:
    """The per-row ORM path: ``match_or_create`` and one ``Fan`` object per follower, a commit per 1,000."""
    from scrm_official_account.fans.models import Fan
    from scrm_official_account.fans.sync import fan_values

    from scrm.sdk import IdentityKind, match_or_create, utcnow

    started = time.monotonic()
    for n, info in enumerate(infos, 1):
        values = fan_values(info, utcnow())
        identities = {IdentityKind.openid(account.external_id): values["openid"]}
        if values["unionid"]:
            identities[IdentityKind.UNIONID] = values["unionid"]
        match = match_or_create(session, account.tenant_id, identities, source="official_account")
        session.add(Fan(tenant_id=account.tenant_id, account_id=account.id, customer_id=match.customer.id,
                        first_visit_at=values["subscribe_time"] or utcnow(), **values))
        if n % 1000 == 0:
            session.commit()
    session.commit()
    return time.monotonic() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", choices=("sqlite", "postgresql"), default="sqlite")
    parser.add_argument("--fans", type=int, default=1_000_000)
    parser.add_argument("--sample", type=int, default=5_000, help="followers of the per-row baseline")
    args = parser.parse_args()
    if args.db == "postgresql":
        url = os.environ.get("SCRM_BENCH_DATABASE_URL", PG_DEFAULT)
        prepare_postgres(url)
    else:
        data = HERE / "data"
        data.mkdir(exist_ok=True)
        path = data / "oa-fansync-bench.db"
        for suffix in ("", "-wal", "-shm"):
            Path(f"{path}{suffix}").unlink(missing_ok=True)
        url = f"sqlite:///{path}"

    from scrm_official_account.client import OAClient
    from scrm_official_account.fans import jobs
    from scrm_official_account.fans.api import FanAPI
    from scrm_official_account.fans.models import Fan, FanSyncRun
    from sqlalchemy import func, select
    from sqlmodel import Session

    from scrm.core.plugins.enablement import enable_plugin
    from scrm.core.services.channels import create_account
    from scrm.core.services.users import create_tenant

    logging.getLogger("werkzeug").setLevel(logging.WARNING)
    app, plat = build_platform(url)
    base, sandbox = serve_sandbox(args.fans)
    try:
        with Session(plat.engine, expire_on_commit=False) as session:
            tenant = create_tenant(session, "bench", "Bench Brand")
            enable_plugin(session, plat.registry, tenant, "official_account", None)
            account = create_account(session, plat.secrets, tenant.id, "official_account", "Bench", APPID,
                                     {"app_secret": SECRET}, {"api_base": base, "account_type": "service",
                                                              "verified": True})
            run = FanSyncRun(tenant_id=tenant.id, account_id=account.id, requested_by="bench")
            session.add(run)
            session.commit()
            started = time.monotonic()
            with app.app_context():
                run = jobs.run_now(session, plat, run)
            elapsed = time.monotonic() - started
            if run.status != "done":
                raise SystemExit(f"sync failed: {run.error}")
            stored = session.execute(select(func.count()).select_from(Fan)).scalar_one()
            stats = run.stats
            print(f"fan sync ({args.db}): {elapsed:.1f} s for {run.done:,} followers ({run.done / elapsed:,.0f}/s), "
                  f"{stored:,} fan rows, {stats['customers_created']:,} customers created")
            started = time.monotonic()
            with app.app_context():
                again = FanSyncRun(tenant_id=tenant.id, account_id=account.id, requested_by="bench")
                session.add(again)
                session.commit()
                again = jobs.run_now(session, plat, again)
            second = time.monotonic() - started
            print(f"second sync: {second:.1f} s, {again.stats['customers_created']} customers created")
            floor = baseline_bulk_insert(plat.engine, args.fans)
            print(f"baseline, bare bulk insert of {args.fans:,} plain rows: {floor:.1f} s")
            # the per-row path on a sample of followers of a second account (the same sandbox)
            other = create_account(session, plat.secrets, tenant.id, "official_account", "Bench 2", APPID + "b",
                                   {"app_secret": SECRET}, {"api_base": base})
            session.commit()
            with app.app_context(), OAClient.for_account(account, plat) as client:
                fan_api = FanAPI(client)
                openids = fan_api.user_list("")["data"]["openid"][:args.sample]
                infos = [i for s in range(0, len(openids), 100) for i in fan_api.user_infos(openids[s:s + 100])]
            for info in infos:
                info["openid"] = "r" + info["openid"]
                if info.get("unionid"):
                    info["unionid"] = "r" + info["unionid"]
            per_row = baseline_per_row(session, other, infos)
            projected = per_row / max(1, len(infos)) * args.fans
            print(f"baseline, per-row ORM path: {per_row:.1f} s for {len(infos):,} followers "
                  f"({len(infos) / per_row:,.0f}/s), {projected:.0f} s projected for {args.fans:,}")
            print(f"target < 600 s: {'met' if elapsed < 600 else 'MISSED'} ({elapsed:.1f} s)")
    finally:
        sandbox.terminate()
        plat.close()


if __name__ == "__main__":
    main()
