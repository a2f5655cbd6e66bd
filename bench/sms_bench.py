"""SMS bulk-send benchmark (issue 13): one marketing bulk send to 1,000,000 customers of a tag on PostgreSQL + Redis
with the SMS sandbox as the vendor.

1. **Baseline** (same run): a bare ``INSERT INTO message_delivery ... SELECT`` of the same 1,000,000 ledger rows
   from the same tag audience, in chunks of 10,000 with a commit each (no exclusions, quota, cursor, variants or
   broker): what the database alone costs for these rows.
2. **Confirmation**: ``scrm_sms.bulk.service.create`` (audience counted, billed segments measured, the quota reserved
   in one conditional UPDATE).
3. **Planning**: ``plan_wave(limit=None)`` (the dispatcher plans in waves; here every wave at once): chunks of 10,000
   customers, each one ``INSERT ... SELECT`` from the tag audience through the channel kit's set-based path
   (``plan_bulk_set``: blacklist and opt-out list as SQL, a segment class per recipient, the reservation as a running
   budget), the cursor, the count and the quota released for skipped rows in the same transaction, then the chunk's
   send jobs to Redis in one round trip. RSS sampled every 0.2 s by a thread: the figure is the peak growth over the
   RSS at the start of the planning.
4. **Sending**: two ``scrm worker`` processes send at the account's declared rate to the sandbox (Aliyun API, signed
   requests); the rate is measured over a window (rows moved to ``sent`` between two instants after a warm-up), and
   the busiest second of the window (messages the sandbox took within any one second, by its arrival times)
   shows the limit is never exceeded.
5. **Exactness**: the send is cancelled; the rows still queued are ended as their send jobs end them on a cancelled
   send (skipped, ``sms_cancelled``: the jobs themselves would take 1,000,000 / rate seconds through the throttle, so
   the bench applies the same ledger move in one statement and empties the queue); the settlement then runs and the
   quota must equal, to the segment, purchased − segments of the rows the vendor accepted, with nothing reserved.

    .venv/bin/python bench/sms_bench.py                        # 1,000,000 recipients, 100/s declared, 30 s window
    .venv/bin/python bench/sms_bench.py --recipients 100000 --rate 50 --window 20

``SCRM_BENCH_DATABASE_URL`` (default ``postgresql+psycopg://postgres@127.0.0.1:5432/scrm_bench_sms``; created when
missing, its schema emptied) and ``SCRM_BENCH_REDIS_URL`` (default ``redis://127.0.0.1:6379/4``; namespace ``scrm``,
emptied). Results are printed as Markdown and written to ``bench/data/sms.md``.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

from sqlalchemy import func, select, text

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(ROOT / "plugins" / "sms" / "tests"))

from members_data import pad9, series  # noqa: E402
from outbound_bench import prepare_postgres, rss_mb  # noqa: E402

NAMESPACE = "scrm"
SIGN = "珍客零售"
CONTENT = "${customer_nickname}您好，星巢生活双12会员日全场满199减50，会员积分翻倍，详询门店"


def build_platform(url: str, redis_url: str, instance: Path, key: str):
    from scrm.core import migrate
    from scrm.core.config import Settings
    from scrm.hostapp import create_app

    (instance / "plugins.toml").write_text("[plugins.members]\n[plugins.sms]\n")
    app = create_app(Settings(instance_path=instance, database_url=url, broker_url=redis_url, redis_url=redis_url,
                              secret_key="bench", plugins_toml=instance / "plugins.toml", encryption_key=key),
                     broker_namespace=NAMESPACE)
    plat = app.extensions["scrm"]
    migrate.upgrade(plat.engine, plat.registry)
    plat.bus.flush()
    return app, plat


def start_sandbox(plat) -> str:
    import logging

    from sms_testkit import SandboxControl
    from werkzeug.serving import make_server

    logging.getLogger("werkzeug").setLevel(logging.WARNING)  # one access line per request would cost the GIL
    server = make_server("127.0.0.1", 0, plat.registry.plugin("sms").sandbox_app(), threaded=True)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    base = f"http://127.0.0.1:{server.server_port}"
    control = SandboxControl(base)
    control.post("config", {"auto_report": False})
    control.seed("aliyun")
    return base


def setup(plat, customers: int, sandbox: str, rate: float) -> dict:
    from sms_testkit import CALLBACK_TOKEN, KEYS, SIGN, TEXT_TEMPLATE

    from scrm.core.db import session_scope
    from scrm.core.plugins.enablement import enable_plugin
    from scrm.core.services.channels import create_account
    from scrm.core.services.users import create_tenant

    with session_scope(plat.engine) as session:
        tenant = create_tenant(session, "bench", "星巢生活")
        enable_plugin(session, plat.registry, tenant, "members")
        enable_plugin(session, plat.registry, tenant, "sms")
        keys = KEYS["aliyun"]
        account = create_account(session, plat.secrets, tenant.id, "sms", "阿里云短信", keys["key_id"],
                                 {"key_secret": keys["key_secret"], "callback_token": CALLBACK_TOKEN},
                                 config={"provider": "aliyun", "api_base": f"{sandbox}/aliyun", "sign_name": SIGN,
                                         "text_template": TEXT_TEMPLATE["aliyun"], "rate_limit": rate})
        ids = {"tenant": tenant.id, "account": account.id}
        from sms_testkit import approve_signature

        approve_signature(session, tenant.id, account.id, SIGN)
    t = ids["tenant"]
    start = time.perf_counter()
    with plat.engine.begin() as conn:
        conn.execute(text(
            "INSERT INTO customer (tenant_id, name, mobile, gender, source, is_member, attributes, created_at, "
            f"updated_at) SELECT {t}, '会员' || g.i, '13' || {pad9('postgresql', 'g.i')}, 0, 'import', true, "
            f"'{{}}', now(), now() FROM {series('postgresql', customers)}"))
        group = conn.execute(text(f"INSERT INTO tag_group (tenant_id, name, \"order\", source, created_at) VALUES "
                                  f"({t}, '会员等级', 0, 'manual', now()) RETURNING id")).scalar()
        tag = conn.execute(text(f"INSERT INTO tag (tenant_id, group_id, name, \"order\", source, created_at) VALUES "
                                f"({t}, {group}, '全部会员', 0, 'manual', now()) RETURNING id")).scalar()
        conn.execute(text(f"INSERT INTO customer_tag (tenant_id, customer_id, tag_id, employee_key, source, "
                          f"created_at) SELECT {t}, id, {tag}, 0, 'manual', now() FROM customer WHERE tenant_id = {t}"))
    with plat.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        conn.execute(text("VACUUM ANALYZE"))
    ids["tag"] = tag
    ids["generate_s"] = time.perf_counter() - start
    return ids


def bench_baseline(plat, ids: dict, chunk: int = 10_000) -> float:
    """The same rows by a bare INSERT ... SELECT per chunk of ``chunk`` customers of the tag (one commit each)."""
    import json

    from scrm.core.models import Customer, CustomerTag

    message = json.dumps({"kind": "text", "payload": {"content": CONTENT}}, ensure_ascii=False)
    start = time.perf_counter()
    with plat.engine.connect() as conn:
        last = 0
        while True:
            top = conn.execute(select(func.max(text("c.id"))).select_from(
                select(Customer.id.label("id")).join(CustomerTag, CustomerTag.customer_id == Customer.id).where(
                    CustomerTag.tag_id == ids["tag"], Customer.id > last).order_by(Customer.id).limit(chunk)
                .subquery("c"))).scalar()
            if top is None:
                break
            conn.execute(text(
                "INSERT INTO message_delivery (tenant_id, channel, account_id, customer_id, recipient, kind, task_ref, "
                "idempotency_key, status, purpose, message, attempts, created_at, enqueued_at) "
                "SELECT :t, 'sms', :a, c.id, c.mobile, 'sms_bulk', 'baseline', 'baseline:' || c.id, 'QUEUED', "
                "'baseline', CAST(:m AS JSON), 0, now(), now() FROM customer c JOIN customer_tag ct "
                "ON ct.customer_id = c.id WHERE ct.tag_id = :tag AND c.id > :lo AND c.id <= :hi"),
                {"t": ids["tenant"], "a": ids["account"], "m": message, "tag": ids["tag"], "lo": last, "hi": top})
            conn.commit()
            last = top
    seconds = time.perf_counter() - start
    with plat.engine.begin() as conn:
        conn.execute(text("DELETE FROM message_delivery WHERE task_ref = 'baseline'"))
    with plat.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        conn.execute(text("VACUUM ANALYZE message_delivery"))
    return seconds


class Sampler(threading.Thread):
    def __init__(self) -> None:
        super().__init__(daemon=True)
        self.samples: list[tuple[float, float]] = []
        self.stop = threading.Event()
        self.start_at = time.perf_counter()

    def run(self) -> None:
        while not self.stop.is_set():
            self.samples.append((time.perf_counter() - self.start_at, rss_mb()))
            time.sleep(0.2)


def bench_confirm_and_plan(app, plat, ids: dict, customers: int) -> dict:
    from scrm_sms.bulk import service
    from scrm_sms.bulk.models import SmsBulkSend
    from scrm_sms.quota import service as quota
    from sqlmodel import Session

    from scrm.core.models import Tenant

    with app.test_request_context(), Session(plat.engine, expire_on_commit=False) as session:
        quota.top_up(session, ids["tenant"], "marketing", 2 * customers, note="bench")
        session.commit()
        tenant = session.get(Tenant, ids["tenant"])
        start = time.perf_counter()
        bulk = service.create(session, tenant, account_id=ids["account"], category="marketing", signature=SIGN,
                              content=CONTENT, audience={"mode": "tags", "tag_ids": [ids["tag"]]})
        session.commit()
        confirm_s = time.perf_counter() - start
        session.execute(text("UPDATE sms_bulk_send SET status = 'sending' WHERE id = :i"), {"i": bulk.id})
        session.commit()
        bulk = session.get(SmsBulkSend, bulk.id, populate_existing=True)
        sampler = Sampler()
        sampler.start()
        start = time.perf_counter()
        read = service.plan_wave(session, bulk, None)
        plan_s = time.perf_counter() - start
        sampler.stop.set()
        sampler.join()
        balance = quota.balance(session, ids["tenant"], "marketing")
    return {"bulk": bulk.id, "estimated": bulk.estimated, "classes": bulk.classes, "confirm_s": confirm_s,
            "plan_s": plan_s, "read": read, "samples": sampler.samples, "balance": balance,
            "broker": plat.bus.broker.client.llen(f"{NAMESPACE}:outbound")}


def sent_rows(plat, bulk_id: int) -> int:
    with plat.engine.connect() as conn:
        return conn.execute(text("SELECT count(*) FROM message_delivery WHERE tenant_id = (SELECT tenant_id FROM "
                                 "sms_bulk_send WHERE id = :b) AND task_ref LIKE :p AND status = 'SENT'"),
                            {"b": bulk_id, "p": f"sms_bulk:{bulk_id}:%"}).scalar()


def busiest_second(sandbox: str, start: float, end: float) -> int:
    """The most messages the vendor (the sandbox) took within any one second, by its arrival times, between two
    instants (epoch seconds)."""
    from sms_testkit import SandboxControl

    times = sorted(m["sent_at"] for m in SandboxControl(sandbox).sent() if start <= m["sent_at"] < end)
    best, low = 0, 0
    for high, at in enumerate(times):
        while at - times[low] >= 1.0:
            low += 1
        best = max(best, high - low + 1)
    return best


def bench_send(plat, url: str, redis_url: str, key: str, instance: Path, bulk_id: int, window: float,
               threads: int, sandbox: str) -> dict:
    client = plat.bus.broker.client
    for stale in client.scan_iter(f"{NAMESPACE}:throttle:*"):
        client.delete(stale)
    env = {**os.environ, "SCRM_DATABASE_URL": url, "SCRM_BROKER_URL": redis_url, "SCRM_REDIS_URL": redis_url,
           "SCRM_PLUGINS_TOML": str(instance / "plugins.toml"), "SCRM_ENCRYPTION_KEY": key,
           "SCRM_SECRET_KEY": "bench", "SCRM_INSTANCE_PATH": str(instance)}
    scrm = str(Path(sys.executable).with_name("scrm"))
    workers = [subprocess.Popen([scrm, "worker", "--threads", str(threads), "--queues", "outbound"], env=env,
                                stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True) for _ in range(2)]
    try:
        for worker in workers:
            for line in worker.stdout:
                if "worker started" in line:
                    break
        log = open(instance / "workers.log", "a", encoding="utf-8")  # noqa: SIM115  (closed with the process)
        for worker in workers:
            threading.Thread(target=lambda w=worker: [log.write(line) for line in w.stdout], daemon=True).start()
        time.sleep(5)  # warm-up: connections, the account directory, the throttle's first slots
        first, t0, w0 = sent_rows(plat, bulk_id), time.monotonic(), time.time()
        time.sleep(window)
        last, t1, w1 = sent_rows(plat, bulk_id), time.monotonic(), time.time()
    finally:
        for worker in workers:
            worker.terminate()
        for worker in workers:
            worker.wait(60)
    return {"rate": (last - first) / (t1 - t0), "window": t1 - t0, "sent_total": last,
            "peak": busiest_second(sandbox, w0, w1)}


def bench_exactness(app, plat, ids: dict, bulk_id: int) -> dict:
    from scrm_sms.bulk import service
    from scrm_sms.bulk.delivery import CANCELLED_CODE
    from scrm_sms.bulk.models import SmsBulkSend
    from scrm_sms.quota import service as quota
    from sqlmodel import Session

    plat.bus.flush()
    time.sleep(2)  # the last provider answers of the stopped workers are recorded or not: both are settled
    with app.test_request_context(), Session(plat.engine, expire_on_commit=False) as session:
        bulk = session.get(SmsBulkSend, bulk_id)
        service.cancel(session, bulk)
        session.commit()
        # what each remaining send job does on a cancelled send (declined -> skipped), in one statement; a row a
        # stopped worker left 'sending' is settled the way the platform's resolve_unknown settles it
        session.execute(text(
            "UPDATE message_delivery SET status = 'SKIPPED', error_code = :c, error = 'the bulk send was cancelled' "
            "WHERE tenant_id = :t AND task_ref LIKE :p AND status = 'QUEUED'"),
            {"c": CANCELLED_CODE, "t": ids["tenant"], "p": f"sms_bulk:{bulk_id}:%"})
        session.execute(text(
            "UPDATE message_delivery SET status = CAST(CASE WHEN provider_id IS NULL THEN 'FAILED' ELSE 'SENT' END AS deliverystatus) "
            "WHERE tenant_id = :t AND task_ref LIKE :p AND status = 'SENDING'"),
            {"t": ids["tenant"], "p": f"sms_bulk:{bulk_id}:%"})
        session.commit()
        start = time.perf_counter()
        service.dispatch_once(session, bulk_id, ids["tenant"])
        settle_s = time.perf_counter() - start
        bulk = session.get(SmsBulkSend, bulk_id, populate_existing=True)
        accepted = session.execute(text(
            "SELECT coalesce(sum(CAST(split_part(task_ref, ':', 3) AS INTEGER)), 0) FROM message_delivery "
            "WHERE tenant_id = :t AND task_ref LIKE :p AND provider_id IS NOT NULL"),
            {"t": ids["tenant"], "p": f"sms_bulk:{bulk_id}:%"}).scalar()
        balance = quota.balance(session, ids["tenant"], "marketing")
    return {"accepted_segments": accepted, "balance": balance, "bulk": bulk, "settle_s": settle_s}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--recipients", "--customers", dest="customers", type=int, default=1_000_000)
    parser.add_argument("--rate", type=float, default=100.0)
    parser.add_argument("--window", type=float, default=30.0)
    parser.add_argument("--threads", type=int, default=8)
    args = parser.parse_args()
    url = os.environ.get("SCRM_BENCH_DATABASE_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/scrm_bench_sms")
    redis_url = os.environ.get("SCRM_BENCH_REDIS_URL", "redis://127.0.0.1:6379/4")
    from scrm.core.secrets import generate_key

    key = generate_key()
    instance = Path(tempfile.mkdtemp(prefix="scrm-sms-bench-"))
    os.environ["SCRM_PUBLIC_URL"] = "http://127.0.0.1"
    prepare_postgres(url)
    app, plat = build_platform(url, redis_url, instance, key)
    sandbox = start_sandbox(plat)
    ids = setup(plat, args.customers, sandbox, args.rate)
    print(f"generated {args.customers:,} tagged customers in {ids['generate_s']:.1f} s; RSS {rss_mb():.0f} MB",
          flush=True)
    baseline = bench_baseline(plat, ids)
    print(f"baseline {baseline:.1f} s", flush=True)
    plan = bench_confirm_and_plan(app, plat, ids, args.customers)
    print(f"planned in {plan['plan_s']:.1f} s", flush=True)
    rss = plan["samples"]
    quarter = [r for t, r in rss if t >= plan["plan_s"] * 0.25]
    send = bench_send(plat, url, redis_url, key, instance, plan["bulk"], args.window, args.threads, sandbox)
    exact = bench_exactness(app, plat, ids, plan["bulk"])
    b = exact["balance"]
    purchased = 2 * args.customers
    ok = (b.sent == exact["accepted_segments"] == exact["bulk"].consumed and b.reserved == 0
          and b.available == purchased - b.sent and b.purchased == purchased)
    growth = max(r for _, r in rss) - rss[0][1]
    lines = [
        f"| SMS bulk send, PostgreSQL + Redis, sandbox vendor | {args.customers:,} recipients |",
        "| --- | --- |",
        f"| confirmation (audience counted, segments measured, quota reserved) | {plan['confirm_s']:.2f} s, "
        f"{plan['estimated']:,} billed messages reserved (classes {plan['classes']}) |",
        f"| planning: chunks of 10,000 by INSERT ... SELECT through `plan_bulk_set` (exclusions in SQL, ledger, "
        f"cursor and quota per chunk, jobs on Redis) | {plan['plan_s']:.1f} s, "
        f"**{args.customers / plan['plan_s']:,.0f} recipients/s** |",
        f"| baseline in the same run: bare INSERT ... SELECT of the same rows, chunks of 10,000 | {baseline:.1f} s, "
        f"{args.customers / baseline:,.0f} rows/s (planning takes {plan['plan_s'] / baseline:.2f}x) |",
        f"| send jobs on the broker after planning | {plan['broker']:,} |",
        f"| RSS during planning (sampled every 0.2 s) | start {rss[0][1]:.0f} MB, after the first quarter "
        f"{min(quarter):.0f}–{max(quarter):.0f} MB, end {rss[-1][1]:.0f} MB: **peak growth {growth:.0f} MB** |",
        f"| sending, 2 `scrm worker` processes × {args.threads} threads, declared {args.rate:.0f}/s | "
        f"{send['rate']:.1f}/s over a {send['window']:.0f} s window "
        f"({(send['rate'] / args.rate - 1) * 100:+.1f} %); busiest one-second window {send['peak']} sends |",
        f"| quota at the end (cancelled after the window; settlement {exact['settle_s']:.1f} s) | purchased "
        f"{b.purchased:,}, sent {b.sent:,} = segments of accepted rows {exact['accepted_segments']:,}, reserved "
        f"{b.reserved}, available {b.available:,}: **{'exact' if ok else 'NOT EXACT'}** |",
    ]
    report = "\n".join(lines)
    print(report)
    print(f"worker output: {instance / 'workers.log'}")
    out = HERE / "data"
    out.mkdir(exist_ok=True)
    (out / "sms.md").write_text(report + "\n", encoding="utf-8")
    plat.bus.flush()
    plat.close()


if __name__ == "__main__":
    main()
