"""WeCom mass-send benchmark (issue 15): a customer mass send to 200,000 customers over 500 employees against the
WeCom sandbox served over HTTP with a 0.1 s round trip on every API call.

    SCRM_BENCH_DATABASE_URL=postgresql+psycopg://postgres@127.0.0.1:5432/<db> .venv/bin/python bench/wecom_masssend_bench.py
    .venv/bin/python bench/wecom_masssend_bench.py --db sqlite --customers 20000 --employees 50

Data (generated in SQL): ``--customers`` customers of tenant ``bench``, each the friend of one of ``--employees``
employees (its owner) and one in ten also of a second employee (the send reaches them once, through the owner);
one in twenty already received an enterprise mass message today (left out by the daily limit). The sandbox corp
holds the same users and contacts.

Goals: (1) audience resolved, limits applied and one ``add_msg_template`` task per employee created in < 60 s;
(2) after every employee confirmed (the sandbox's control API, not timed), the results of every recipient read
(``get_groupmsg_task`` and ``get_groupmsg_send_result`` per employee) and ingested in < 60 s.
"""

from __future__ import annotations

import argparse
import logging
import sys
import time
from pathlib import Path

from sqlalchemy import func, select, text

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from members_data import analyze, series  # noqa: E402
from wecom_bench_support import build_platform, database_url, serve_sandbox  # noqa: E402

CORP_ID = "wwbenchmasssend0001"
SECRETS = {"agent": "bench-agent-secret", "contact": "bench-contact-secret", "address_book": "bench-book-secret"}


def corp_seed(customers: int, employees: int) -> dict:
    contacts = []
    for i in range(1, customers + 1):
        follows = [{"userid": f"emp{1 + i % employees}"}]
        if i % 10 == 0:
            follows.append({"userid": f"emp{1 + (i + 7) % employees}"})
        contacts.append({"external_userid": f"wm{i}", "name": f"客户{i}", "follow_user": follows})
    return {"corp_id": CORP_ID, "agent_id": 1000002, "secrets": SECRETS,
            "departments": [{"id": 1, "name": "总部", "parentid": 0}],
            "users": [{"userid": f"emp{i}", "name": f"员工{i}", "department": [1], "status": 1}
                      for i in range(1, employees + 1)],
            "external_contacts": contacts}


def generate(engine, tenant_id: int, account_id: int, customers: int, employees: int) -> None:
    d = engine.dialect.name
    now = "CURRENT_TIMESTAMP"
    with engine.begin() as conn:
        conn.execute(text(
            f"INSERT INTO employee (tenant_id, userid, name, status, created_at) "
            f"SELECT {tenant_id}, 'emp' || g.i, '员工' || g.i, 'ACTIVE', {now} FROM {series(d, employees)}"))
        emp = conn.execute(text(f"SELECT min(id) FROM employee WHERE tenant_id = {tenant_id}")).scalar()
        conn.execute(text(
            f"INSERT INTO customer (tenant_id, name, gender, source, is_member, attributes, owner_employee_id, "
            f"created_at, updated_at) SELECT {tenant_id}, '客户' || g.i, g.i % 3, 'wecom', false, '{{}}', "
            f"{emp} + g.i % {employees}, {now}, {now} FROM {series(d, customers)}"))
        first = conn.execute(text(f"SELECT min(id) FROM customer WHERE tenant_id = {tenant_id}")).scalar()
        conn.execute(text(
            f"INSERT INTO wecom_follow (tenant_id, account_id, customer_id, employee_id, userid, external_userid, "
            f"remark, description, add_way, state, added_at, status, updated_at) "
            f"SELECT {tenant_id}, {account_id}, {first} + c.i - 1, {emp} + (c.i + 7 * (k.i - 1)) % {employees}, "
            f"'emp' || (1 + (c.i + 7 * (k.i - 1)) % {employees}), 'wm' || c.i, '', '', 1, '', {now}, 'active', "
            f"{now} "
            f"FROM {series(d, customers, 'c')} CROSS JOIN {series(d, 2, 'k')} "
            f"WHERE k.i = 1 OR c.i % 10 = 0"))
        conn.execute(text(
            f"INSERT INTO message_delivery (tenant_id, channel, account_id, customer_id, recipient, kind, task_ref, "
            f"idempotency_key, status, message, attempts, created_at) SELECT {tenant_id}, 'wecom', {account_id}, "
            f"{first} + g.i - 1, 'wm' || g.i, 'mass', 'wecom_mass:earlier', 'wecom_mass:earlier:wm' || g.i, "
            f"'DELIVERED', '{{}}', 0, {now} FROM {series(d, customers)} WHERE g.i % 20 = 0"))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--db", choices=("postgresql", "sqlite"), default="postgresql")
    parser.add_argument("--customers", type=int, default=200_000)
    parser.add_argument("--employees", type=int, default=500)
    parser.add_argument("--latency", type=float, default=0.1)
    args = parser.parse_args()
    logging.getLogger("werkzeug").setLevel(logging.WARNING)
    url = database_url(args.db, "scrm_bench_wecom_masssend")

    from scrm_wecom.accounts import AccountValues, save_account
    from scrm_wecom.masssend import dispatch, results, service
    from scrm_wecom.masssend.models import MassMember, MassRecipient
    from scrm_wecom.sandbox import GroupMsgControl, SandboxControl
    from sqlmodel import Session

    from scrm.core.plugins.enablement import enable_plugin
    from scrm.core.services.users import create_tenant

    app, plat = build_platform(url, ('members', 'wecom'), "scrm-bench-wecom-masssend")
    base = serve_sandbox()
    control = SandboxControl(base)
    control.http.timeout = 600
    started = time.perf_counter()
    control.seed(corp_seed(args.customers, args.employees))
    print(f"sandbox seeded with {args.customers:,} contacts in {time.perf_counter() - started:.1f} s")
    with Session(plat.engine, expire_on_commit=False) as session:
        tenant = create_tenant(session, "bench", "Bench Brand")
        enable_plugin(session, plat.registry, tenant, "members", None)
        enable_plugin(session, plat.registry, tenant, "wecom", None)
        account = save_account(session, plat.secrets, tenant.id, AccountValues(
            name="Bench", corp_id=CORP_ID, agent_id=1000002, api_base=base,
            secrets={"agent_secret": SECRETS["agent"], "contact_secret": SECRETS["contact"],
                     "address_book_secret": SECRETS["address_book"]}))
        session.commit()
        started = time.perf_counter()
        generate(plat.engine, tenant.id, account.id, args.customers, args.employees)
        analyze(plat.engine)
        print(f"generated in {time.perf_counter() - started:.1f} s")
        control.settings(api_latency=args.latency)

        with app.app_context():
            started = time.perf_counter()
            task = service.create(session, tenant, service.MassSendInput(text="双十二会员专享，全场满299减50"),
                                  "bench")
            session.commit()
            confirmed = time.perf_counter() - started
            started = time.perf_counter()
            dispatch.run(session, task.id, tenant.id)
            created = time.perf_counter() - started
            members = session.execute(select(func.count()).where(MassMember.task_id == task.id)).scalar_one()
            counts = dict(session.execute(select(MassRecipient.status, func.count()).where(
                MassRecipient.task_id == task.id).group_by(MassRecipient.status)).all())
            print(f"confirm page figures (audience, limits, exclusions counted): {confirmed:.1f} s")
            print(f"dispatch ({args.db}, {args.latency:.1f} s WeCom round trip): {created:.1f} s: {members} tasks, "
                  f"recipients {counts}")

            control.settings(api_latency=0)
            started = time.perf_counter()
            GroupMsgControl(control, CORP_ID).send_all()
            print(f"every employee confirmed in the sandbox in {time.perf_counter() - started:.1f} s (not timed)")
            control.settings(api_latency=args.latency)

            started = time.perf_counter()
            applied = results.poll(session, plat, task)
            ingested = time.perf_counter() - started
            counts = dict(session.execute(select(MassRecipient.status, func.count()).where(
                MassRecipient.task_id == task.id).group_by(MassRecipient.status)).all())
            print(f"results read and ingested: {ingested:.1f} s: {applied:,} results, recipients {counts}")
    for name, seconds in (("dispatch", created), ("results", ingested)):
        print(f"target {name} < 60 s: {'met' if seconds < 60 else 'MISSED'} ({seconds:.1f} s)")
    plat.close()


if __name__ == "__main__":
    main()
