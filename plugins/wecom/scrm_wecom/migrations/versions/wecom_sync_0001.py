"""wecom sync: follow relations, synced members and sync runs

Revision ID: wecom_sync_0001
Revises:
Create Date: 2026-11-23
"""
from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = 'wecom_sync_0001'
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = ('wecom_sync',)
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        'wecom_follow',
        sa.Column('tenant_id', sa.Integer(), nullable=False),
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('account_id', sa.Integer(), nullable=False),
        sa.Column('customer_id', sa.Integer(), nullable=False),
        sa.Column('employee_id', sa.Integer(), nullable=True),
        sa.Column('userid', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column('external_userid', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column('remark', sqlmodel.sql.sqltypes.AutoString(length=100), nullable=False),
        sa.Column('description', sqlmodel.sql.sqltypes.AutoString(length=255), nullable=False),
        sa.Column('add_way', sa.Integer(), nullable=False),
        sa.Column('state', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column('added_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True),
        sa.Column('status', sqlmodel.sql.sqltypes.AutoString(length=12), nullable=False),
        sa.Column('deleted_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True),
        sa.Column('churned_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True),
        sa.Column('updated_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(['account_id'], ['channel_account.id'], ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['customer_id'], ['customer.id'], ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['employee_id'], ['employee.id'], ondelete='SET NULL'),
        sa.ForeignKeyConstraint(['tenant_id'], ['tenant.id'], ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('id'),
        sa.UniqueConstraint('account_id', 'external_userid', 'userid'),
    )
    op.create_index('ix_wecom_follow_customer', 'wecom_follow', ['tenant_id', 'customer_id'], unique=False)
    op.create_index('ix_wecom_follow_employee_status', 'wecom_follow', ['tenant_id', 'employee_id', 'status'],
                    unique=False)
    op.create_index(op.f('ix_wecom_follow_tenant_id'), 'wecom_follow', ['tenant_id'], unique=False)
    op.create_table(
        'wecom_sync_member',
        sa.Column('tenant_id', sa.Integer(), nullable=False),
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('account_id', sa.Integer(), nullable=False),
        sa.Column('employee_id', sa.Integer(), nullable=False),
        sa.Column('userid', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column('wecom_status', sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(['account_id'], ['channel_account.id'], ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['employee_id'], ['employee.id'], ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['tenant_id'], ['tenant.id'], ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('id'),
        sa.UniqueConstraint('account_id', 'userid'),
    )
    op.create_index(op.f('ix_wecom_sync_member_employee_id'), 'wecom_sync_member', ['employee_id'], unique=False)
    op.create_index(op.f('ix_wecom_sync_member_tenant_id'), 'wecom_sync_member', ['tenant_id'], unique=False)
    op.create_table(
        'wecom_sync_run',
        sa.Column('tenant_id', sa.Integer(), nullable=False),
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('account_id', sa.Integer(), nullable=False),
        sa.Column('kind', sqlmodel.sql.sqltypes.AutoString(length=10), nullable=False),
        sa.Column('status', sqlmodel.sql.sqltypes.AutoString(length=10), nullable=False),
        sa.Column('phase', sqlmodel.sql.sqltypes.AutoString(length=20), nullable=False),
        sa.Column('progress', sa.Integer(), nullable=False),
        sa.Column('stats', sa.JSON(), nullable=False),
        sa.Column('error', sqlmodel.sql.sqltypes.AutoString(length=500), nullable=True),
        sa.Column('requested_by', sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
        sa.Column('created_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.Column('started_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True),
        sa.Column('finished_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True),
        sa.ForeignKeyConstraint(['account_id'], ['channel_account.id'], ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['tenant_id'], ['tenant.id'], ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('id'),
    )
    op.create_index('ix_wecom_sync_run_account', 'wecom_sync_run', ['tenant_id', 'account_id', 'id'], unique=False)
    op.create_index(op.f('ix_wecom_sync_run_tenant_id'), 'wecom_sync_run', ['tenant_id'], unique=False)


def downgrade() -> None:
    op.drop_index(op.f('ix_wecom_sync_run_tenant_id'), table_name='wecom_sync_run')
    op.drop_index('ix_wecom_sync_run_account', table_name='wecom_sync_run')
    op.drop_table('wecom_sync_run')
    op.drop_index(op.f('ix_wecom_sync_member_tenant_id'), table_name='wecom_sync_member')
    op.drop_index(op.f('ix_wecom_sync_member_employee_id'), table_name='wecom_sync_member')
    op.drop_table('wecom_sync_member')
    op.drop_index(op.f('ix_wecom_follow_tenant_id'), table_name='wecom_follow')
    op.drop_index('ix_wecom_follow_employee_status', table_name='wecom_follow')
    op.drop_index('ix_wecom_follow_customer', table_name='wecom_follow')
    op.drop_table('wecom_follow')
