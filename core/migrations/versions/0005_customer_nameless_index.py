"""customer nameless index: a partial index on customers without a name, for the audience condition "name is empty"

Revision ID: 0005_core
Revises: 0004_core
Create Date: 2026-11-23
"""
from collections.abc import Sequence

from alembic import op

revision: str = '0005_core'
down_revision: str | None = '0004_core'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# "name is empty" matches almost no customer, yet without this index the list page and its count read every customer
# of the tenant to find that out. The predicate is the exact expression the members plugin's name condition compiles
# to (with inline literals), so the planners of both PostgreSQL and SQLite can prove the index applies.
NAME = "ix_customer_nameless_partial"


def upgrade() -> None:
    op.execute(f"CREATE INDEX IF NOT EXISTS {NAME} ON customer (tenant_id, id) "
               "WHERE length(trim(coalesce(name, ''))) = 0")


def downgrade() -> None:
    op.execute(f"DROP INDEX IF EXISTS {NAME}")
