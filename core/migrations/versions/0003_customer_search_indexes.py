"""customer search indexes: (tenant_id, source) for skip scans; trigram indexes for keyword search on PostgreSQL

Revision ID: 0003_core
Revises: 0002_core
Create Date: 2026-11-23
"""
from collections.abc import Sequence

from alembic import op

revision: str = '0003_core'
down_revision: str | None = '0002_core'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# "contains" keyword search (name LIKE '%王%', mobile LIKE '%8000%') cannot use a b-tree; on PostgreSQL trigram GIN
# indexes serve it. They are dialect-specific, so they live in migrations only (see scrm.core.migrate.SEARCH_INDEXES).
TRGM = (("ix_customer_name_trgm", "name"), ("ix_customer_mobile_trgm", "mobile"))


def upgrade() -> None:
    op.create_index('ix_customer_tenant_source', 'customer', ['tenant_id', 'source'], unique=False)
    # the self-reference of merged customers: without it, deleting customers scans the table once per deleted row
    op.create_index('ix_customer_merged_into', 'customer', ['merged_into_id'], unique=False)
    if op.get_bind().dialect.name == "postgresql":
        op.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
        for name, column in TRGM:
            op.execute(f"CREATE INDEX IF NOT EXISTS {name} ON customer USING gin ({column} gin_trgm_ops)")


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        for name, _column in TRGM:
            op.execute(f"DROP INDEX IF EXISTS {name}")
    op.drop_index('ix_customer_merged_into', table_name='customer')
    op.drop_index('ix_customer_tenant_source', table_name='customer')
