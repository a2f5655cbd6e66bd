"""members condition builder at scale: a trigram index for "nickname contains" on PostgreSQL

"Nickname contains 小美" compiles to ``(customer.attributes ->> 'nickname') LIKE '%小美%'``, the key inline
(``scrm_members.segments.attribute_filters.attribute``); a trigram GIN index on that expression serves a selective
word instead of a scan of every customer's JSON. PostgreSQL only (SQLite has no trigram index), migrations only
(suffix ``_trgm``).

Revision ID: members_audience_0002
Revises: members_audience_0001
Create Date: 2026-12-06
"""
from collections.abc import Sequence

from alembic import op

revision: str = 'members_audience_0002'
down_revision: str | None = 'members_audience_0001'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

NAME = 'ix_members_customer_nickname_trgm'


def upgrade() -> None:
    if op.get_bind().dialect.name == 'postgresql':
        op.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
        op.execute(f"CREATE INDEX IF NOT EXISTS {NAME} ON customer USING gin ((attributes ->> 'nickname') gin_trgm_ops)")


def downgrade() -> None:
    if op.get_bind().dialect.name == 'postgresql':
        op.execute(f"DROP INDEX IF EXISTS {NAME}")
