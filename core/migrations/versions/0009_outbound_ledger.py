"""outbound ledger: purpose, message, attempts and outbox times on message_delivery; tenant frequency caps

Revision ID: 0009_core
Revises: 0008_core
Create Date: 2026-12-06
"""
from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = '0009_core'
down_revision: str | None = '0008_core'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# Rows written before the outbound path keep purpose NULL and message {}; their enqueued_at stays NULL, and the
# outbound relay only re-enqueues rows that carry a message, so the older features' rows are left to them.


def upgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":  # the status is a native enum there (stored by member name)
        for value in ("SENDING", "READ"):
            op.execute(f"ALTER TYPE deliverystatus ADD VALUE IF NOT EXISTS '{value}'")
    with op.batch_alter_table("message_delivery") as batch:
        batch.add_column(sa.Column("purpose", sa.String(length=40), nullable=True))
        batch.add_column(sa.Column("message", sa.JSON(), nullable=False, server_default="{}"))
        batch.add_column(sa.Column("attempts", sa.Integer(), nullable=False, server_default="0"))
        batch.add_column(sa.Column("enqueued_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True))
        batch.add_column(sa.Column("sending_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True))
        batch.add_column(sa.Column("read_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True))
    op.create_index("ix_delivery_provider", "message_delivery", ["channel", "provider_id"])
    op.create_index("ix_delivery_pending", "message_delivery", ["status", "enqueued_at"])
    op.create_table(
        "message_cap",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("tenant_id", sa.Integer(), sa.ForeignKey("tenant.id", ondelete="CASCADE"), nullable=False),
        sa.Column("purpose", sa.String(length=40), nullable=False),
        sa.Column("channel", sa.String(length=40), nullable=False),
        sa.Column("per_day", sa.Integer(), nullable=True),
        sa.UniqueConstraint("tenant_id", "purpose", "channel"),
    )
    op.create_index("ix_message_cap_tenant_id", "message_cap", ["tenant_id"])


def downgrade() -> None:
    # PostgreSQL cannot drop enum values: the type keeps SENDING and READ
    op.drop_index("ix_message_cap_tenant_id", table_name="message_cap")
    op.drop_table("message_cap")
    op.drop_index("ix_delivery_pending", table_name="message_delivery")
    op.drop_index("ix_delivery_provider", table_name="message_delivery")
    with op.batch_alter_table("message_delivery") as batch:
        for column in ("read_at", "sending_at", "enqueued_at", "attempts", "message", "purpose"):
            batch.drop_column(column)
