"""short links: links per channel and campaign, personalised links (one per recipient), clicks, and the tenant logo
drawn on QR codes

Revision ID: 0012_core
Revises: 0011_core
Create Date: 2026-12-06
"""
from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = '0012_core'
down_revision: str | None = '0011_core'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

UTC = sqlmodel.sql.sqltypes.UTCDateTime
TEXT = sqlmodel.sql.sqltypes.AutoString


def upgrade() -> None:
    op.create_table(
        "short_link",
        sa.Column("tenant_id", sa.Integer(), nullable=False),
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("code", TEXT(length=8), nullable=False),
        sa.Column("target_url", TEXT(length=2048), nullable=False),
        sa.Column("kind", TEXT(length=10), nullable=False),
        sa.Column("expires_at", UTC(), nullable=True),
        sa.Column("channel", TEXT(length=40), nullable=False),
        sa.Column("campaign", TEXT(length=80), nullable=False),
        sa.Column("campaign_label", TEXT(length=100), nullable=False),
        sa.Column("created_by", TEXT(length=80), nullable=False),
        sa.Column("recipients", sa.Integer(), nullable=False),
        sa.Column("created_at", UTC(), nullable=False),
        sa.ForeignKeyConstraint(["tenant_id"], ["tenant.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("code"),
    )
    op.create_index("ix_short_link_tenant_id", "short_link", ["tenant_id"])
    op.create_index("ix_short_link_list", "short_link", ["tenant_id", "created_at"])
    op.create_index("ix_short_link_campaign", "short_link", ["tenant_id", "campaign"])

    op.create_table(
        "short_link_recipient",
        sa.Column("tenant_id", sa.Integer(), nullable=False),
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("link_id", sa.Integer(), nullable=False),
        sa.Column("code", TEXT(length=8), nullable=False),
        sa.Column("customer_id", sa.Integer(), nullable=True),
        sa.Column("recipient", TEXT(length=128), nullable=False),
        sa.Column("clicks", sa.Integer(), nullable=False),
        sa.Column("first_clicked_at", UTC(), nullable=True),
        sa.ForeignKeyConstraint(["tenant_id"], ["tenant.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["link_id"], ["short_link.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["customer_id"], ["customer.id"], ondelete="SET NULL"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("code"),
    )
    op.create_index("ix_short_link_recipient_tenant_id", "short_link_recipient", ["tenant_id"])
    op.create_index("ix_short_link_recipient_link", "short_link_recipient", ["link_id", "first_clicked_at"])

    op.create_table(
        "short_link_click",
        sa.Column("tenant_id", sa.Integer(), nullable=False),
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("link_id", sa.Integer(), nullable=False),
        sa.Column("recipient_id", sa.Integer(), nullable=True),
        sa.Column("customer_id", sa.Integer(), nullable=True),
        sa.Column("clicked_at", UTC(), nullable=False),
        sa.Column("agent", TEXT(length=10), nullable=False),
        sa.Column("ip_hash", TEXT(length=32), nullable=False),
        sa.ForeignKeyConstraint(["tenant_id"], ["tenant.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["link_id"], ["short_link.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["recipient_id"], ["short_link_recipient.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["customer_id"], ["customer.id"], ondelete="SET NULL"),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_short_link_click_tenant_id", "short_link_click", ["tenant_id"])
    op.create_index("ix_short_link_click_link", "short_link_click", ["link_id", "clicked_at"])

    op.create_table(
        "tenant_logo",
        sa.Column("tenant_id", sa.Integer(), nullable=False),
        sa.Column("image", sa.LargeBinary(), nullable=True),
        sa.Column("on_qr_codes", sa.Boolean(), nullable=False),
        sa.Column("updated_at", UTC(), nullable=False),
        sa.ForeignKeyConstraint(["tenant_id"], ["tenant.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("tenant_id"),
    )


def downgrade() -> None:
    op.drop_table("tenant_logo")
    op.drop_index("ix_short_link_click_link", table_name="short_link_click")
    op.drop_index("ix_short_link_click_tenant_id", table_name="short_link_click")
    op.drop_table("short_link_click")
    op.drop_index("ix_short_link_recipient_link", table_name="short_link_recipient")
    op.drop_index("ix_short_link_recipient_tenant_id", table_name="short_link_recipient")
    op.drop_table("short_link_recipient")
    op.drop_index("ix_short_link_campaign", table_name="short_link")
    op.drop_index("ix_short_link_list", table_name="short_link")
    op.drop_index("ix_short_link_tenant_id", table_name="short_link")
    op.drop_table("short_link")
