"""Short-link benchmark: redirect throughput of ``/s/<code>`` against a bare endpoint of the same app, and the bulk
creation rate of personalised links, on PostgreSQL and on SQLite.

    .venv/bin/python bench/shortlinks_bench.py                        # both databases
    .venv/bin/python bench/shortlinks_bench.py --db postgres --personalised 1000000 --requests 5000

Requests go through Flask's test client in one thread (the WSGI stack, the host's before/after-request hooks, the
database; no socket), so the figures compare the redirect with what any request of this host costs:
- ``bare``: a route that answers 302 to a fixed URL (no database);
- ``/s/<code> HEAD``: one indexed lookup, no write;
- ``/s/<code> GET``: the lookup, the click insert, the commit;
- ``/s/<personalised> GET``: the lookup with its join, the click insert and the recipient's counter, the commit.

PostgreSQL: ``SCRM_BENCH_DATABASE_URL`` (default ``postgresql+psycopg://postgres@127.0.0.1:5432/scrm_bench_shortlinks``;
created when missing, its schema emptied). SQLite: a file under a temporary folder.
"""

from __future__ import annotations

import argparse
import os
import tempfile
import time
from pathlib import Path

from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

DEFAULT_PG = "postgresql+psycopg://postgres@127.0.0.1:5432/scrm_bench_shortlinks"
UA = "Mozilla/5.0 (iPhone; CPU iPhone OS 17_0 like Mac OS X) Mobile/15E148 MicroMessenger/8.0.47"


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
    from flask import redirect

    from scrm.core import migrate
    from scrm.core.config import Settings
    from scrm.core.secrets import generate_key
    from scrm.hostapp import create_app

    instance = Path(tempfile.mkdtemp(prefix="scrm-bench-"))
    (instance / "plugins.toml").write_text("")
    app = create_app(Settings(instance_path=instance, database_url=url, secret_key="bench",
                              plugins_toml=instance / "plugins.toml", encryption_key=generate_key()),
                     broker_namespace="scrm-bench")

    @app.get("/bench-bare/<code>")
    def bare(code: str):
        return redirect("https://shop.example.com/1212", 302)

    plat = app.extensions["scrm"]
    migrate.upgrade(plat.engine, plat.registry)
    return app


def rate(label: str, count: int, seconds: float, unit: str = "req/s") -> tuple[str, float]:
    value = count / seconds
    print(f"  {label:<34} {value:>10,.0f} {unit}  ({count:,} in {seconds:.2f} s)", flush=True)
    return label, value


def run(db: str, url: str, personalised: int, requests: int) -> list[tuple[str, float]]:
    from sqlmodel import Session

    from scrm.core.services.users import create_tenant
    from scrm.sdk import shortlinks

    app = build_app(url)
    plat = app.extensions["scrm"]
    results = []
    print(f"{db}: {personalised:,} personalised links, {requests:,} requests per case", flush=True)
    with Session(plat.engine, expire_on_commit=False) as session:
        tenant = create_tenant(session, "bench", "Bench Brand")
        session.commit()
        link = shortlinks.create(session, tenant.id, "https://shop.example.com/1212", channel="sms",
                                 campaign="bench")
        session.commit()
        started = time.perf_counter()
        codes: list[str] = []
        batch = 10_000
        for start in range(0, personalised, batch):
            part = [f"139{n:08d}" for n in range(start, min(start + batch, personalised))]
            made = shortlinks.create_many_personalised(session, link, part)
            if len(codes) < requests:
                codes.extend(made[: requests - len(codes)])
            session.commit()
        results.append(rate("personalised links created", personalised, time.perf_counter() - started, "links/s"))
    client = app.test_client()
    cases = [
        ("bare endpoint (302, no database)", "GET", lambda i: f"/bench-bare/{link.code}"),
        ("/s/<code> HEAD (lookup only)", "HEAD", lambda i: f"/s/{link.code}"),
        ("/s/<code> GET (lookup + click)", "GET", lambda i: f"/s/{link.code}"),
        ("/s/<personalised> GET", "GET", lambda i: f"/s/{codes[i % len(codes)]}"),
    ]
    for label, method, path in cases:
        for i in range(50):  # warm up
            client.open(path(i), method=method, headers={"User-Agent": UA})
        started = time.perf_counter()
        for i in range(requests):
            response = client.open(path(i), method=method, headers={"User-Agent": UA})
            assert response.status_code == 302, response.status_code
        results.append(rate(label, requests, time.perf_counter() - started))
    with Session(plat.engine) as session:
        numbers = shortlinks.stats(session, tenant.id, link.id)
        print(f"  clicks recorded: {numbers.clicks:,}, recipients who clicked: {numbers.unique_recipients:,}")
    plat.close()
    return results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--db", choices=["postgres", "sqlite", "both"], default="both")
    parser.add_argument("--personalised", type=int, default=200_000)
    parser.add_argument("--requests", type=int, default=3000)
    args = parser.parse_args()
    if args.db in ("postgres", "both"):
        url = os.environ.get("SCRM_BENCH_DATABASE_URL", DEFAULT_PG)
        prepare_postgres(url)
        run("postgres", url, args.personalised, args.requests)
    if args.db in ("sqlite", "both"):
        folder = Path(tempfile.mkdtemp(prefix="scrm-bench-sqlite-"))
        run("sqlite", f"sqlite:///{folder / 'bench.db'}", args.personalised, args.requests)


if __name__ == "__main__":
    main()
