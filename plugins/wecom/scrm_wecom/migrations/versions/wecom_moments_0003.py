"""wecom moments: the Moments read from WeCom's Moments list (企微朋友圈 records)

Revision ID: wecom_moments_0003
Revises: wecom_moments_0002
Create Date: 2026-12-07
"""
from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = 'wecom_moments_0003'
down_revision: str | None = 'wecom_moments_0002'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        'wecom_moment_record',
        sa.Column('tenant_id', sa.Integer(), nullable=False),
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('account_id', sa.Integer(), nullable=False),
        sa.Column('moment_id', sqlmodel.sql.sqltypes.AutoString(length=128), nullable=False),
        sa.Column('creator_userid', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column('employee_id', sa.Integer(), nullable=True),
        sa.Column('create_type', sa.Integer(), nullable=False),
        sa.Column('content_type', sqlmodel.sql.sqltypes.AutoString(length=10), nullable=False),
        sa.Column('text', sa.Text(), nullable=False),
        sa.Column('link', sa.JSON(), nullable=False),
        sa.Column('created_in_wecom_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.Column('fetched_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.Column('synced_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True),
        sa.ForeignKeyConstraint(['account_id'], ['channel_account.id'], ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['employee_id'], ['employee.id'], ondelete='SET NULL'),
        sa.ForeignKeyConstraint(['tenant_id'], ['tenant.id'], ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('id'),
        sa.UniqueConstraint('account_id', 'moment_id'),
    )
    op.create_index('ix_wecom_moment_record_created', 'wecom_moment_record', ['tenant_id', 'created_in_wecom_at'],
                    unique=False)
    op.create_index(op.f('ix_wecom_moment_record_tenant_id'), 'wecom_moment_record', ['tenant_id'], unique=False)


def downgrade() -> None:
    op.drop_index(op.f('ix_wecom_moment_record_tenant_id'), table_name='wecom_moment_record')
    op.drop_index('ix_wecom_moment_record_created', table_name='wecom_moment_record')
    op.drop_table('wecom_moment_record')
