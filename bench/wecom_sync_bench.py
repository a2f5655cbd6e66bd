"""WeCom full-sync benchmark (issue 4, item 4): 100,000 external contacts spread over 200 members, read from the
WeCom sandbox over HTTP (``externalcontact/batch/get_by_user``, 100 per page) and applied in bulk. Target: < 180 s.

    .venv/bin/python bench/wecom_sync_bench.py                       # SQLite file under bench/data/
    .venv/bin/python bench/wecom_sync_bench.py --db postgresql --contacts 20000

PostgreSQL: ``SCRM_BENCH_DATABASE_URL`` (default ``postgresql+psycopg://postgres@127.0.0.1:5432/scrm_bench``; the
database is created when missing and its schema emptied). Prints the time of the first full sync, contacts per second,
and the time of a second full sync (which must change nothing).
"""

from __future__ import annotations

import argparse
import logging
import random
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from members_bench import prepare_postgres  # noqa: E402
from wecom_bench_support import build_platform, serve_sandbox  # noqa: E402

CORP_ID = "wwbench0000000001"
SECRETS = {"agent": "bench-agent", "contact": "bench-contact", "address_book": "bench-book"}
PG_DEFAULT = "postgresql+psycopg://postgres@127.0.0.1:5432/scrm_bench"


def corp_seed(contacts: int, members: int, seed: int = 7) -> dict:
    """A corp with ``members`` active members in 10 stores, 3 tag groups of 5 tags, and ``contacts`` customers;
    one in five customers is a friend of a second member, half have a unionid, most carry one or two tags."""
    rng = random.Random(seed)
    tags = [{"group_id": f"etG{g}", "group_name": f"Group {g}",
             "tag": [{"id": f"etT{g}_{t}", "name": f"Tag {g}.{t}"} for t in range(5)]} for g in range(3)]
    tag_ids = [t["id"] for g in tags for t in g["tag"]]
    users = [{"userid": f"u{i:04d}", "name": f"Member {i}", "department": [2 + i % 10], "status": 1}
             for i in range(members)]
    external = []
    for n in range(contacts):
        owners = rng.sample(range(members), 2 if n % 5 == 0 else 1)
        external.append({
            "external_userid": f"wmBench{n:07d}", "name": f"Customer {n}", "gender": rng.choice((0, 1, 2)),
            **({"unionid": f"unionBench{n:07d}"} if n % 2 == 0 else {}),
            "follow_user": [{"userid": f"u{o:04d}", "remark": f"R{n}", "createtime": 1_690_000_000 + n,
                             "add_way": 1, "state": "lc:bench" if n % 3 == 0 else "",
                             "tags": [{"tag_id": t, "type": 1, "group_name": "", "tag_name": ""}
                                      for t in rng.sample(tag_ids, rng.choice((0, 1, 2)))]} for o in owners]})
    return {"corp_id": CORP_ID, "agent_id": 1000002, "secrets": SECRETS,
            "departments": [{"id": 1, "name": "HQ", "parentid": 0}] +
                           [{"id": 2 + s, "name": f"Store {s}", "parentid": 1} for s in range(10)],
            "users": users, "tag_groups": tags, "external_contacts": external}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", choices=("sqlite", "postgresql"), default="sqlite")
    parser.add_argument("--contacts", type=int, default=100_000)
    parser.add_argument("--members", type=int, default=200)
    args = parser.parse_args()
    if args.db == "postgresql":
        import os

        url = os.environ.get("SCRM_BENCH_DATABASE_URL", PG_DEFAULT)
        prepare_postgres(url)
    else:
        data = HERE / "data"
        data.mkdir(exist_ok=True)
        path = data / "wecom-sync-bench.db"
        for suffix in ("", "-wal", "-shm"):
            Path(f"{path}{suffix}").unlink(missing_ok=True)
        url = f"sqlite:///{path}"

    from scrm_wecom.accounts import AccountValues, save_account
    from scrm_wecom.sandbox import SandboxControl
    from scrm_wecom.sync import runner
    from sqlmodel import Session

    from scrm.core.plugins.enablement import enable_plugin
    from scrm.core.services.users import create_tenant

    logging.getLogger("werkzeug").setLevel(logging.WARNING)
    app, plat = build_platform(url, ("wecom",), "scrm-bench-wecom")
    base = serve_sandbox()
    started = time.monotonic()
    control = SandboxControl(base)
    control.http.timeout = 300
    control.seed(corp_seed(args.contacts, args.members))
    print(f"seeded {args.contacts:,} contacts over {args.members} members in {time.monotonic() - started:.1f} s")

    with Session(plat.engine, expire_on_commit=False) as session:
        tenant = create_tenant(session, "bench", "Bench Brand")
        enable_plugin(session, plat.registry, tenant, "wecom", None)
        account = save_account(session, plat.secrets, tenant.id, AccountValues(
            name="Bench", corp_id=CORP_ID, agent_id=1000002, api_base=base,
            secrets={"agent_secret": SECRETS["agent"], "contact_secret": SECRETS["contact"],
                     "address_book_secret": SECRETS["address_book"]}))
        session.commit()
        results = []
        for attempt in ("first", "second"):
            run, _created = runner.create_run(session, account, runner.FULL, "bench")
            session.commit()
            started = time.monotonic()
            with app.app_context():
                runner.execute(session, plat, run)
            elapsed = time.monotonic() - started
            if run.status != "done":
                raise SystemExit(f"{attempt} sync failed: {run.error}")
            results.append((attempt, elapsed, run.stats["contacts"]))
    for attempt, elapsed, stats in results:
        rate = stats["contacts"] / elapsed if elapsed else 0.0
        print(f"{attempt} full sync ({args.db}): {elapsed:.1f} s, {stats['contacts']:,} contacts read, "
              f"{rate:,.0f} contacts/s, {stats['customers_created']:,} customers created, "
              f"{stats['follows_created']:,} relations created, {stats['tags_added']:,} tags added, "
              f"{stats['customers_updated'] + stats['follows_updated']} rows changed")
    first = results[0][1]
    print(f"target < 180 s: {'met' if first < 180 else 'MISSED'} ({first:.1f} s)")
    plat.close()


if __name__ == "__main__":
    main()
