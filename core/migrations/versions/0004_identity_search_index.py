"""identity search index: trigram index on mobile identities for the customer list's mobile keyword search

Revision ID: 0004_core
Revises: 0003_core
Create Date: 2026-11-23
"""
from collections.abc import Sequence

from alembic import op

revision: str = '0004_core'
down_revision: str | None = '0003_core'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# the list's mobile search is "contains" over every mobile identity of a customer (customer_identity.value LIKE
# '%1300%'), which a b-tree cannot serve; PostgreSQL only (see 0003), partial on kind = 'mobile' to stay small
NAME = "ix_customer_identity_mobile_trgm"


def upgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
        op.execute(f"CREATE INDEX IF NOT EXISTS {NAME} ON customer_identity USING gin (value gin_trgm_ops) "
                   "WHERE kind = 'mobile'")


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute(f"DROP INDEX IF EXISTS {NAME}")
