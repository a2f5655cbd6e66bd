"""inbox recovery and skipped jobs: the processing job, attempts and failure of stored callbacks; a record of the
jobs skipped because a tenant disabled their plugin

Revision ID: 0010_core
Revises: 0009_core
Create Date: 2026-12-06
"""
from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = '0010_core'
down_revision: str | None = '0009_core'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# Callbacks stored before this revision have no process_actor: each channel's own migration names the job of its
# unprocessed rows (wecom's does), and rows left without one are never re-run by the platform's recovery.


def upgrade() -> None:
    with op.batch_alter_table("inbound_callback") as batch:
        batch.add_column(sa.Column("process_actor", sa.String(length=120), nullable=True))
        batch.add_column(sa.Column("attempts", sa.Integer(), nullable=False, server_default="0"))
        batch.add_column(sa.Column("retried_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True))
        batch.add_column(sa.Column("failed_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True))
    op.create_table(
        "skipped_job",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("tenant_id", sa.Integer(), sa.ForeignKey("tenant.id", ondelete="CASCADE"), nullable=False),
        sa.Column("plugin", sa.String(length=40), nullable=False),
        sa.Column("actor", sa.String(length=120), nullable=False),
        sa.Column("message_id", sa.String(length=64), nullable=False),
        sa.Column("delivery_id", sa.Integer(), nullable=True),
        sa.Column("created_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
    )
    op.create_index("ix_skipped_job_tenant_id", "skipped_job", ["tenant_id"])
    op.create_index("ix_skipped_job_tenant_time", "skipped_job", ["tenant_id", "created_at"])


def downgrade() -> None:
    op.drop_index("ix_skipped_job_tenant_time", table_name="skipped_job")
    op.drop_index("ix_skipped_job_tenant_id", table_name="skipped_job")
    op.drop_table("skipped_job")
    with op.batch_alter_table("inbound_callback") as batch:
        for column in ("failed_at", "retried_at", "attempts", "process_actor"):
            batch.drop_column(column)
