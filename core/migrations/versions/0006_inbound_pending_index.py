"""inbound pending index: a partial index on stored callbacks not processed yet, per tenant and plugin

Revision ID: 0006_core
Revises: 0005_core
Create Date: 2026-11-23
"""
from collections.abc import Sequence

from alembic import op

revision: str = '0006_core'
down_revision: str | None = '0005_core'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# The channels' recovery jobs run every minute per tenant and look for the few callbacks the broker never took
# (``processed_at IS NULL``, oldest first) among every callback the tenant ever received. The partial index holds only
# the unprocessed rows, so the lookup stays as small as the backlog whatever the table's size (PostgreSQL and SQLite).
NAME = "ix_inbound_callback_pending_partial"


def upgrade() -> None:
    op.execute(f"CREATE INDEX IF NOT EXISTS {NAME} ON inbound_callback (tenant_id, plugin, id) "
               "WHERE processed_at IS NULL")


def downgrade() -> None:
    op.execute(f"DROP INDEX IF EXISTS {NAME}")
