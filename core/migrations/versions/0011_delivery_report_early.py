"""early delivery reports: a report that names a provider message id before the send job recorded it is kept until
the send job records the id

Revision ID: 0011_core
Revises: 0010_core
Create Date: 2026-12-06
"""
from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = '0011_core'
down_revision: str | None = '0010_core'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "delivery_report_early",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("tenant_id", sa.Integer(), sa.ForeignKey("tenant.id", ondelete="CASCADE"), nullable=False),
        sa.Column("channel", sa.String(length=40), nullable=False),
        sa.Column("provider_id", sa.String(length=128), nullable=False),
        sa.Column("account_id", sa.Integer(), nullable=True),
        sa.Column("status", sa.String(length=10), nullable=False),
        sa.Column("error_code", sa.String(length=40), nullable=True),
        sa.Column("error", sa.String(length=500), nullable=True),
        sa.Column("reported_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.Column("created_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.UniqueConstraint("tenant_id", "channel", "provider_id"),
    )
    op.create_index("ix_delivery_report_early_tenant_id", "delivery_report_early", ["tenant_id"])
    op.create_index("ix_delivery_report_early_time", "delivery_report_early", ["created_at"])


def downgrade() -> None:
    op.drop_index("ix_delivery_report_early_time", table_name="delivery_report_early")
    op.drop_index("ix_delivery_report_early_tenant_id", table_name="delivery_report_early")
    op.drop_table("delivery_report_early")
