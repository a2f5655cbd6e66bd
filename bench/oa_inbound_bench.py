"""Official-account inbound text messages through gunicorn: safe-mode messages POSTed by 100 concurrent senders to
``/callbacks/official_account/<id>`` with 20 keyword rules configured (the auto-reply area's rules when it is
installed, else a trivial reply hook): verified (plain signature and msg_signature), decrypted with the AppID checked,
matched, stored, enqueued and answered with an **encrypted passive reply**, next to a bare Flask endpoint served by
the same gunicorn configuration in the same run. Goals: at least 40 % of the bare rate, and a 99th-percentile latency
under 200 ms. Both apps are measured in alternating rounds (bare, platform, bare, platform ...), because this
machine's speed drifts from one minute to the next: each app's rate is its answered requests over its own time.

    .venv/bin/python bench/oa_inbound_bench.py                      # PostgreSQL + Redis, as in production
    .venv/bin/python bench/oa_inbound_bench.py --db sqlite --no-redis --requests 4000 --rounds 4

PostgreSQL: ``SCRM_BENCH_DATABASE_URL`` (default: database ``scrm_bench_oa`` on 127.0.0.1, created when missing,
schema emptied); Redis: ``SCRM_BENCH_REDIS_URL`` (default ``redis://127.0.0.1:6379/5``; the ``scrm:*`` keys are
deleted before and after). No worker runs: the measured work ends with the reply sent and the processing job on the
broker. Afterwards the script checks that every answered message was stored exactly once, and that sample answers
are encrypted passive replies carrying the matching rule's text.
"""

from __future__ import annotations

import argparse
import os
import secrets
import statistics
import sys
import tempfile
import time
from pathlib import Path
from urllib.parse import urlencode

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from wecom_bench_support import (  # noqa: E402
    REDIS_DEFAULT,
    blast,
    clear_broker,
    database_url,
    gunicorn,
    machine_cpu_seconds,
    percentile,
)

APPID = "wxbe0c4a11b0000001"
ORIGINAL_ID = "gh_be0c4a11b001"
APP_SECRET = "b" * 32
TOKEN = "OaBenchToken2026"
AES_KEY = "OaB3nchEncodingAESKeyForInboundMessages0001"
KEYWORDS = ("优惠", "会员", "积分", "门店", "营业时间", "退货", "换货", "快递", "发票", "预约", "新品", "尺码",
            "面膜", "口红", "香水", "礼盒", "生日", "充值", "客服", "活动")
"""20 keyword rules, one keyword each (contains match); every message contains one of them."""


def bare_app():
    """The baseline: a Flask endpoint that reads the body and answers ``success`` (gunicorn app factory)."""
    from flask import Flask, request

    app = Flask("bare")

    @app.post("/callbacks/official_account/<int:account_id>")
    def callback(account_id: int):
        request.get_data()
        return "success", 200, {"Content-Type": "text/plain"}

    return app


class Provisioned:
    def __init__(self, url: str, env: dict[str, str], tenant_id: int, account_id: int, rules: str) -> None:
        self.url, self.env, self.tenant_id, self.account_id, self.rules = url, env, tenant_id, account_id, rules


def provision(url: str, broker_url: str | None) -> Provisioned:
    """Migrate; tenant ``bench`` with official_account enabled, one safe-mode account and 20 keyword rules."""
    from scrm_official_account.accounts import save_account
    from sqlmodel import Session

    from scrm.core import migrate
    from scrm.core.config import Settings
    from scrm.core.platform import Platform
    from scrm.core.plugins.enablement import enable_plugin
    from scrm.core.secrets import generate_key
    from scrm.core.services.users import create_tenant

    instance = Path(tempfile.mkdtemp(prefix="scrm-bench-oa-"))
    (instance / "plugins.toml").write_text("[plugins.official_account]\n", encoding="utf-8")
    env = {**os.environ, "SCRM_DATABASE_URL": url, "SCRM_INSTANCE_PATH": str(instance),
           "SCRM_PLUGINS_TOML": str(instance / "plugins.toml"), "SCRM_SECRET_KEY": secrets.token_hex(16),
           "SCRM_ENCRYPTION_KEY": generate_key()}
    env.pop("SCRM_SANDBOXES", None)
    if broker_url:
        env.update(SCRM_BROKER_URL=broker_url, SCRM_REDIS_URL=broker_url)
    else:
        env.pop("SCRM_BROKER_URL", None)
        env.pop("SCRM_REDIS_URL", None)
    settings = Settings(instance_path=instance, database_url=url, broker_url=broker_url, redis_url=broker_url,
                        secret_key=env["SCRM_SECRET_KEY"], encryption_key=env["SCRM_ENCRYPTION_KEY"],
                        plugins_toml=instance / "plugins.toml")
    clear_broker(broker_url)
    plat = Platform(settings)
    try:
        migrate.upgrade(plat.engine, plat.registry)
        with Session(plat.engine, expire_on_commit=False) as session:
            tenant = create_tenant(session, "bench", "Bench Brand")
            enable_plugin(session, plat.registry, tenant, "official_account", None)
            account = save_account(session, plat.secrets, tenant.id, name="Bench 服务号", appid=APPID,
                                   app_secret=APP_SECRET, token=TOKEN, encoding_aes_key=AES_KEY, mode="safe",
                                   original_id=ORIGINAL_ID, api_base="http://127.0.0.1:9")
            rules = _keyword_rules(session, tenant.id, account.id)
            session.commit()
            return Provisioned(url, env, tenant.id, account.id, rules)
    finally:
        plat.close()


def _keyword_rules(session, tenant_id: int, account_id: int) -> str:
    """The auto-reply area's 20 rules when it is installed; else the bench's own reply hook (``--pythonpath``)."""
    try:
        from scrm_official_account.autoreply import service
    except ImportError:
        return "bench reply hook (auto-reply area not installed)"
    for n, keyword in enumerate(KEYWORDS):
        service.create_rule(session, tenant_id, account_id, service.RuleInput(
            name=f"规则{n + 1:02d} {keyword}", keywords=[service.KeywordInput(keyword, service.HALF)],
            reply=service.ReplyInput(type=service.TEXT, text=f"关于「{keyword}」：详情请见菜单或回复客服。")))
    service.set_switch(session, tenant_id, account_id, "keyword", True)
    return "auto-reply keyword rules (scrm_official_account.autoreply)"


def message_request(account_id: int, n: int, host: str = "127.0.0.1") -> bytes:
    """One raw HTTP request: a fan's text message, encrypted and signed as WeChat does in safe mode."""
    import hashlib

    from scrm.sdk.wechat import WeChatCrypto, build_xml

    keyword = KEYWORDS[n % len(KEYWORDS)]
    xml = build_xml({"ToUserName": ORIGINAL_ID, "FromUserName": f"oBenchFan{n % 5000:06d}",
                     "CreateTime": int(time.time()), "MsgType": "text",
                     "Content": f"你好，想问一下{keyword}的事情", "MsgId": str(7_000_000_000_000 + n)})
    timestamp, nonce = str(int(time.time())), str(secrets.randbelow(10**9))
    encrypt, signature = WeChatCrypto(TOKEN, AES_KEY, APPID).encrypt_message(xml, timestamp, nonce)
    body = build_xml({"ToUserName": ORIGINAL_ID, "Encrypt": encrypt}).encode("utf-8")
    plain = hashlib.sha1("".join(sorted([TOKEN, timestamp, nonce])).encode()).hexdigest()
    query = urlencode({"signature": plain, "timestamp": timestamp, "nonce": nonce, "openid": f"oBenchFan{n:06d}",
                       "encrypt_type": "aes", "msg_signature": signature})
    head = (f"POST /callbacks/official_account/{account_id}?{query} HTTP/1.1\r\nHost: {host}\r\n"
            f"Content-Type: text/xml\r\nContent-Length: {len(body)}\r\n\r\n")
    return head.encode("ascii") + body


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


def check_replies(port: int, account_id: int, samples: int = 40) -> None:
    """Sample answers are encrypted passive replies (safe mode) with the matching keyword's reply."""
    import http.client

    from scrm.sdk.wechat import WeChatCrypto, parse_xml

    crypto = WeChatCrypto(TOKEN, AES_KEY, APPID, max_age=None)
    matched = 0
    for n in range(samples):
        raw = message_request(account_id, 90_000_000 + n)
        head, body = raw.split(b"\r\n\r\n", 1)
        target = head.split(b" ")[1].decode()
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
        conn.request("POST", target, body=body, headers={"Content-Type": "text/xml"})
        answer = conn.getresponse().read().decode()
        conn.close()
        envelope = parse_xml(answer)
        reply = parse_xml(crypto.decrypt_message(envelope["MsgSignature"], envelope["TimeStamp"], envelope["Nonce"],
                                                 envelope["Encrypt"]))
        keyword = KEYWORDS[(90_000_000 + n) % len(KEYWORDS)]
        if reply.get("MsgType") == "text" and keyword in str(reply.get("Content")) \
                and reply.get("FromUserName") == ORIGINAL_ID:
            matched += 1
    print(f"sampled replies: {matched}/{samples} encrypted passive replies with the matching rule's text")
    if matched != samples:
        raise SystemExit("MISMATCH: not every sampled message got its keyword's passive reply")


def check_stored(url: str, tenant_id: int, expected: int) -> None:
    from sqlalchemy import create_engine, text

    engine = create_engine(url)
    with engine.connect() as conn:
        stored = conn.execute(text("SELECT count(*), count(DISTINCT dedupe_key) FROM inbound_callback "
                                   "WHERE tenant_id = :t"), {"t": tenant_id}).one()
    engine.dispose()
    print(f"stored messages: {stored[0]:,} ({stored[1]:,} distinct; expected {expected:,})")
    if stored[0] != expected or stored[1] != expected:
        raise SystemExit("MISMATCH: not every answered message was stored exactly once")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", choices=("postgresql", "sqlite"), default="postgresql")
    parser.add_argument("--no-redis", action="store_true", help="In-process broker (each gunicorn worker its own).")
    parser.add_argument("--requests", type=int, default=12000, help="Platform messages measured (all rounds).")
    parser.add_argument("--concurrency", type=int, default=100)
    parser.add_argument("--rounds", type=int, default=8)
    args = parser.parse_args()

    broker_url = None if args.no_redis else os.environ.get("SCRM_BENCH_REDIS_URL", REDIS_DEFAULT)
    bench = provision(database_url(args.db, "scrm_bench_oa"), broker_url)
    print(f"replies by: {bench.rules}", flush=True)
    warmup, per_round = 500, max(1, args.requests // args.rounds)
    print(f"preparing {warmup * 2 + per_round * args.rounds * 2:,} encrypted messages ...", flush=True)
    bare_requests = [message_request(bench.account_id, 10_000_000 + n) for n in range(warmup + per_round)]
    platform_requests = [message_request(bench.account_id, n) for n in range(warmup + per_round * args.rounds)]

    bare = gunicorn("oa_inbound_bench:bare_app()", bench.env, extra_path=HERE)
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
        check_replies(served.port, bench.account_id)
    finally:
        bare.stop()
        served.stop()
    bare_figures, platform_figures = tallies[0].report(), tallies[1].report()
    check_stored(bench.url, bench.tenant_id, tallies[1].ok + warmup + 40)
    clear_broker(broker_url)

    share = platform_figures["rate"] / bare_figures["rate"] if bare_figures["rate"] else 0.0
    shares = [p / b for b, p in zip(tallies[0].round_rates, tallies[1].round_rates, strict=True) if b]
    print(f"platform / bare: {share:.0%} over {args.rounds} alternating rounds (per round "
          f"{min(shares):.0%}-{max(shares):.0%}, median {statistics.median(shares):.0%}; goal >= 40 %: "
          f"{'met' if share >= 0.4 else 'MISSED'}); platform p99 {platform_figures['p99']:.0f} ms (goal < 200 ms: "
          f"{'met' if platform_figures['p99'] < 200 else 'MISSED'})")


if __name__ == "__main__":
    main()
