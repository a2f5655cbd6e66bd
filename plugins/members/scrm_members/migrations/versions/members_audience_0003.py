"""members condition builder at scale: a trigram index for "region contains" on PostgreSQL

"Region contains 乌鲁木齐" compiles to ``(customer.attributes ->> 'region') LIKE '%乌鲁木齐%'`` (the key inline, as
for the nickname of ``members_audience_0002``). A word of three characters or more (乌鲁木齐, 黑龙江, a path such as
广东/深圳) has trigrams, and a trigram GIN index on the expression replaces the scan of every customer's JSON (a
city of 2.5 % of 300,000 customers: 79 ms against 587 ms). A word of two characters (广东, 深圳) has no trigram;
the condition writes it on an expression this index does not cover, so it scans (``attribute_filters._contains``).
PostgreSQL only (SQLite has no trigram index), migrations only (suffix ``_trgm``).

Revision ID: members_audience_0003
Revises: members_audience_0002
Create Date: 2026-12-06
"""
from collections.abc import Sequence

from alembic import op

revision: str = 'members_audience_0003'
down_revision: str | None = 'members_audience_0002'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

NAME = 'ix_members_customer_region_trgm'


def upgrade() -> None:
    if op.get_bind().dialect.name == 'postgresql':
        op.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
        op.execute(f"CREATE INDEX IF NOT EXISTS {NAME} ON customer USING gin ((attributes ->> 'region') gin_trgm_ops)")


def downgrade() -> None:
    if op.get_bind().dialect.name == 'postgresql':
        op.execute(f"DROP INDEX IF EXISTS {NAME}")
