"""WeCom audience filters benchmark (issue 16 item 2): the count of a segment with each WeCom condition (friend of,
added between, added through live code, in group chat, lost), compiled by ``compile_audience`` from the plugin's
filter types, against a hand-written query of the same meaning, with the plan PostgreSQL chose.

    SCRM_BENCH_DATABASE_URL=postgresql+psycopg://postgres@127.0.0.1:5432/<db> .venv/bin/python bench/wecom_audience_bench.py
    .venv/bin/python bench/wecom_audience_bench.py --customers 20000 --db sqlite

Data (generated in SQL): ``--customers`` customers of tenant ``bench``, 200 employees, one friendship each plus a
second for one customer in five (1.2 follows per customer: 85 % active, 10 % churned, 5 % deleted), added over two
years, 30 % through one of 50 live codes; 2,000 group chats (5 % dismissed) holding half of the customers. Results: a Markdown table on stdout and in
``bench/data/wecom-audience-<db>.md``.
"""

from __future__ import annotations

import argparse
import re
import statistics
import sys
import time
from pathlib import Path

from sqlalchemy import create_engine, func, select, text

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from members_data import analyze, rnd, series, ts  # noqa: E402
from wecom_bench_support import database_url, provision  # noqa: E402

EMPLOYEES, CODES, CHATS = 200, 50, 2000


def generate(engine, tenant_id: int, account_id: int, customers: int) -> None:
    d = engine.dialect.name
    now = "CURRENT_TIMESTAMP"
    with engine.begin() as conn:
        conn.execute(text(
            f"INSERT INTO employee (tenant_id, userid, name, status, created_at) "
            f"SELECT {tenant_id}, 'emp' || g.i, '员工' || g.i, 'ACTIVE', {now} FROM {series(d, EMPLOYEES)}"))
        emp = conn.execute(text(f"SELECT min(id) FROM employee WHERE tenant_id = {tenant_id}")).scalar()
        conn.execute(text(
            f"INSERT INTO customer (tenant_id, name, gender, source, is_member, attributes, created_at, updated_at) "
            f"SELECT {tenant_id}, '客户' || g.i, 0, 'wecom', false, '{{}}', {now}, {now} FROM {series(d, customers)}"))
        first = conn.execute(text(f"SELECT min(id) FROM customer WHERE tenant_id = {tenant_id}")).scalar()
        conn.execute(text(
            f"INSERT INTO wecom_live_code (tenant_id, account_id, name, kind, state, skip_verify, welcome, created_by, "
            f"created_at, updated_at) SELECT {tenant_id}, {account_id}, '门店活码' || g.i, 1, 'lc:bench' || g.i, true, "
            f"'{{}}', '', {now}, {now} FROM {series(d, CODES)}"))
        status = (f"CASE WHEN {rnd(d, 'c.i + k.i', 20)} < 17 THEN 'active' WHEN {rnd(d, 'c.i + k.i', 20)} < 19 "
                  f"THEN 'churned' ELSE 'deleted' END")
        state = f"CASE WHEN {rnd(d, 'c.i * 3 + k.i', 10)} < 3 THEN 'lc:bench' || (1 + {rnd(d, 'c.i', CODES)}) ELSE '' END"
        conn.execute(text(
            f"INSERT INTO wecom_follow (tenant_id, account_id, customer_id, employee_id, userid, external_userid, "
            f"remark, description, add_way, state, added_at, status, updated_at) "
            f"SELECT {tenant_id}, {account_id}, {first} + c.i - 1, {emp} + ((c.i + k.i * 7) % {EMPLOYEES}), "
            f"'emp' || (1 + (c.i + k.i * 7) % {EMPLOYEES}), 'wm' || c.i, '', '', 1, {state}, "
            f"{ts(d, rnd(d, 'c.i * 5 + k.i', 63_072_000))}, {status}, {now} "
            f"FROM {series(d, customers, 'c')} CROSS JOIN {series(d, 2, 'k')} WHERE k.i = 1 OR c.i % 5 = 0"))
        conn.execute(text(
            f"INSERT INTO wecom_group_chat (tenant_id, account_id, chat_id, name, owner_userid, notice, member_count, "
            f"status, member_version, joined_today, left_today, updated_at) "
            f"SELECT {tenant_id}, {account_id}, 'wr' || g.i, '会员群' || g.i, 'emp1', '', 0, "
            f"CASE WHEN g.i % 20 = 0 THEN 'dismissed' ELSE 'normal' END, '', 0, 0, {now} FROM {series(d, CHATS)}"))
        chat = conn.execute(text(f"SELECT min(id) FROM wecom_group_chat WHERE tenant_id = {tenant_id}")).scalar()
        conn.execute(text(
            f"INSERT INTO wecom_group_member (tenant_id, group_chat_id, member_id, type, name, group_nickname, "
            f"unionid, join_scene, invitor_userid, state, customer_id) "
            f"SELECT {tenant_id}, {chat} + {rnd(d, 'c.i', CHATS)}, 'wm' || c.i, 2, '', '', '', 1, '', '', "
            f"{first} + c.i - 1 FROM {series(d, customers, 'c')} WHERE c.i % 2 = 0"))


def timed(conn, statement, params=None, runs: int = 5) -> tuple[float, int]:
    conn.execute(statement, params or {}).scalar()  # warm
    times, value = [], 0
    for _ in range(runs):
        start = time.perf_counter()
        value = conn.execute(statement, params or {}).scalar()
        times.append((time.perf_counter() - start) * 1000)
    return statistics.median(times), value


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--db", choices=("postgresql", "sqlite"), default="postgresql")
    parser.add_argument("--customers", type=int, default=200_000)
    args = parser.parse_args()
    url = database_url(args.db, "scrm_bench_wecom_audience")
    bench = provision(url, None)
    engine = create_engine(url)
    start = time.perf_counter()
    generate(engine, bench.tenant_id, bench.account_id, args.customers)
    analyze(engine)
    print(f"generated {args.customers} customers in {time.perf_counter() - start:.1f}s")

    from scrm_wecom.audience import filter_types
    from scrm_wecom.sync.models import Follow

    from scrm.sdk import compile_audience

    class Tenant:
        id, timezone = bench.tenant_id, "Asia/Shanghai"

    types = filter_types(Tenant)
    t = bench.tenant_id
    with engine.connect() as conn:
        emp = conn.execute(text(f"SELECT min(id) FROM employee WHERE tenant_id = {t}")).scalar()
        code = conn.execute(text(f"SELECT min(id) FROM wecom_live_code WHERE tenant_id = {t}")).scalar()
        chat = conn.execute(text(f"SELECT min(id) FROM wecom_group_chat WHERE tenant_id = {t}")).scalar()
        follows = conn.execute(select(func.count()).select_from(Follow)).scalar()
    live = f"c.tenant_id = {t} AND c.merged_into_id IS NULL"
    cases = [
        ("friend of 3 employees", {"type": "wecom_friend_of", "values": [emp, emp + 1, emp + 2]},
         f"SELECT count(*) FROM customer c WHERE {live} AND EXISTS (SELECT 1 FROM wecom_follow f WHERE f.tenant_id = {t} "
         f"AND f.customer_id = c.id AND f.employee_id IN ({emp}, {emp + 1}, {emp + 2}) AND f.status = 'active')"),
        ("added between (one month)", {"type": "wecom_added_between", "values": [{"from": "2025-06-01",
                                                                                  "to": "2025-06-30"}]},
         f"SELECT count(*) FROM customer c WHERE {live} AND EXISTS (SELECT 1 FROM wecom_follow f WHERE f.tenant_id = {t} "
         f"AND f.customer_id = c.id AND f.added_at >= '2025-05-31 16:00:00' AND f.added_at < '2025-06-30 16:00:00')"),
        ("added through 2 live codes", {"type": "wecom_live_code", "values": [code, code + 1]},
         f"SELECT count(*) FROM customer c WHERE {live} AND EXISTS (SELECT 1 FROM wecom_follow f WHERE f.tenant_id = {t} "
         f"AND f.customer_id = c.id AND f.state IN ('lc:bench1', 'lc:bench2'))"),
        ("in one group chat", {"type": "wecom_in_group_chat", "values": [chat + 1]},
         f"SELECT count(*) FROM customer c WHERE {live} AND EXISTS (SELECT 1 FROM wecom_group_member m WHERE "
         f"m.tenant_id = {t} AND m.customer_id = c.id AND m.group_chat_id = {chat + 1})"),
        ("in any group chat", {"type": "wecom_in_group_chat", "values": ["any"]},
         f"SELECT count(*) FROM customer c WHERE {live} AND EXISTS (SELECT 1 FROM wecom_group_member m JOIN "
         f"wecom_group_chat g ON g.id = m.group_chat_id WHERE m.tenant_id = {t} AND m.customer_id = c.id "
         f"AND g.status = 'normal')"),
        ("lost", {"type": "wecom_friend_status", "values": ["lost"]},
         f"SELECT count(*) FROM customer c WHERE {live} AND EXISTS (SELECT 1 FROM wecom_follow f WHERE "
         f"f.tenant_id = {t} AND f.customer_id = c.id) AND NOT EXISTS (SELECT 1 FROM wecom_follow f WHERE "
         f"f.tenant_id = {t} AND f.customer_id = c.id AND f.status = 'active')"),
    ]
    cases.append(("friend of + added between + live code (intersect)",
                  [cases[0][1], cases[1][1], {"type": "wecom_live_code", "values": list(range(code, code + 25))}],
                  None))
    rows = [f"| condition ({args.customers:,} customers, {follows:,} follows, {args.db}) | compiled ms | "
            f"hand-written ms | ratio | count | plan |", "|---|---|---|---|---|---|"]
    plans: list[str] = []
    with engine.connect() as conn:
        for name, condition, hand in cases:
            conditions = condition if isinstance(condition, list) else [condition]
            query = compile_audience(t, {"conditions": conditions}, types).subquery()
            statement = select(func.count()).select_from(query)
            ms, count = timed(conn, statement)
            hand_ms, hand_count = timed(conn, text(hand)) if hand else (float("nan"), count)
            assert hand_count == count, (name, count, hand_count)
            plan = ""
            if args.db == "postgresql":
                compiled = statement.compile(engine, compile_kwargs={"literal_binds": True})
                lines = [r[0] for r in conn.execute(text(f"EXPLAIN (ANALYZE, BUFFERS) {compiled}"))]
                plans.append(f"### {name}\n\n```\n{compiled}\n\n" + "\n".join(lines) + "\n```\n")
                plan = ", ".join(sorted(set(re.findall(r"(?:Index Only Scan|Index Scan|Bitmap Index Scan|Seq Scan) "
                                                       r"(?:using \w+ )?on \w+", "\n".join(lines)))))
            rows.append(f"| {name} | {ms:.1f} | {hand_ms:.1f} | {ms / hand_ms if hand else float('nan'):.2f} | "
                        f"{count:,} | {plan} |")
    table = "\n".join(rows)
    print(table)
    out = HERE / "data" / f"wecom-audience-{args.db}.md"
    out.parent.mkdir(exist_ok=True)
    out.write_text(table + "\n\n## Plans\n\n" + "\n".join(plans), encoding="utf-8")


if __name__ == "__main__":
    main()
