"""tenant time zone and language: the zone times are shown and days counted in, the language of seeded data

Revision ID: 0008_core
Revises: 0007_core
Create Date: 2026-12-06
"""
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '0008_core'
down_revision: str | None = '0007_core'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# Existing tenants keep what the platform assumed until now: Asia/Shanghai and Chinese.


def upgrade() -> None:
    with op.batch_alter_table("tenant") as batch:
        batch.add_column(sa.Column("timezone", sa.String(length=64), nullable=False, server_default="Asia/Shanghai"))
        batch.add_column(sa.Column("language", sa.String(length=10), nullable=False, server_default="zh_CN"))


def downgrade() -> None:
    with op.batch_alter_table("tenant") as batch:
        batch.drop_column("language")
        batch.drop_column("timezone")
