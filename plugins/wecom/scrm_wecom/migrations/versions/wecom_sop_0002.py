"""wecom sop: index ix_wecom_sop_task_customer on wecom_sop_task (customer, employee), read per pair by the
SOP trigger "no communication for N days"

Revision ID: wecom_sop_0002
Revises: wecom_sop_0001
Create Date: 2026-12-07
"""
from collections.abc import Sequence

from alembic import op

revision: str = 'wecom_sop_0002'
down_revision: str | None = 'wecom_sop_0001'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_index('ix_wecom_sop_task_customer', 'wecom_sop_task', ['customer_id', 'employee_id'], unique=False)


def downgrade() -> None:
    op.drop_index('ix_wecom_sop_task_customer', table_name='wecom_sop_task')
