"""Outbound benchmark (issue 12): the bulk form planning one message to a members segment of 100,000 customers on
PostgreSQL (ledger rows written and send jobs enqueued on Redis), memory along the way, against a bare multi-row
INSERT of the same rows; then delivery through two `scrm worker` processes at an account's declared rate.

    .venv/bin/python bench/outbound_bench.py
    .venv/bin/python bench/outbound_bench.py --customers 20000 --deliver 1000 --rate 100

``SCRM_BENCH_DATABASE_URL`` (default ``postgresql+psycopg://postgres@127.0.0.1:5432/scrm_bench_outbound``; created
when missing, its schema emptied) and ``SCRM_BENCH_REDIS_URL`` (default ``redis://127.0.0.1:6379/0``; the bench uses
the namespace ``scrm`` of `scrm worker` and empties its queues). The channel is the outbound tests' channel
(tests/outbound_channel) against a local provider simulator that notes when each request was put on the wire.
Results are printed as Markdown and written to ``bench/data/outbound.md``.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

from sqlalchemy import create_engine, func, insert, select, text
from sqlalchemy.engine import make_url

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(ROOT / "tests"))

from members_data import pad9, series  # noqa: E402

NAMESPACE = "scrm"  # the namespace of `scrm worker`


def rss_mb() -> float:
    """The process's resident memory now (MB)."""
    with open("/proc/self/statm") as statm:
        return int(statm.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 2**20


def peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


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


def build_platform(url: str, redis_url: str, instance: Path, key: str):
    from outbound_support import OuttestChannel  # noqa: F401  (puts tests/outbound_channel on the path)
    from scrm_outtest import OuttestChannel as Channel

    from scrm.core import migrate
    from scrm.core.config import Settings
    from scrm.core.plugins.registry import Candidate, _entry_point_candidates
    from scrm.hostapp import create_app

    (instance / "plugins.toml").write_text("[plugins.members]\n[plugins.outtest]\n")
    members = [c for c in _entry_point_candidates() if c.name == "members"]
    app = create_app(Settings(instance_path=instance, database_url=url, broker_url=redis_url, redis_url=redis_url,
                              secret_key="bench", plugins_toml=instance / "plugins.toml", encryption_key=key),
                     candidates=[*members, Candidate("outtest", lambda: Channel)], broker_namespace=NAMESPACE)
    plat = app.extensions["scrm"]
    migrate.upgrade(plat.engine, plat.registry)
    plat.bus.flush()
    return plat


def setup(plat, customers: int, blacklisted: int, provider_url: str, rate: float) -> dict:
    """A tenant with members and the channel enabled, ``customers`` generated customers all in one segment (the
    first ``blacklisted`` of them on the blacklist), and two channel accounts."""
    from scrm.core.db import session_scope
    from scrm.core.plugins.enablement import enable_plugin
    from scrm.core.services.channels import create_account
    from scrm.core.services.users import create_tenant

    with session_scope(plat.engine) as session:
        tenant = create_tenant(session, "bench", "Bench Brand")
        enable_plugin(session, plat.registry, tenant, "members")
        enable_plugin(session, plat.registry, tenant, "outtest")
        bulk = create_account(session, plat.secrets, tenant.id, "outtest", "Bulk", "bulk", {},
                              config={"base_url": provider_url, "rate_limit": 1000})
        paced = create_account(session, plat.secrets, tenant.id, "outtest", "Paced", "paced", {},
                               config={"base_url": provider_url, "rate_limit": rate})
        ids = {"tenant": tenant.id, "bulk": bulk.id, "paced": paced.id}
    t = ids["tenant"]
    start = time.perf_counter()
    with plat.engine.begin() as conn:
        conn.execute(text(
            "INSERT INTO customer (tenant_id, name, mobile, gender, source, is_member, attributes, created_at, "
            f"updated_at) SELECT {t}, 'Customer ' || g.i, '13' || {pad9('postgresql', 'g.i')}, 0, 'import', true, "
            f"'{{}}', now(), now() FROM {series('postgresql', customers)}"))
        category = conn.execute(text(
            f"INSERT INTO members_segment_category (tenant_id, kind, name, created_at) VALUES ({t}, 'member', "
            "'Bench', now()) RETURNING id")).scalar()
        segment = conn.execute(text(
            "INSERT INTO members_segment (tenant_id, category_id, name, description, kind, mode, rule, state, "
            f"member_count, created_at, updated_at) VALUES ({t}, {category}, 'Everyone', '', 'dynamic', "
            f"'conditions', '{{}}', 'running', {customers}, now(), now()) RETURNING id")).scalar()
        conn.execute(text(
            "INSERT INTO members_segment_member (tenant_id, segment_id, customer_id, added_by, added_at) "
            f"SELECT {t}, {segment}, id, 'rule', now() FROM customer WHERE tenant_id = {t}"))
        conn.execute(text(
            "INSERT INTO members_blacklist_entry (tenant_id, customer_id, reason, created_at) "
            f"SELECT {t}, id, 'bench', now() FROM customer WHERE tenant_id = {t} ORDER BY id LIMIT {blacklisted}"))
    with plat.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        conn.execute(text("VACUUM ANALYZE"))
    ids["segment"] = segment
    ids["generate_s"] = time.perf_counter() - start
    return ids


def audience(ids: dict):
    """The segment's customers and their mobiles: what a mass send plans. Paged by the segment's own key (segment,
    customer), the mobile looked up per row, so every page is an index range whatever the page's position."""
    from scrm_members.segments.models import SegmentMember

    from scrm.core.models import Customer

    mobile = select(Customer.mobile).where(Customer.id == SegmentMember.customer_id).scalar_subquery()
    return (select(SegmentMember.customer_id, mobile)
            .where(SegmentMember.tenant_id == ids["tenant"], SegmentMember.segment_id == ids["segment"]))


class Meter:
    """Wraps the bulk plan's enqueue step to note progress and memory after each chunk."""

    def __init__(self, marks: tuple[int, ...]) -> None:
        self.planned = 0
        self.marks = list(marks)
        self.samples: dict[int, tuple[float, float, float]] = {}
        self.start = time.perf_counter()

    def note(self, n: int) -> None:
        self.planned += n
        while self.marks and self.planned >= self.marks[0]:
            self.samples[self.marks.pop(0)] = (time.perf_counter() - self.start, rss_mb(), peak_rss_mb())


def bench_plan(plat, ids: dict, customers: int) -> dict:
    from sqlmodel import Session

    from scrm.core.outbound import plan_bulk_send
    from scrm.core.outbound.message import OutboundMessage

    meter = Meter(tuple(m for m in (10_000, 50_000, customers) if m <= customers))

    import scrm.core.outbound.bulk as bulk_module

    real_chunks = bulk_module._chunks_of_query

    def counted(*args, **kwargs):
        for chunk in real_chunks(*args, **kwargs):
            meter.note(0)
            yield chunk
            meter.planned += len(chunk)

    bulk_module._chunks_of_query = counted
    try:
        with Session(plat.engine) as session:
            meter.start = time.perf_counter()
            plan = plan_bulk_send(session, ids["tenant"], account=ids["bulk"], purpose="mass_send",
                                  task_ref="mass_task:1", audience=audience(ids),
                                  message=OutboundMessage.text("Double points this weekend"))
            seconds = time.perf_counter() - meter.start
        meter.note(0)
    finally:
        bulk_module._chunks_of_query = real_chunks
    broker_size = plat.bus.broker.client.llen(f"{NAMESPACE}:outbound")
    return {"plan": plan, "seconds": seconds, "samples": meter.samples, "broker": broker_size}


def bench_baseline(plat, ids: dict, customers: int) -> float:
    """The same rows with a bare multi-row INSERT per 1,000 (no exclusions, caps, RETURNING or broker)."""
    from scrm.core.models import DeliveryStatus, MessageDelivery

    table = MessageDelivery.__table__
    start = time.perf_counter()
    with plat.engine.connect() as conn:
        last = 0
        while True:
            rows = conn.execute(audience(ids).where(audience(ids).selected_columns[0] > last)
                                .order_by(audience(ids).selected_columns[0]).limit(1000)).all()
            if not rows:
                break
            conn.execute(insert(table), [
                {"tenant_id": ids["tenant"], "channel": "outtest", "account_id": ids["bulk"], "customer_id": cid,
                 "recipient": mobile, "kind": "mass", "task_ref": "baseline", "idempotency_key": f"baseline:{cid}",
                 "status": DeliveryStatus.QUEUED, "purpose": "baseline", "attempts": 0,
                 "message": {"kind": "text", "payload": {"content": "Double points this weekend"}}}
                for cid, mobile in rows])
            conn.commit()
            last = rows[-1][0]
    return time.perf_counter() - start


def start_provider() -> tuple[ThreadingHTTPServer, list[float]]:
    sent: list[float] = []
    lock = threading.Lock()

    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *args):
            pass

        def do_POST(self):
            body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
            with lock:
                sent.append(body["sent_at"])
                number = len(sent)
            data = json.dumps({"msgid": f"b{number}"}).encode()
            self.send_response(200)
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

    server = type("ProviderServer", (ThreadingHTTPServer,), {"request_queue_size": 256})(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server, sent


def bench_delivery(plat, ids: dict, url: str, redis_url: str, key: str, instance: Path, count: int, rate: float,
                   sent: list[float], threads: int) -> dict:
    from outbound_support import CHANNEL_PATH, write_distribution
    from sqlmodel import Session

    from scrm.core.models import DeliveryStatus, MessageDelivery
    from scrm.core.outbound import plan_bulk_send
    from scrm.core.outbound.message import OutboundMessage

    plat.bus.flush()
    client = plat.bus.broker.client
    for stale in client.scan_iter(f"{NAMESPACE}:throttle:*"):
        client.delete(stale)
    folder = write_distribution(instance / "dist")
    env = {**os.environ, "SCRM_DATABASE_URL": url, "SCRM_BROKER_URL": redis_url, "SCRM_REDIS_URL": redis_url,
           "SCRM_PLUGINS_TOML": str(instance / "plugins.toml"), "SCRM_ENCRYPTION_KEY": key,
           "SCRM_SECRET_KEY": "bench", "SCRM_INSTANCE_PATH": str(instance),
           "PYTHONPATH": os.pathsep.join([str(folder), str(CHANNEL_PATH), os.environ.get("PYTHONPATH", "")])}
    scrm = str(Path(sys.executable).with_name("scrm"))
    workers = [subprocess.Popen([scrm, "worker", "--threads", str(threads), "--queues", "outbound"], env=env,
                                stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True) for _ in range(2)]
    try:
        for worker in workers:
            for line in worker.stdout:
                if "worker started" in line:
                    break
        for worker in workers:  # keep reading their output so they never block on a full pipe
            threading.Thread(target=lambda w=worker: [None for _ in w.stdout], daemon=True).start()
        with Session(plat.engine) as session:
            plan_bulk_send(session, ids["tenant"], account=ids["paced"], purpose="notification",
                           task_ref="paced:1", message=OutboundMessage.text("Your parcel is on its way"),
                           audience=((None, f"1370000{i:04d}") for i in range(count)))
        deadline = time.monotonic() + count / rate * 4 + 30
        while len(sent) < count and time.monotonic() < deadline:
            time.sleep(0.2)
        time.sleep(1)
        with Session(plat.engine) as session:
            done = session.execute(select(func.count()).select_from(MessageDelivery).where(
                MessageDelivery.task_ref == "paced:1", MessageDelivery.status == DeliveryStatus.SENT)).scalar()
    finally:
        for worker in workers:
            worker.terminate()
        for worker in workers:
            worker.wait(30)
    times = sorted(sent)
    busiest = 0
    j = 0
    for i, start in enumerate(times):
        while j < len(times) and times[j] - start < 1.0:
            j += 1
        busiest = max(busiest, j - i)
    measured = (len(times) - 1) / (times[-1] - times[0]) if len(times) > 1 else 0.0
    return {"requests": len(times), "sent_rows": done, "rate": measured, "busiest": busiest}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--customers", type=int, default=100_000)
    parser.add_argument("--blacklisted", type=int, default=1_000)
    parser.add_argument("--deliver", type=int, default=2_000)
    parser.add_argument("--rate", type=float, default=200.0)
    parser.add_argument("--threads", type=int, default=16)
    args = parser.parse_args()
    url = os.environ.get("SCRM_BENCH_DATABASE_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/scrm_bench_outbound")
    redis_url = os.environ.get("SCRM_BENCH_REDIS_URL", "redis://127.0.0.1:6379/0")
    from scrm.core.secrets import generate_key

    key = generate_key()
    instance = Path(tempfile.mkdtemp(prefix="scrm-outbound-bench-"))
    prepare_postgres(url)
    server, sent = start_provider()
    provider_url = f"http://127.0.0.1:{server.server_port}"
    plat = build_platform(url, redis_url, instance, key)
    ids = setup(plat, args.customers, args.blacklisted, provider_url, args.rate)
    print(f"generated {args.customers:,} customers in one segment ({args.blacklisted:,} blacklisted) "
          f"in {ids['generate_s']:.1f} s; RSS {rss_mb():.0f} MB")
    # the baseline first: its rows are also the ledger's history (another purpose, not counted by the caps), and the
    # planner statistics are refreshed after it as autovacuum would on a ledger that has been in use
    baseline = bench_baseline(plat, ids, args.customers)
    with plat.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        conn.execute(text("ANALYZE message_delivery"))
    result = bench_plan(plat, ids, args.customers)
    plan = result["plan"]
    plan_rate = args.customers / result["seconds"]
    lines = [
        f"| bulk plan of one segment, PostgreSQL + Redis | {args.customers:,} recipients |",
        "| --- | --- |",
        f"| `plan_bulk_send` (exclusions, caps, ledger rows, jobs on Redis) | {result['seconds']:.1f} s, "
        f"**{plan_rate:,.0f} recipients/s** |",
        f"| rows queued / skipped (blacklist) / jobs on the broker | {plan.queued:,} / {plan.skipped:,} / "
        f"{result['broker']:,} |",
        f"| baseline: bare multi-row INSERT of the same rows (1,000 per statement) | {baseline:.1f} s, "
        f"{args.customers / baseline:,.0f} rows/s |",
    ]
    for mark, (seconds, now, peak) in sorted(result["samples"].items()):
        lines.append(f"| after {mark:,} recipients | {seconds:.1f} s, RSS {now:.0f} MB (peak {peak:.0f} MB) |")
    delivery = bench_delivery(plat, ids, url, redis_url, key, instance, args.deliver, args.rate, sent, args.threads)
    lines += [
        f"| delivery: {args.deliver:,} messages, declared {args.rate:.0f}/s, 2 `scrm worker` processes | "
        f"{delivery['rate']:.1f}/s measured ({(delivery['rate'] / args.rate - 1) * 100:+.1f} %), busiest second "
        f"{delivery['busiest']} sends, {delivery['requests']:,} requests, {delivery['sent_rows']:,} rows sent |",
    ]
    report = "\n".join(lines)
    print(report)
    out = HERE / "data"
    out.mkdir(exist_ok=True)
    (out / "outbound.md").write_text(report + "\n", encoding="utf-8")
    plat.bus.flush()
    plat.close()
    server.shutdown()


if __name__ == "__main__":
    main()
