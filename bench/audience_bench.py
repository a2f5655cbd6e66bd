"""Condition builder benchmark (issue 16 item 2): a segment count with one condition of each family over 1M customers
on PostgreSQL, each compared in the same run with a hand-written SQL query of the same meaning, with the EXPLAIN
ANALYZE plan of the compiled query (which indexes it uses).

    .venv/bin/python bench/audience_bench.py                 # 1M customers (generated inside PostgreSQL)
    .venv/bin/python bench/audience_bench.py --scale 0.01    # a quick run
    .venv/bin/python bench/audience_bench.py --reuse         # measure again on the previous data set

``SCRM_BENCH_AUDIENCE_URL`` (default ``postgresql+psycopg://postgres@127.0.0.1:5432/scrm_bench_audience``; the
database is created when missing and its schema emptied unless ``--reuse``). Results: ``bench/data/audience-postgres.md``
(the table) and ``bench/data/audience-postgres-plans.txt`` (every plan).

Families: basic attributes (gender, age, birthday within 7 days, birthday month/day range, nickname, region, a
custom number field), member attributes (member), user tags (tag), user behaviour (created between), purchase
behaviour (purchase count), interaction (SMS received / clicked a link / unsubscribed), and all of them at once.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from datetime import timedelta
from pathlib import Path

from sqlalchemy import func, select, text
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.expression import ClauseElement, Executable

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from members_bench import generate_members_data, prepare_postgres, timed_together  # noqa: E402
from members_data import Scale, analyze, generate, rnd, series  # noqa: E402

DEFAULT_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/scrm_bench_audience"
NOW = "now()"


def build_platform(url: str):
    from scrm.core import migrate
    from scrm.core.config import Settings
    from scrm.core.secrets import generate_key
    from scrm.hostapp import create_app

    instance = Path(tempfile.mkdtemp(prefix="scrm-audience-bench-"))
    (instance / "plugins.toml").write_text("[plugins.members]\n[plugins.sms]\n")
    app = create_app(Settings(instance_path=instance, database_url=url, secret_key="bench", plugins_toml=instance
                              / "plugins.toml", encryption_key=generate_key()), broker_namespace="scrm-audience-bench")
    plat = app.extensions["scrm"]
    migrate.upgrade(plat.engine, plat.registry)
    return app, plat


def setup_tenant(plat) -> int:
    from scrm.core.db import session_scope
    from scrm.core.plugins.enablement import enable_plugin
    from scrm.core.services.users import create_tenant

    with session_scope(plat.engine) as session:
        tenant = create_tenant(session, "bench", "Bench Brand")
        enable_plugin(session, plat.registry, tenant, "members")
        return tenant.id


def generate_audience_data(engine, tenant_id: int, scale: Scale, log=print) -> dict[str, float]:
    """Profiles (birthday, nickname, region, a custom number field), SMS deliveries, SMS short-link clicks and the
    SMS unsubscribe list, on top of the members data set."""
    d = "postgresql"
    timings: dict[str, float] = {}
    n = scale.customers
    with engine.begin() as conn:
        first, last = conn.execute(text(f"SELECT min(id), max(id) FROM customer WHERE tenant_id = {tenant_id}")).one()
        start = time.perf_counter()
        field_id = conn.execute(text(
            "INSERT INTO members_custom_field (tenant_id, name, field_type, max_length, charset, options, enabled, "
            "required_member, required_unassigned, sort_order, created_at, updated_at) "
            f"VALUES ({tenant_id}, '消费力', 'number', NULL, '[]', '[]', true, false, false, 0, {NOW}, {NOW}) "
            "RETURNING id")).scalar_one()
        # 90 % have a birthday spread over 1950..2009, nicknames, a region "province/city" of 6 provinces and
        # 20 cities (as the profile stores it, 广东/深圳), a number 0..999
        conn.execute(text(
            "UPDATE customer SET attributes = json_build_object("
            f"'birthday', CASE WHEN {rnd(d, 'id + 19', 10)} = 0 THEN NULL ELSE "
            f"to_char(DATE '1950-01-01' + {rnd(d, 'id + 23', 21900)}::int, 'YYYY-MM-DD') END, "
            f"'nickname', (ARRAY['小','阿','大','老','甜','乐'])[1 + {rnd(d, 'id + 29', 6)}] || '会员' || id, "
            f"'region', (ARRAY['广东','浙江','江苏','上海','四川','北京'])[1 + {rnd(d, 'id + 31', 6)}]"
            f" || '/市' || {rnd(d, 'id + 37', 20)}, "
            f"'cf_{field_id}', {rnd(d, 'id + 41', 1000)}) WHERE tenant_id = {tenant_id}"))
        timings["profiles"] = time.perf_counter() - start

        start = time.perf_counter()
        # one SMS (80 % delivered) or WeCom message per customer on average, over the last 180 days
        conn.execute(text(
            "INSERT INTO message_delivery (tenant_id, channel, customer_id, recipient, kind, idempotency_key, status, "
            "message, attempts, created_at) "
            f"SELECT {tenant_id}, CASE WHEN {rnd(d, 'g.i + 43', 10)} < 7 THEN 'sms' ELSE 'wecom' END, "
            f"{first} + {rnd(d, 'g.i * 13', n)}, '138', 'sms', 'bench-' || g.i, "
            f"(CASE WHEN {rnd(d, 'g.i + 47', 10)} < 8 THEN 'DELIVERED' ELSE 'FAILED' END)::deliverystatus, '{{}}', 1, "
            f"{NOW} - ({rnd(d, 'g.i + 53', 15_552_000)}) * INTERVAL '1 second' FROM {series(d, n)}"))
        timings["deliveries"] = time.perf_counter() - start

        start = time.perf_counter()
        links = 200
        conn.execute(text(
            "INSERT INTO short_link (tenant_id, code, target_url, kind, channel, campaign, campaign_label, created_by, "
            f"recipients, created_at) SELECT {tenant_id}, 'L' || g.i, 'https://shop.example.com/' || g.i, 'short', "
            f"CASE WHEN g.i % 4 = 0 THEN 'wecom' ELSE 'sms' END, 'sms_bulk:' || g.i, '', 'plugin:sms', 0, {NOW} "
            f"FROM {series(d, links)}"))
        first_link = conn.execute(text(f"SELECT min(id) FROM short_link WHERE tenant_id = {tenant_id}")).scalar()
        recipients = max(1, n * 3 // 10)
        conn.execute(text(
            "INSERT INTO short_link_recipient (tenant_id, link_id, code, customer_id, recipient, clicks) "
            f"SELECT {tenant_id}, {first_link} + g.i % {links}, 'R' || g.i, {first} + {rnd(d, 'g.i * 17', n)}, '138', 0 "
            f"FROM {series(d, recipients)}"))
        first_recipient = conn.execute(text(
            f"SELECT min(id) FROM short_link_recipient WHERE tenant_id = {tenant_id}")).scalar()
        conn.execute(text(
            "INSERT INTO short_link_click (tenant_id, link_id, recipient_id, customer_id, clicked_at, agent, ip_hash) "
            f"SELECT r.tenant_id, r.link_id, r.id, r.customer_id, "
            f"{NOW} - ({rnd(d, 'r.id + 59', 7_776_000)}) * INTERVAL '1 second', 'wechat', '' "
            f"FROM short_link_recipient r WHERE r.tenant_id = {tenant_id} AND (r.id - {first_recipient}) % 3 = 0"))
        timings["short links"] = time.perf_counter() - start

        start = time.perf_counter()
        conn.execute(text(
            "INSERT INTO sms_unsubscribe (tenant_id, mobile, source, reply, created_at) "
            f"SELECT {tenant_id}, mobile, 'uplink', 'TD', {NOW} FROM customer "
            f"WHERE tenant_id = {tenant_id} AND id % 50 = 0 ON CONFLICT DO NOTHING"))
        timings["unsubscribes"] = time.perf_counter() - start
    analyze(engine)
    log("audience data: " + ", ".join(f"{k} {v:.1f}s" for k, v in timings.items()))
    return timings


def cases(conn, tenant_id: int, today) -> list[tuple[str, str, dict, str, dict]]:
    """(family, label, condition, hand-written WHERE part on ``c``, its parameters)."""
    field_id = conn.execute(text(f"SELECT id FROM members_custom_field WHERE tenant_id = {tenant_id}")).scalar()
    first_tag = conn.execute(text(f"SELECT min(id) FROM tag WHERE tenant_id = {tenant_id}")).scalar()
    window_end = today + timedelta(days=7)
    low_cut = f"{today.year - 30:04d}-{today:%m-%d}"
    high_cut = f"{today.year - 40:04d}-{today:%m-%d}"
    created_from, created_to = "2025-06-01", "2025-06-30"
    return [
        ("basic", "gender = female", {"type": "gender", "values": [2]}, "c.gender = 2", {}),
        ("basic", "age 30–39", {"type": "age", "values": [{"min": 30, "max": 39}]},
         "c.attributes ->> 'birthday' <= :lo AND c.attributes ->> 'birthday' > :hi", {"lo": low_cut, "hi": high_cut}),
        ("basic", "birthday within 7 days", {"type": "birthday_within", "values": ["7"]},
         "substr(c.attributes ->> 'birthday', 6, 5) BETWEEN :a AND :b",
         {"a": f"{today:%m-%d}", "b": f"{window_end:%m-%d}"}),
        ("basic", "birthday 03-01..03-31", {"type": "birthday_range", "values": [{"from": "03-01", "to": "03-31"}]},
         "substr(c.attributes ->> 'birthday', 6, 5) BETWEEN '03-01' AND '03-31'", {}),
        ("basic", "nickname contains 甜", {"type": "nickname", "values": ["甜"]},
         "c.attributes ->> 'nickname' LIKE '%甜%'", {}),
        ("basic", "nickname contains 会员12345 (selective)", {"type": "nickname", "values": ["会员12345"]},
         "c.attributes ->> 'nickname' LIKE '%会员12345%'", {}),
        ("basic", "region contains 四川", {"type": "region", "values": ["四川"]},
         "c.attributes ->> 'region' LIKE '%四川%'", {}),
        ("basic", "region contains 广东/市8 (selective)", {"type": "region", "values": ["广东/市8"]},
         "c.attributes ->> 'region' LIKE '%广东/市8%'", {}),
        ("basic", "custom number 100–199", {"type": f"cf_{field_id}", "values": [{"min": 100, "max": 199}]},
         f"(c.attributes ->> 'cf_{field_id}')::float BETWEEN 100 AND 199", {}),
        ("basic", "has a mobile", {"type": "mobile_present", "values": ["true"]},
         "c.mobile IS NOT NULL AND c.mobile <> ''", {}),
        ("member", "member = yes", {"type": "member", "values": ["true"]}, "c.is_member", {}),
        ("tags", "tag", {"type": "tag", "values": [first_tag + 31]},
         "EXISTS (SELECT 1 FROM customer_tag t WHERE t.customer_id = c.id AND t.tag_id = :tag)",
         {"tag": first_tag + 31}),
        ("behaviour", "created in June 2025", {"type": "created", "values": [{"from": created_from, "to": created_to}]},
         "c.created_at >= :f AND c.created_at < :t", {"f": created_from, "t": "2025-07-01"}),
        ("purchase", "purchases >= 2", {"type": "purchase_count", "values": [{"min": 2}]},
         "(SELECT count(*) FROM members_order o WHERE o.customer_id = c.id AND o.paid_at IS NOT NULL) >= 2", {}),
        ("interaction", "SMS received within 30 days", {"type": "sms_received_within", "values": ["30"]},
         "EXISTS (SELECT 1 FROM message_delivery m WHERE m.tenant_id = :tid AND m.customer_id = c.id "
         "AND m.channel = 'sms' AND m.status IN ('DELIVERED', 'READ') AND m.created_at >= :since)", {}),
        ("interaction", "SMS link clicked within 30 days", {"type": "sms_clicked_within", "values": ["30"]},
         "c.id IN (SELECT k.customer_id FROM short_link_click k JOIN short_link l ON l.id = k.link_id "
         "WHERE l.tenant_id = :tid AND l.channel = 'sms' AND k.recipient_id IS NOT NULL AND k.clicked_at >= :since)",
         {}),
        ("interaction", "unsubscribed from SMS", {"type": "sms_unsubscribed", "values": ["true"]},
         "EXISTS (SELECT 1 FROM sms_unsubscribe u WHERE u.tenant_id = :tid AND u.mobile = c.mobile)", {}),
    ]


class Explain(Executable, ClauseElement):
    """``EXPLAIN (ANALYZE) <query>`` executed through SQLAlchemy, so its parameters get their types' processing."""

    inherit_cache = False

    def __init__(self, query) -> None:
        self.query = query


@compiles(Explain, "postgresql")
def _explain(element, compiler, **kw):
    return "EXPLAIN (ANALYZE, COSTS OFF, TIMING OFF) " + compiler.process(element.query, **kw)


def explain(session, query) -> str:
    return "\n".join(r[0] for r in session.execute(Explain(query)).all())


def plan_summary(plan: str) -> str:
    """The scans of a plan: index names, or the tables read sequentially."""
    out = []
    for line in plan.splitlines():
        line = line.strip().lstrip("-> ").strip()
        for marker in ("Index Only Scan using ", "Index Scan using ", "Bitmap Index Scan on ", "Seq Scan on ",
                       "Parallel Seq Scan on "):
            if line.startswith(marker):
                words = line[len(marker):].split()
                name = words[0]
                table = words[2] if len(words) > 2 and words[1] == "on" else ""
                kind = "seq" if "Seq Scan" in marker else "index"
                out.append(f"{kind} {name}" + (f" ({table})" if table else ""))
    return ", ".join(dict.fromkeys(out))


def run(url: str, scale: Scale, reuse: bool) -> tuple[str, str]:
    from scrm_sms.audiences import audience_filters as sms_filters
    from sqlmodel import Session

    from scrm.core.audience import compile_audience, count_audience
    from scrm.core.models import Tenant
    from scrm.core.timeutil import local_today, use_zone

    if not reuse:
        prepare_postgres(url)
    app, plat = build_platform(url)
    try:
        if reuse:
            with plat.engine.connect() as conn:
                tenant_id = conn.execute(text("SELECT id FROM tenant WHERE slug = 'bench'")).scalar_one()
        else:
            tenant_id = setup_tenant(plat)
            log = lambda m: print(f"[audience] {m}", file=sys.stderr)  # noqa: E731
            generate(plat.engine, tenant_id, scale, log=log)
            generate_members_data(plat.engine, tenant_id, scale)
            generate_audience_data(plat.engine, tenant_id, scale, log=log)
        lines = [f"### PostgreSQL: {scale.customers:,} customers, {scale.tag_links:,} tag links, "
                 f"{scale.orders:,} orders, {scale.customers:,} message deliveries", "",
                 "| family | condition | matching | compiled ms | hand-written ms | ratio | plan of the compiled query |",
                 "| --- | --- | ---: | ---: | ---: | ---: | --- |"]
        plans = []
        with app.app_context(), Session(plat.engine) as session:
            tenant = session.get(Tenant, tenant_id)
            with use_zone(tenant.timezone):
                today = local_today()
            types = [*plat.hooks(session, tenant).contribute("audience_filters", tenant=tenant), *sms_filters(tenant)]
            import scrm_sms.audiences as sms_audiences

            from scrm.core.timeutil import utcnow

            frozen = utcnow()  # "within N days" of both queries counts from the same instant
            sms_audiences.utcnow = lambda: frozen
            everything = []
            for family, label, condition, where, params in cases(session.connection(), tenant_id, today):
                tree = {"conditions": [condition]}
                everything.append(condition)
                since = frozen - timedelta(days=30)
                hand_sql = (f"SELECT count(*) FROM customer c WHERE c.tenant_id = :tid AND c.merged_into_id IS NULL "
                            f"AND {where}")
                bound = {"tid": tenant_id, "since": since, **params}
                (ms, count), (hand_ms, hand) = timed_together([
                    lambda tree=tree: count_audience(session, tenant_id, tree, types),
                    lambda sql=hand_sql, bound=bound: session.execute(text(sql), bound).scalar_one()])
                assert count == hand, (label, count, hand)
                query = select(func.count()).select_from(compile_audience(tenant_id, tree, types).subquery())
                plan = explain(session, query)
                plans.append(f"## {family}: {label}\n{plan}\n")
                lines.append(f"| {family} | {label} | {count:,} | {ms:.0f} | {hand_ms:.0f} | {ms / hand_ms:.2f}x | "
                             f"{plan_summary(plan)} |")
                session.commit()
            combined = {"conditions": [c for c in everything if c["type"] in (
                "gender", "age", "member", "tag", "purchase_count", "sms_received_within", "sms_unsubscribed")]}
            combined["conditions"][-1] = {"type": "sms_unsubscribed", "values": ["false"]}
            (ms, count), = timed_together([lambda: count_audience(session, tenant_id, combined, types)])
            plan = explain(session, select(func.count()).select_from(
                compile_audience(tenant_id, combined, types).subquery()))
            plans.append(f"## combined\n{plan}\n")
            lines.append(f"| all | gender + age + member + tag + purchases + SMS received + not unsubscribed | "
                         f"{count:,} | {ms:.0f} | | | {plan_summary(plan)} |")
        return "\n".join(lines) + "\n", "\n".join(plans)
    finally:
        plat.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scale", type=float, default=1.0, help="fraction of 1M customers")
    parser.add_argument("--reuse", action="store_true", help="measure on the data set of the previous run")
    args = parser.parse_args()
    base = Scale(customers=1_000_000, tag_links=2_000_000, orders=2_000_000)
    scale = base.scaled(args.scale)
    url = os.environ.get("SCRM_BENCH_AUDIENCE_URL", DEFAULT_URL)
    report, plans = run(url, scale, args.reuse)
    out = HERE / "data"
    out.mkdir(exist_ok=True)
    (out / "audience-postgres.md").write_text(report, encoding="utf-8")
    (out / "audience-postgres-plans.txt").write_text(plans, encoding="utf-8")
    print(report)


if __name__ == "__main__":
    main()
