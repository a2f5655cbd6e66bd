"""wecom moments: the employees' Moments pages (link token and customer visits)

Revision ID: wecom_moments_0002
Revises: wecom_moments_0001
Create Date: 2026-12-06
"""
from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = 'wecom_moments_0002'
down_revision: str | None = 'wecom_moments_0001'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        'wecom_moments_page',
        sa.Column('tenant_id', sa.Integer(), nullable=False),
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('employee_id', sa.Integer(), nullable=False),
        sa.Column('token', sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
        sa.Column('views', sa.Integer(), nullable=False),
        sa.Column('created_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(['employee_id'], ['employee.id'], ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['tenant_id'], ['tenant.id'], ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('id'),
        sa.UniqueConstraint('tenant_id', 'employee_id'),
        sa.UniqueConstraint('token'),
    )
    op.create_index(op.f('ix_wecom_moments_page_tenant_id'), 'wecom_moments_page', ['tenant_id'], unique=False)


def downgrade() -> None:
    op.drop_index(op.f('ix_wecom_moments_page_tenant_id'), table_name='wecom_moments_page')
    op.drop_table('wecom_moments_page')
