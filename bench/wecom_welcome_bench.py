"""WeCom friend-welcome burst: 1,000 customers add employees at once. For each, the WeCom sandbox records the friendship,
issues a welcome code and the encrypted ``add_external_contact`` callback is POSTed to the platform (gunicorn) at once;
the platform stores it, a ``scrm worker`` turns it into ``wecom.friend_added``, and the welcome job calls
``send_welcome_msg`` on the sandbox with the code. Goal: every welcome sent within 20 s of its event (the welcome
code's life); the figures are the event→send latencies measured by the sandbox (code issued → welcome received).

    .venv/bin/python bench/wecom_welcome_bench.py                    # PostgreSQL + Redis, 2 workers x 8 threads
    .venv/bin/python bench/wecom_welcome_bench.py --events 300 --workers 1
    .venv/bin/python bench/wecom_welcome_bench.py --api-latency 0        # WeCom answering instantly

Each WeCom API answer is held back ``--api-latency`` seconds (default 0.1: a round trip to WeCom's servers as a
platform in mainland China sees it), so calls made one after another cost what they would in production.

PostgreSQL: ``SCRM_BENCH_DATABASE_URL`` (default: database ``scrm_bench_wecom``, created when missing, schema
emptied); Redis: ``SCRM_BENCH_REDIS_URL`` (default ``redis://127.0.0.1:6379/5``, ``scrm:*`` keys deleted).
"""

from __future__ import annotations

import argparse
import asyncio
import os
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from wecom_bench_support import (  # noqa: E402
    AES_KEY,
    CALLBACK_TOKEN,
    CORP_ID,
    REDIS_DEFAULT,
    SECRETS,
    clear_broker,
    database_url,
    gunicorn,
    percentile,
    provision,
    sandbox_server,
    scrm_worker,
)

EMPLOYEES = 50
WELCOME_TEXT = "{customer_name}，欢迎！"
CODE_LIFE = 20.0


def seed(control) -> None:
    control.seed({"corp_id": CORP_ID, "agent_id": 1000002,
                  "secrets": {"agent": SECRETS["agent_secret"], "contact": SECRETS["contact_secret"],
                              "address_book": SECRETS["address_book_secret"]},
                  "departments": [{"id": 1, "name": "HQ", "parentid": 0}],
                  "users": [{"userid": f"u{i:03d}", "name": f"Advisor {i}", "department": [1], "status": 1}
                            for i in range(EMPLOYEES)]})


def create_welcome(url: str, tenant_id: int) -> None:
    """One welcome for all employees, and the employees, as the sync would have made them."""
    from scrm_wecom.welcome import service
    from sqlmodel import Session, create_engine

    from scrm.sdk import Employee

    engine = create_engine(url)
    with Session(engine) as session:
        for i in range(EMPLOYEES):
            session.add(Employee(tenant_id=tenant_id, userid=f"u{i:03d}", name=f"Advisor {i}"))
        session.flush()
        values = service.validate(session, tenant_id, service.WelcomeInput(
            all_employees=True, employee_ids=[], segmented=False, content={"text": WELCOME_TEXT}))
        service.create(session, tenant_id, values, created_by="bench")
        session.commit()
    engine.dispose()


async def _friends(sandbox_url: str, callback_url: str, events: int, concurrency: int,
                   answered: dict[str, float]) -> list[int]:
    """Customers add employees: the sandbox records each friendship and issues its welcome code (the event), then
    the callback it produced is encrypted and POSTed to the platform at once, as WeCom's servers do. ``answered``
    gets the time each callback was answered, by external_userid."""
    import httpx

    from scrm.sdk.wechat import WeChatCrypto, build_xml

    crypto = WeChatCrypto(CALLBACK_TOKEN, AES_KEY, CORP_ID)
    pending = list(range(events))
    statuses: list[int] = []
    limits = httpx.Limits(max_connections=2 * concurrency, max_keepalive_connections=2 * concurrency)
    async with httpx.AsyncClient(timeout=60, limits=limits) as http:
        async def sender() -> None:
            while pending:
                n = pending.pop(0)
                added = (await http.post(f"{sandbox_url}/sandbox/friends", json={
                    "corp_id": CORP_ID, "userid": f"u{n % EMPLOYEES:03d}",
                    "external_contact": {"external_userid": f"wmBurst{n:06d}", "name": f"Customer {n}"}})).json()
                timestamp, nonce = str(int(time.time())), f"{n:010d}"
                encrypt, signature = crypto.encrypt_message(added["xml"], timestamp, nonce)
                answer = await http.post(callback_url, params={"msg_signature": signature, "timestamp": timestamp,
                                                               "nonce": nonce},
                                         content=build_xml({"ToUserName": CORP_ID, "Encrypt": encrypt}).encode())
                statuses.append(answer.status_code)
                answered[added["external_userid"]] = time.time()

        await asyncio.gather(*(sender() for _ in range(concurrency)))
    return statuses


def stages(sent: list[dict], answered: dict[str, float], reads: list[dict]) -> str:
    """Where each welcome's time went (medians and maxima): event -> callback answered (ingestion), answered -> the
    welcome job's first call to WeCom (waiting for a worker thread), that call -> the welcome received."""
    first_read: dict[str, float] = {}
    for call in reads:
        first_read.setdefault(call["query"].get("external_userid", ""), call["at"])
    parts: dict[str, list[float]] = {"ingestion": [], "queue": [], "job": []}
    for message in sent:
        event = message["sent_at"] - message["code_age"]
        answer, read = answered.get(message["external_userid"]), first_read.get(message["external_userid"])
        if answer is None or read is None:
            continue
        parts["ingestion"].append(answer - event)
        parts["queue"].append(read - answer)
        parts["job"].append(message["sent_at"] - read)
    return "stages (p50 / max): " + ", ".join(
        f"{name} {percentile(values, 0.5):.2f} / {max(values):.2f} s" for name, values in parts.items() if values)


def ledger(url: str, tenant_id: int) -> dict[str, int]:
    from sqlalchemy import create_engine, text

    engine = create_engine(url)
    with engine.connect() as conn:
        rows = conn.execute(text("SELECT status, count(*) FROM message_delivery WHERE tenant_id = :t "
                                 "AND kind = 'welcome' GROUP BY status"), {"t": tenant_id}).all()
    engine.dispose()
    return {str(status): count for status, count in rows}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", choices=("postgresql", "sqlite"), default="postgresql")
    parser.add_argument("--events", type=int, default=1000)
    parser.add_argument("--concurrency", type=int, default=50, help="Friend-add events in flight at once.")
    parser.add_argument("--workers", type=int, default=2, help="scrm worker processes.")
    parser.add_argument("--threads", type=int, default=8, help="Threads per worker.")
    parser.add_argument("--welcome-workers", type=int, default=0,
                        help="Further scrm worker processes serving only the wecom_welcome queue.")
    parser.add_argument("--timeout", type=float, default=180.0)
    parser.add_argument("--api-latency", type=float, default=0.1,
                        help="Seconds the sandbox holds back each WeCom API answer (the round trip to WeCom).")
    args = parser.parse_args()

    sandbox_url, sandbox = sandbox_server(dict(os.environ))
    try:
        measure(args, sandbox_url)
    finally:
        sandbox.stop()


def measure(args: argparse.Namespace, sandbox_url: str) -> None:
    from scrm_wecom.sandbox import SandboxControl
    from scrm_wecom.welcome.dispatch import WELCOME_QUEUE

    broker_url = os.environ.get("SCRM_BENCH_REDIS_URL", REDIS_DEFAULT)
    control = SandboxControl(sandbox_url)
    control.http.timeout = 60
    seed(control)
    control.settings(api_latency=args.api_latency)
    bench = provision(database_url(args.db, "scrm_bench_wecom"), broker_url, api_base=sandbox_url)
    create_welcome(bench.url, bench.tenant_id)

    processes = []
    try:
        web = gunicorn("scrm.hostapp:serving_app()", bench.env)
        processes.append(web)
        processes += [scrm_worker(bench.env, args.threads) for _ in range(args.workers)]
        processes += [scrm_worker(bench.env, args.threads, queues=WELCOME_QUEUE) for _ in range(args.welcome_workers)]
        time.sleep(3)  # workers connect and declare their queues
        callback_url = f"http://127.0.0.1:{web.port}/callbacks/wecom/{bench.account_id}"
        started = time.monotonic()
        answered: dict[str, float] = {}
        statuses = asyncio.run(_friends(sandbox_url, callback_url, args.events, args.concurrency, answered))
        elapsed = time.monotonic() - started
        refused = sum(1 for status in statuses if status != 200)
        print(f"{args.events:,} friend-add events fired in {elapsed:.1f} s ({args.events / elapsed:,.0f}/s, "
              f"{refused} refused)", flush=True)
        sent: list[dict] = []
        while time.monotonic() - started < args.timeout:
            sent = control.corp(CORP_ID)["welcome_messages"]
            if len(sent) >= args.events:
                break
            time.sleep(1)
        finished = time.monotonic() - started
    finally:
        for process in processes:
            process.stop()
    ages = [m["code_age"] for m in sent]
    failures = [c for c in control.calls("/cgi-bin/externalcontact/send_welcome_msg") if c["errcode"] != 0]
    late = sum(1 for age in ages if age > CODE_LIFE)
    print(f"welcomes received by the sandbox: {len(sent):,}/{args.events:,} after {finished:.1f} s; "
          f"refused sends: {len(failures)}; ledger: {ledger(bench.url, bench.tenant_id)}")
    if ages:
        print(f"event -> send latency: p50 {percentile(ages, 0.5):.2f} s, p95 {percentile(ages, 0.95):.2f} s, "
              f"max {max(ages):.2f} s")
        print(stages(sent, answered, control.calls("/cgi-bin/externalcontact/get")))
    met = len(sent) == args.events and late == 0 and not failures
    print(f"goal: every welcome within {CODE_LIFE:.0f} s of its event: {'met' if met else 'MISSED'}")
    clear_broker(broker_url)
    control.close()


if __name__ == "__main__":
    main()
