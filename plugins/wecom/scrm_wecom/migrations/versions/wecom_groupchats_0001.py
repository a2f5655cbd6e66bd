"""wecom groupchats: customer group chat mirror, members, assignments and sync runs

Revision ID: wecom_groupchats_0001
Revises:
Create Date: 2026-11-23
"""
from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = 'wecom_groupchats_0001'
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = ('wecom_groupchats',)
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        'wecom_group_chat',
        sa.Column('tenant_id', sa.Integer(), nullable=False),
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('account_id', sa.Integer(), nullable=False),
        sa.Column('chat_id', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column('name', sqlmodel.sql.sqltypes.AutoString(length=100), nullable=False),
        sa.Column('owner_userid', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column('owner_employee_id', sa.Integer(), nullable=True),
        sa.Column('notice', sqlmodel.sql.sqltypes.AutoString(length=1000), nullable=False),
        sa.Column('created_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True),
        sa.Column('member_count', sa.Integer(), nullable=False),
        sa.Column('status', sqlmodel.sql.sqltypes.AutoString(length=10), nullable=False),
        sa.Column('member_version', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column('counter_day', sa.Date(), nullable=True),
        sa.Column('joined_today', sa.Integer(), nullable=False),
        sa.Column('left_today', sa.Integer(), nullable=False),
        sa.Column('synced_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True),
        sa.Column('updated_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(['account_id'], ['channel_account.id'], ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['owner_employee_id'], ['employee.id'], ondelete='SET NULL'),
        sa.ForeignKeyConstraint(['tenant_id'], ['tenant.id'], ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('id'),
        sa.UniqueConstraint('account_id', 'chat_id'),
    )
    op.create_index('ix_wecom_group_chat_owner', 'wecom_group_chat', ['tenant_id', 'owner_employee_id', 'status'],
                    unique=False)
    op.create_index(op.f('ix_wecom_group_chat_tenant_id'), 'wecom_group_chat', ['tenant_id'], unique=False)
    op.create_table(
        'wecom_group_chat_sync',
        sa.Column('tenant_id', sa.Integer(), nullable=False),
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('account_id', sa.Integer(), nullable=False),
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
    op.create_index('ix_wecom_group_chat_sync_account', 'wecom_group_chat_sync', ['tenant_id', 'account_id', 'id'],
                    unique=False)
    op.create_index(op.f('ix_wecom_group_chat_sync_tenant_id'), 'wecom_group_chat_sync', ['tenant_id'], unique=False)
    op.create_table(
        'wecom_group_assignment',
        sa.Column('tenant_id', sa.Integer(), nullable=False),
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('group_chat_id', sa.Integer(), nullable=False),
        sa.Column('chat_name', sqlmodel.sql.sqltypes.AutoString(length=100), nullable=False),
        sa.Column('handover_userid', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column('handover_employee_id', sa.Integer(), nullable=True),
        sa.Column('takeover_userid', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column('takeover_employee_id', sa.Integer(), nullable=True),
        sa.Column('member_count', sa.Integer(), nullable=False),
        sa.Column('status', sqlmodel.sql.sqltypes.AutoString(length=10), nullable=False),
        sa.Column('errcode', sa.Integer(), nullable=True),
        sa.Column('error', sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
        sa.Column('operator', sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
        sa.Column('assigned_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.Column('finished_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True),
        sa.ForeignKeyConstraint(['group_chat_id'], ['wecom_group_chat.id'], ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['handover_employee_id'], ['employee.id'], ondelete='SET NULL'),
        sa.ForeignKeyConstraint(['takeover_employee_id'], ['employee.id'], ondelete='SET NULL'),
        sa.ForeignKeyConstraint(['tenant_id'], ['tenant.id'], ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('id'),
    )
    op.create_index('ix_wecom_group_assignment_assigned', 'wecom_group_assignment', ['tenant_id', 'assigned_at'],
                    unique=False)
    op.create_index('ix_wecom_group_assignment_chat', 'wecom_group_assignment',
                    ['tenant_id', 'group_chat_id', 'status'], unique=False)
    op.create_index(op.f('ix_wecom_group_assignment_tenant_id'), 'wecom_group_assignment', ['tenant_id'],
                    unique=False)
    op.create_table(
        'wecom_group_member',
        sa.Column('tenant_id', sa.Integer(), nullable=False),
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('group_chat_id', sa.Integer(), nullable=False),
        sa.Column('member_id', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column('type', sa.Integer(), nullable=False),
        sa.Column('name', sqlmodel.sql.sqltypes.AutoString(length=100), nullable=False),
        sa.Column('group_nickname', sqlmodel.sql.sqltypes.AutoString(length=100), nullable=False),
        sa.Column('unionid', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column('join_time', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True),
        sa.Column('join_scene', sa.Integer(), nullable=False),
        sa.Column('invitor_userid', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column('state', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column('customer_id', sa.Integer(), nullable=True),
        sa.Column('employee_id', sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(['customer_id'], ['customer.id'], ondelete='SET NULL'),
        sa.ForeignKeyConstraint(['employee_id'], ['employee.id'], ondelete='SET NULL'),
        sa.ForeignKeyConstraint(['group_chat_id'], ['wecom_group_chat.id'], ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['tenant_id'], ['tenant.id'], ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('id'),
        sa.UniqueConstraint('group_chat_id', 'member_id'),
    )
    op.create_index('ix_wecom_group_member_customer', 'wecom_group_member', ['tenant_id', 'customer_id'],
                    unique=False)
    op.create_index(op.f('ix_wecom_group_member_tenant_id'), 'wecom_group_member', ['tenant_id'], unique=False)


def downgrade() -> None:
    op.drop_index(op.f('ix_wecom_group_member_tenant_id'), table_name='wecom_group_member')
    op.drop_index('ix_wecom_group_member_customer', table_name='wecom_group_member')
    op.drop_table('wecom_group_member')
    op.drop_index(op.f('ix_wecom_group_assignment_tenant_id'), table_name='wecom_group_assignment')
    op.drop_index('ix_wecom_group_assignment_chat', table_name='wecom_group_assignment')
    op.drop_index('ix_wecom_group_assignment_assigned', table_name='wecom_group_assignment')
    op.drop_table('wecom_group_assignment')
    op.drop_index(op.f('ix_wecom_group_chat_sync_tenant_id'), table_name='wecom_group_chat_sync')
    op.drop_index('ix_wecom_group_chat_sync_account', table_name='wecom_group_chat_sync')
    op.drop_table('wecom_group_chat_sync')
    op.drop_index(op.f('ix_wecom_group_chat_tenant_id'), table_name='wecom_group_chat')
    op.drop_index('ix_wecom_group_chat_owner', table_name='wecom_group_chat')
    op.drop_table('wecom_group_chat')
