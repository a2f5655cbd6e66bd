# ruff: noqa: F811  (pytest fixtures imported from the area helper module are redefined as test arguments)
"""Indexes of the condition builder's "contains" conditions on PostgreSQL (migrations ``members_audience_0002`` and
``members_audience_0003``): "nickname contains" and "region contains" with a word of three characters or more are
answered through their trigram GIN index, a shorter word (no trigram) by a scan; the counts are the same on SQLite,
which scans."""

from __future__ import annotations

from members_segments_fixtures import add_customer, members_tenant  # noqa: F401
from sqlalchemy import text
from sqlmodel import func, select
from test_members_condition_builder import count, types_for

from scrm.core.models import Customer
from scrm.sdk import compile_audience


def plan_of(db, tenant, key: str, word: str) -> str:
    query = select(func.count()).select_from(
        compile_audience(tenant.id, {"conditions": [{"type": key, "values": [word]}]},
                         types_for(db, tenant)).subquery())
    compiled = query.compile(db.get_bind())
    plan = "\n".join(row[0] for row in db.connection().exec_driver_sql("EXPLAIN " + str(compiled), compiled.params))
    db.rollback()
    return plan


def test_region_and_nickname_contains_use_their_trigram_indexes(db, members_tenant, other_tenant, add_customer):
    t = members_tenant
    add_customer(t, "A", attributes={"region": "新疆/乌鲁木齐", "nickname": "会员12345"})
    add_customer(t, "B", attributes={"region": "广东/深圳", "nickname": "会员54321"})
    add_customer(t, "C", attributes={"region": "新疆/喀什"})
    add_customer(other_tenant, "X", attributes={"region": "新疆/乌鲁木齐", "nickname": "会员12345"})
    assert count(db, t, ("region", ["乌鲁木齐"])) == 1
    assert count(db, t, ("region", ["广东/深圳"])) == 1
    assert count(db, t, ("region", ["新疆"])) == 2  # two characters: no trigram, the scan answers
    assert count(db, t, ("nickname", ["会员12345"])) == 1
    if db.get_bind().dialect.name != "postgresql":
        return  # SQLite has no trigram index: the counts above are what it answers by scanning
    # customers of other cities, so that an index on the tenant (every row) is no cheaper than the trigram index
    db.execute(Customer.__table__.insert(), [{"tenant_id": t.id, "name": f"c{i}", "is_member": False, "source": "import",
                                              "attributes": {"region": "浙江/杭州", "nickname": f"茶友{i}"}}
                                             for i in range(5_000)])
    db.commit()
    for index in ("ix_members_customer_region_trgm", "ix_members_customer_nickname_trgm"):
        # new rows wait in the GIN pending list (autovacuum moves them in production), which the planner costs as a
        # scan of the list
        db.execute(text(f"SELECT gin_clean_pending_list('{index}'::regclass)"))
    db.execute(text("ANALYZE customer"))
    db.commit()
    assert "ix_members_customer_region_trgm" in plan_of(db, t, "region", "乌鲁木齐")
    assert "ix_members_customer_region_trgm" in plan_of(db, t, "region", "广东/深圳")
    assert "ix_members_customer_nickname_trgm" in plan_of(db, t, "nickname", "会员12345")
    # a word of two characters has no trigram: it is written so that no index matches it, and the database scans
    # rather than reading every entry of the trigram index and rechecking every customer
    for key, word in (("region", "新疆"), ("nickname", "会员")):
        plan = plan_of(db, t, key, word)
        assert f"ix_members_customer_{key}_trgm" not in plan and f"(attributes ->> '{key}'::text) || ''" in plan, plan
