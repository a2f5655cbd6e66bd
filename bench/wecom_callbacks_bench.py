"""WeCom callback ingestion through gunicorn: encrypted ``add_external_contact`` callbacks POSTed by 100 concurrent
senders to ``/callbacks/wecom/<id>`` (verified, decrypted, stored, enqueued, answered ``success``), next to a bare
Flask endpoint served by the same gunicorn configuration in the same run. Goals: at least 40 % of the bare rate, and
a 99th-percentile latency under 200 ms. Both apps are served at once and measured in alternating rounds (bare, platform,
bare, platform ...), because this machine's speed drifts by tens of percent from one minute to the next: each app's
rate is its answered requests over its own measured time, so both see the same drift.

    .venv/bin/python bench/wecom_callbacks_bench.py                      # PostgreSQL + Redis, as in production
    .venv/bin/python bench/wecom_callbacks_bench.py --db sqlite --no-redis --requests 4000 --rounds 4

PostgreSQL: ``SCRM_BENCH_DATABASE_URL`` (default: database ``scrm_bench_wecom`` on 127.0.0.1, created when missing,
schema emptied); Redis: ``SCRM_BENCH_REDIS_URL`` (default ``redis://127.0.0.1:6379/5``; the ``scrm:*`` keys are
deleted before and after). No worker runs: the measured work ends when the job is on the broker; the script then
checks that every answered callback was stored once and enqueued.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from wecom_bench_support import (  # noqa: E402
    CORP_ID,
    REDIS_DEFAULT,
    blast,
    clear_broker,
    database_url,
    encrypted_callback,
    gunicorn,
    machine_cpu_seconds,
    percentile,
    provision,
)


def bare_app():
    """The baseline: a Flask endpoint that reads the body and answers ``success`` (gunicorn app factory)."""
    from flask import Flask, request

    app = Flask("bare")

    @app.post("/callbacks/wecom/<int:account_id>")
    def callback(account_id: int):
        request.get_data()
        return "success", 200, {"Content-Type": "text/plain"}

    return app


def callbacks(account_id: int, count: int, offset: int) -> list[bytes]:
    from scrm_wecom.sandbox import event_xml

    return [encrypted_callback(account_id, event_xml(
        CORP_ID, "change_external_contact", "add_external_contact", UserID=f"u{n % 50:03d}",
        ExternalUserID=f"wmBenchCallback{n:08d}", WelcomeCode=f"WELCOME{n:08d}"), "127.0.0.1")
        for n in range(offset, offset + count)]


class Tally:
    """What one app did over the rounds: requests answered, time spent, latencies, CPU."""

    def __init__(self, label: str, served) -> None:
        self.label, self.served = label, served
        self.sent = self.ok = 0
        self.seconds = self.cpu = self.machine = 0.0
        self.latencies: list[float] = []
        self.round_rates: list[float] = []

    def blast(self, requests: list[bytes], concurrency: int) -> None:
        cpu, machine = self.served.cpu_seconds(), machine_cpu_seconds()
        elapsed, results = blast(self.served.port, requests, concurrency)
        self.cpu += self.served.cpu_seconds() - cpu
        self.machine += machine_cpu_seconds() - machine
        ok = [latency for status, latency in results if status == 200]
        self.sent += len(results)
        self.ok += len(ok)
        self.seconds += elapsed
        self.latencies += ok
        self.round_rates.append(len(ok) / elapsed if elapsed else 0.0)

    @property
    def rate(self) -> float:
        return self.ok / self.seconds if self.seconds else 0.0

    def report(self) -> dict:
        figures = {"rate": self.rate, "p50": percentile(self.latencies, 0.50) * 1000,
                   "p95": percentile(self.latencies, 0.95) * 1000, "p99": percentile(self.latencies, 0.99) * 1000,
                   "max": max(self.latencies) * 1000, "cpu_ms": self.cpu / max(1, self.sent) * 1000,
                   "machine_ms": self.machine / max(1, self.sent) * 1000}
        print(f"{self.label}: {self.ok:,}/{self.sent:,} answered 200 in {self.seconds:.1f} s = {figures['rate']:,.0f} "
              f"req/s (rounds {min(self.round_rates):,.0f}-{max(self.round_rates):,.0f}); latency p50 "
              f"{figures['p50']:.0f} ms, p95 {figures['p95']:.0f} ms, p99 {figures['p99']:.0f} ms, max "
              f"{figures['max']:.0f} ms; gunicorn CPU {figures['cpu_ms']:.2f} ms per request, whole machine "
              f"{figures['machine_ms']:.2f} ms", flush=True)
        return figures


def check_stored(url: str, tenant_id: int, expected: int, broker_url: str | None) -> None:
    """Every answered callback stored once, and (Redis) its id in exactly one ``process_callbacks`` message and its
    welcome code in exactly one ``send_welcomes`` message."""
    import json

    from sqlalchemy import create_engine, text

    engine = create_engine(url)
    with engine.connect() as conn:
        stored = conn.execute(text("SELECT count(*) FROM inbound_callback WHERE tenant_id = :t"),
                              {"t": tenant_id}).scalar_one()
    engine.dispose()
    summary = "n/a (in-process broker)"
    if broker_url:
        import redis

        client = redis.Redis.from_url(broker_url)

        def items(queue: str, kwarg: str) -> tuple[int, list]:
            bodies = [json.loads(raw) for raw in client.hvals(f"scrm:{queue}.msgs")]
            return len(bodies), [item for body in bodies for item in body["kwargs"][kwarg]]

        batches, ids = items("wecom", "inbound_ids")
        welcome_messages, welcomes = items("wecom_welcome", "items")
        client.close()
        codes = [w["welcome_code"] for w in welcomes]
        summary = (f"{len(ids):,} callback ids in {batches:,} process_callbacks messages, {len(codes):,} welcomes in "
                   f"{welcome_messages:,} send_welcomes messages")
        if len(ids) != len(set(ids)) or len(ids) != stored or len(codes) != len(set(codes)) or len(codes) != stored:
            raise SystemExit(f"MISMATCH: {summary} for {stored:,} stored callbacks")
    print(f"stored callbacks: {stored:,} (expected {expected:,}); on the queues: {summary}")
    if stored != expected:
        raise SystemExit("MISMATCH: not every answered callback was stored exactly once")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", choices=("postgresql", "sqlite"), default="postgresql")
    parser.add_argument("--no-redis", action="store_true", help="In-process broker (each gunicorn worker its own).")
    parser.add_argument("--requests", type=int, default=12000, help="Platform callbacks measured (all rounds).")
    parser.add_argument("--concurrency", type=int, default=100)
    parser.add_argument("--rounds", type=int, default=8)
    args = parser.parse_args()

    broker_url = None if args.no_redis else os.environ.get("SCRM_BENCH_REDIS_URL", REDIS_DEFAULT)
    bench = provision(database_url(args.db, "scrm_bench_wecom"), broker_url)
    warmup, per_round = 500, max(1, args.requests // args.rounds)
    print(f"preparing {warmup * 2 + per_round * args.rounds * 3:,} encrypted callbacks ...", flush=True)
    bare_requests = callbacks(bench.account_id, warmup + 2 * per_round, 10_000_000)
    platform_requests = callbacks(bench.account_id, warmup + per_round * args.rounds, 0)

    bare = gunicorn("wecom_callbacks_bench:bare_app()", bench.env, extra_path=HERE)
    served = gunicorn("scrm.hostapp:serving_app()", bench.env)
    try:
        blast(bare.port, bare_requests[:warmup], args.concurrency)
        blast(served.port, platform_requests[:warmup], args.concurrency)
        tallies = (Tally("bare Flask", bare),
                   Tally(f"platform ({args.db}{', Redis' if broker_url else ''})", served))
        for number in range(args.rounds):  # A, B, A, B ...: both apps see the same drift of the machine
            tallies[0].blast(bare_requests[warmup:], args.concurrency)
            start = warmup + number * per_round
            tallies[1].blast(platform_requests[start:start + per_round], args.concurrency)
    finally:
        bare.stop()
        served.stop()
    bare_figures, platform_figures = tallies[0].report(), tallies[1].report()
    check_stored(bench.url, bench.tenant_id, tallies[1].ok + warmup, broker_url)
    clear_broker(broker_url)

    share = platform_figures["rate"] / bare_figures["rate"] if bare_figures["rate"] else 0.0
    shares = [p / b for b, p in zip(tallies[0].round_rates, tallies[1].round_rates, strict=True) if b]
    print(f"platform / bare: {share:.0%} over {args.rounds} alternating rounds (per round "
          f"{min(shares):.0%}-{max(shares):.0%}, median {statistics.median(shares):.0%}; goal >= 40 %: "
          f"{'met' if share >= 0.4 else 'MISSED'}); platform p99 {platform_figures['p99']:.0f} ms (goal < 200 ms: "
          f"{'met' if platform_figures['p99'] < 200 else 'MISSED'})")


if __name__ == "__main__":
    main()
