"""wecom masssend: index ix_wecom_mass_recipient_customer on wecom_mass_recipient (customer, employee), read per pair by the
SOP trigger "no communication for N days"

Revision ID: wecom_masssend_0002
Revises: wecom_masssend_0001
Create Date: 2026-12-07
"""
from collections.abc import Sequence

from alembic import op

revision: str = 'wecom_masssend_0002'
down_revision: str | None = 'wecom_masssend_0001'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_index('ix_wecom_mass_recipient_customer', 'wecom_mass_recipient', ['customer_id', 'employee_id'], unique=False)


def downgrade() -> None:
    op.drop_index('ix_wecom_mass_recipient_customer', table_name='wecom_mass_recipient')
