"""WeCom SOP benchmark (issue 15): 100,000 SOP to-dos due in the same minute, delivered to their employees as
app-message text cards through the outbound path and the WeCom sandbox (served over HTTP, 0.1 s round trip on every
API call), with two delivery runs at once (as two workers would: ``FOR UPDATE SKIP LOCKED`` on PostgreSQL).

    SCRM_BENCH_DATABASE_URL=postgresql+psycopg://postgres@127.0.0.1:5432/<db> .venv/bin/python bench/wecom_sop_bench.py
    .venv/bin/python bench/wecom_sop_bench.py --db sqlite --tasks 5000 --employees 50

Data (generated in SQL): ``--tasks`` customers of tenant ``bench``, each with one pending task of one customer SOP
rule due now, spread over ``--employees`` employees (the sandbox corp holds the same users). Goal: every to-do
delivered (its card sent to WeCom) within 2 minutes of the start, none twice: each task reminded once, each card
one ledger row and one ``message/send`` in the sandbox. Results: stdout and ``bench/data/wecom-sop-<db>.md``.
"""

from __future__ import annotations

import argparse
import logging
import os
import sys
import threading
import time
from pathlib import Path

from sqlalchemy import func, select, text

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from members_data import analyze, series  # noqa: E402
from wecom_bench_support import build_platform, database_url, serve_sandbox  # noqa: E402

CORP_ID = "wwbenchsop000000001"
SECRETS = {"agent": "bench-agent-secret", "contact": "bench-contact-secret", "address_book": "bench-book-secret"}
GOAL = 120.0


def generate(engine, tenant_id: int, rule_id: int, node_id: int, tasks: int, employees: int) -> None:
    d = engine.dialect.name
    now = "CURRENT_TIMESTAMP"
    with engine.begin() as conn:
        conn.execute(text(
            f"INSERT INTO customer (tenant_id, name, gender, source, is_member, attributes, created_at, updated_at) "
            f"SELECT {tenant_id}, '客户' || g.i, 0, 'wecom', false, '{{}}', {now}, {now} FROM {series(d, tasks)}"))
        first = conn.execute(text(f"SELECT min(id) FROM customer WHERE tenant_id = {tenant_id}")).scalar()
        emp = conn.execute(text(f"SELECT min(id) FROM employee WHERE tenant_id = {tenant_id}")).scalar()
        conn.execute(text(
            f"INSERT INTO wecom_sop_task (tenant_id, rule_id, node_id, revision, customer_id, employee_id, dedupe, "
            f"anchor_at, due_at, status, sent_by, created_at) SELECT {tenant_id}, {rule_id}, {node_id}, 1, "
            f"{first} + g.i - 1, {emp} + g.i % {employees}, 'bench.' || g.i, {now}, {now}, 'pending', '', {now} "
            f"FROM {series(d, tasks)}"))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--db", choices=("postgresql", "sqlite"), default="postgresql")
    parser.add_argument("--tasks", type=int, default=100_000)
    parser.add_argument("--employees", type=int, default=500)
    parser.add_argument("--latency", type=float, default=0.1)
    parser.add_argument("--runs", type=int, default=2, help="delivery runs at once (workers)")
    parser.add_argument("--threads", type=int, default=16, help="send-job worker threads")
    args = parser.parse_args()
    logging.getLogger("werkzeug").setLevel(logging.WARNING)
    os.environ["SCRM_PUBLIC_URL"] = "https://crm.bench.invalid"
    url = database_url(args.db, "scrm_bench_wecom_sop")

    from scrm_wecom.accounts import AccountValues, save_account
    from scrm_wecom.messaging.models import AppMessage
    from scrm_wecom.sandbox import SandboxControl
    from scrm_wecom.sop import rules as service
    from scrm_wecom.sop.delivery import deliver_due
    from scrm_wecom.sop.models import SopNode, SopTask
    from sqlmodel import Session

    from scrm.core.db import writer
    from scrm.core.plugins.enablement import enable_plugin
    from scrm.core.services.users import create_tenant
    from scrm.sdk import Employee, MessageDelivery

    app, plat = build_platform(url, ('members', 'wecom'), "scrm-bench-wecom-sop")
    base = serve_sandbox()
    control = SandboxControl(base)
    control.http.timeout = 600
    control.seed({"corp_id": CORP_ID, "agent_id": 1000002, "secrets": SECRETS,
                  "departments": [{"id": 1, "name": "总部", "parentid": 0}],
                  "users": [{"userid": f"emp{i}", "name": f"员工{i}", "department": [1], "status": 1}
                            for i in range(1, args.employees + 1)]})
    with Session(plat.engine, expire_on_commit=False) as session:
        tenant = create_tenant(session, "bench", "Bench Brand")
        enable_plugin(session, plat.registry, tenant, "wecom", None)
        save_account(session, plat.secrets, tenant.id, AccountValues(
            name="Bench", corp_id=CORP_ID, agent_id=1000002, api_base=base,
            secrets={"agent_secret": SECRETS["agent"], "contact_secret": SECRETS["contact"],
                     "address_book_secret": SECRETS["address_book"], "callback_token": "BenchToken",
                     "encoding_aes_key": "B3nchEncodingAESKeyForSopBenchmark000000001"}))
        session.commit()
        session.execute(text(
            f"INSERT INTO employee (tenant_id, userid, name, status, created_at) SELECT {tenant.id}, 'emp' || g.i, "
            f"'员工' || g.i, 'ACTIVE', CURRENT_TIMESTAMP FROM {series(plat.engine.dialect.name, args.employees)}"))
        session.commit()
        first_employee = session.execute(select(func.min(Employee.id)).where(Employee.tenant_id == tenant.id)).scalar()
        with app.test_request_context():
            rule = service.create(session, tenant.id, service.RuleInput(
                name="到店回访", trigger="friend_added", employee_ids=[str(first_employee)],
                nodes=[service.NodeInput("0", "0", "0", "回访 {customer}", "{customer}您好，本周新品到店，欢迎来坐坐")]),
                "bench")
        session.commit()
        node_id = session.execute(select(SopNode.id).where(SopNode.rule_id == rule.id)).scalar_one()
        tenant_id, rule_id = tenant.id, rule.id
    started = time.perf_counter()
    generate(plat.engine, tenant_id, rule_id, node_id, args.tasks, args.employees)
    analyze(plat.engine)
    print(f"{args.tasks:,} tasks over {args.employees} employees generated in {time.perf_counter() - started:.1f} s")
    control.settings(api_latency=args.latency)
    plat.bus.start_worker(threads=args.threads)

    runs: list = []

    def one_run() -> None:
        with Session(writer(plat.engine)) as session:
            runs.append(deliver_due(session, tenant_id))

    start = time.perf_counter()
    workers = [threading.Thread(target=one_run) for _ in range(args.runs)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    planned = time.perf_counter() - start
    plat.bus.join(timeout=600)
    delivered = time.perf_counter() - start
    with Session(plat.engine) as session:
        def count(*where) -> int:
            return session.execute(select(func.count()).select_from(SopTask).where(*where)).scalar_one()

        reminded, pending = count(SopTask.status == "reminded"), count(SopTask.status == "pending")
        cards = session.execute(select(func.count()).select_from(MessageDelivery).where(
            MessageDelivery.task_ref == f"wecom_sop:{rule_id}")).scalar_one()
        sent = session.execute(select(func.count()).select_from(MessageDelivery).where(
            MessageDelivery.task_ref == f"wecom_sop:{rule_id}", MessageDelivery.status == "sent")).scalar_one()
        linked = session.execute(select(func.count(func.distinct(SopTask.delivery_id)))).scalar_one()
        rows = session.execute(select(func.count()).select_from(AppMessage)).scalar_one()
    messages = len(control.corp(CORP_ID)["app_messages"])
    once = reminded == args.tasks and pending == 0 and cards == sent == linked == rows == messages
    lines = [f"# WeCom SOP delivery ({args.db})", "",
             f"{args.tasks:,} to-dos due in the same minute over {args.employees} employees, {args.runs} delivery "
             f"runs at once, {args.threads} send threads, WeCom round trip {args.latency:.1f} s.", "",
             "| measure | value |", "| --- | --- |",
             f"| to-dos claimed, carded and marked (all runs done) | {planned:.1f} s |",
             f"| every card sent to WeCom | {delivered:.1f} s (goal < {GOAL:.0f} s: "
             f"{'met' if delivered < GOAL else 'missed'}) |",
             f"| tasks reminded / pending | {reminded:,} / {pending:,} |",
             f"| cards: ledger rows / sent / referenced by tasks / message/send calls | {cards:,} / {sent:,} / "
             f"{linked:,} / {messages:,} |",
             f"| batches per run | {', '.join(str(r.batches) for r in runs)} |",
             f"| none twice | {'yes' if once else 'NO'} |"]
    report = "\n".join(lines)
    print(report)
    (HERE / "data").mkdir(exist_ok=True)
    (HERE / "data" / f"wecom-sop-{args.db}.md").write_text(report + "\n", encoding="utf-8")
    plat.bus.stop_worker()


if __name__ == "__main__":
    main()
