"""members performance at scale: covering indexes for the stage and last-purchase filters (index-only scans)

Revision ID: members_perf_0001
Revises:
Create Date: 2026-11-23
"""
from collections.abc import Sequence

from alembic import op

revision: str = 'members_perf_0001'
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = ('members_perf',)
depends_on: str | Sequence[str] | None = ('members_loyalty_0001',)

# (table, index, its columns before, the column added at the end)
WIDENED = (
    ('members_stage_membership', 'ix_members_stage_membership_stage', ['stage_id', 'left_at', 'entered_at'],
     'customer_id'),
    ('members_stage_membership', 'ix_members_stage_membership_customer', ['customer_id', 'left_at'], 'stage_id'),
    ('members_order', 'ix_members_order_tenant_paid', ['tenant_id', 'paid_at'], 'customer_id'),
)


def upgrade() -> None:
    for table, name, columns, added in WIDENED:
        op.drop_index(name, table_name=table)
        op.create_index(name, table, [*columns, added], unique=False)


def downgrade() -> None:
    for table, name, columns, _added in WIDENED:
        op.drop_index(name, table_name=table)
        op.create_index(name, table, columns, unique=False)
