"""Generated data sets for the members benchmarks: customers with identities, tags and tag links, employees and
stores, orders. Everything is generated inside the database (generate_series on PostgreSQL, a recursive CTE on
SQLite) so a million customers take seconds, not a Python loop."""

from __future__ import annotations

import time
from dataclasses import dataclass

from sqlalchemy import text
from sqlalchemy.engine import Engine


@dataclass(frozen=True)
class Scale:
    customers: int = 1_000_000
    tag_links: int = 5_000_000
    orders: int = 2_000_000
    tags: int = 200
    employees: int = 200
    stores: int = 20

    def scaled(self, factor: float) -> Scale:
        return Scale(*(max(1, int(v * factor)) if i < 3 else v for i, v in enumerate(
            (self.customers, self.tag_links, self.orders, self.tags, self.employees, self.stores))))


def series(dialect: str, n: int, alias: str = "g") -> str:
    """A FROM clause yielding ``{alias}.i`` = 1..n."""
    if dialect == "postgresql":
        return f"generate_series(1::bigint, {n}) AS {alias}(i)"
    return (f"(WITH RECURSIVE s(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM s WHERE i < {n}) "
            f"SELECT i FROM s) AS {alias}")


def ts(dialect: str, expr: str) -> str:
    """A UTC timestamp ``expr`` seconds before 2026-11-01 (stored as the platform stores datetimes)."""
    if dialect == "postgresql":
        return f"(TIMESTAMP '2026-11-01 00:00:00' - ({expr}) * INTERVAL '1 second')"
    return f"datetime('2026-11-01 00:00:00', '-' || ({expr}) || ' seconds')"


def rnd(dialect: str, seed: str, modulo: int) -> str:
    """A deterministic pseudo-random integer in [0, modulo) from an integer expression ``seed``."""
    return f"((({seed}) * 2654435761 + 97) % 4294967296 % {modulo})"


def pad9(dialect: str, expr: str) -> str:
    """``expr`` as 9 digits with leading zeros."""
    if dialect == "postgresql":
        return f"lpad(({expr})::text, 9, '0')"
    return f"printf('%09d', {expr})"


def analyze(engine: Engine) -> None:
    """Fresh planner statistics after a bulk load."""
    if engine.dialect.name == "postgresql":
        with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            conn.execute(text("VACUUM ANALYZE"))
    else:
        with engine.begin() as conn:
            conn.execute(text("ANALYZE"))


def generate(engine: Engine, tenant_id: int, scale: Scale, log=print) -> dict[str, float]:
    """Fill the tenant with ``scale`` rows; returns the seconds each part took."""
    d = engine.dialect.name
    timings: dict[str, float] = {}
    now = "CURRENT_TIMESTAMP"
    with engine.begin() as conn:
        start = time.perf_counter()
        conn.execute(text(
            f"INSERT INTO department (tenant_id, name, external_id, \"order\", created_at) "
            f"SELECT {tenant_id}, 'Store ' || g.i, 'bench-' || g.i, g.i, {now} FROM {series(d, scale.stores)}"))
        first_store = conn.execute(text(f"SELECT min(id) FROM department WHERE tenant_id = {tenant_id}")).scalar()
        conn.execute(text(
            f"INSERT INTO employee (tenant_id, userid, name, department_id, status, created_at) "
            f"SELECT {tenant_id}, 'emp' || g.i, 'Employee ' || g.i, {first_store} + (g.i % {scale.stores}), 'ACTIVE', "
            f"{now} FROM {series(d, scale.employees)}"))
        first_emp = conn.execute(text(f"SELECT min(id) FROM employee WHERE tenant_id = {tenant_id}")).scalar()
        conn.execute(text(
            f"INSERT INTO tag_group (tenant_id, name, \"order\", source, created_at) "
            f"SELECT {tenant_id}, 'Group ' || g.i, g.i, 'manual', {now} FROM {series(d, 10)}"))
        first_group = conn.execute(text(f"SELECT min(id) FROM tag_group WHERE tenant_id = {tenant_id}")).scalar()
        conn.execute(text(
            f"INSERT INTO tag (tenant_id, group_id, name, \"order\", source, created_at) "
            f"SELECT {tenant_id}, {first_group} + (g.i % 10), 'Tag ' || g.i, g.i, 'manual', {now} "
            f"FROM {series(d, scale.tags)}"))
        timings["org and tags"] = time.perf_counter() - start

        start = time.perf_counter()
        gender = rnd(d, "g.i", 3)
        sources = "CASE " + " ".join(f"WHEN {rnd(d, 'g.i + 7', 5)} = {k} THEN '{s}'" for k, s in enumerate(
            ["wecom", "official_account", "import", "manual", "mini_program"])) + " END"
        conn.execute(text(
            f"INSERT INTO customer (tenant_id, name, mobile, gender, source, owner_employee_id, is_member, "
            f"attributes, created_at, updated_at) "
            f"SELECT {tenant_id}, 'Customer ' || g.i, '13' || {pad9(d, 'g.i * 7919 % 1000000000')}, "
            f"{gender}, {sources}, {first_emp} + {rnd(d, 'g.i + 3', scale.employees)}, {rnd(d, 'g.i + 11', 2)} = 1, "
            f"'{{}}', {ts(d, rnd(d, 'g.i + 5', 63_072_000))}, {now} FROM {series(d, scale.customers)}"))
        first_customer = conn.execute(text(f"SELECT min(id) FROM customer WHERE tenant_id = {tenant_id}")).scalar()
        conn.execute(text(
            f"INSERT INTO customer_identity (tenant_id, customer_id, kind, value, created_at) "
            f"SELECT tenant_id, id, 'mobile', mobile, created_at FROM customer WHERE tenant_id = {tenant_id}"))
        timings["customers and identities"] = time.perf_counter() - start

        start = time.perf_counter()
        per = max(1, scale.tag_links // scale.customers)
        first_tag = conn.execute(text(f"SELECT min(id) FROM tag WHERE tenant_id = {tenant_id}")).scalar()
        # customer c gets tags (c * 31 + k * 37) % tags for k < per: distinct per customer while per * 37 < tags
        conn.execute(text(
            f"INSERT INTO customer_tag (tenant_id, customer_id, tag_id, employee_key, source, created_at) "
            f"SELECT {tenant_id}, {first_customer} + c.i - 1, {first_tag} + ((c.i * 31 + k.i * 37) % {scale.tags}), "
            f"0, 'manual', {now} FROM {series(d, scale.customers, 'c')} CROSS JOIN {series(d, per, 'k')}"))
        timings["tag links"] = time.perf_counter() - start
    analyze(engine)
    log("generated: " + ", ".join(f"{k} {v:.1f}s" for k, v in timings.items()))
    return timings
