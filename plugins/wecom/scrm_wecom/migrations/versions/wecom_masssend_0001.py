"""wecom masssend: customer and group mass sends, their member tasks and recipients, and the mass-send limits of the
platform rules

Revision ID: wecom_masssend_0001
Revises:
Create Date: 2026-12-06
"""
from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = 'wecom_masssend_0001'
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = ('wecom_masssend',)
# recipients reference wecom_group_chat; the limit columns extend wecom_limit_overrides
depends_on: str | Sequence[str] | None = ('wecom_groupchats_0001', 'wecom_rules_0001')

LIMITS = ('enterprise_mass_per_day', 'group_mass_per_day', 'group_mass_per_month', 'mass_tasks_per_month',
          'group_mass_tasks_per_month')


def upgrade() -> None:
    with op.batch_alter_table('wecom_limit_overrides') as batch:
        for name in LIMITS:
            batch.add_column(sa.Column(name, sa.Integer(), nullable=True))
    op.create_table(
        'wecom_mass_task',
        sa.Column('tenant_id', sa.Integer(), nullable=False),
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('chat_type', sqlmodel.sql.sqltypes.AutoString(length=10), nullable=False),
        sa.Column('text', sqlmodel.sql.sqltypes.AutoString(length=4000), nullable=False),
        sa.Column('attachment_ids', sa.JSON(), nullable=False),
        sa.Column('audience', sa.JSON(), nullable=False),
        sa.Column('send_type', sqlmodel.sql.sqltypes.AutoString(length=10), nullable=False),
        sa.Column('send_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True),
        sa.Column('status', sqlmodel.sql.sqltypes.AutoString(length=10), nullable=False),
        sa.Column('matched', sa.Integer(), nullable=False),
        sa.Column('targeted', sa.Integer(), nullable=False),
        sa.Column('excluded_limit', sa.Integer(), nullable=False),
        sa.Column('excluded_rule', sa.Integer(), nullable=False),
        sa.Column('no_friend', sa.Integer(), nullable=False),
        sa.Column('error', sqlmodel.sql.sqltypes.AutoString(length=500), nullable=False),
        sa.Column('created_by', sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
        sa.Column('created_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.Column('dispatched_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True),
        sa.Column('cancelled_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True),
        sa.Column('polled_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True),
        sa.ForeignKeyConstraint(['tenant_id'], ['tenant.id'], ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('id'),
    )
    op.create_index('ix_wecom_mass_task_list', 'wecom_mass_task', ['tenant_id', 'chat_type', 'created_at'],
                    unique=False)
    op.create_index(op.f('ix_wecom_mass_task_tenant_id'), 'wecom_mass_task', ['tenant_id'], unique=False)
    op.create_table(
        'wecom_mass_member',
        sa.Column('tenant_id', sa.Integer(), nullable=False),
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('task_id', sa.Integer(), nullable=False),
        sa.Column('employee_id', sa.Integer(), nullable=True),
        sa.Column('account_id', sa.Integer(), nullable=False),
        sa.Column('userid', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column('msgids', sa.JSON(), nullable=False),
        sa.Column('status', sqlmodel.sql.sqltypes.AutoString(length=10), nullable=False),
        sa.Column('target_count', sa.Integer(), nullable=False),
        sa.Column('sent_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True),
        sa.Column('reminded_at', sa.JSON(), nullable=False),
        sa.Column('error', sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
        sa.ForeignKeyConstraint(['account_id'], ['channel_account.id'], ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['employee_id'], ['employee.id'], ondelete='SET NULL'),
        sa.ForeignKeyConstraint(['task_id'], ['wecom_mass_task.id'], ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['tenant_id'], ['tenant.id'], ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('id'),
        sa.UniqueConstraint('task_id', 'userid', 'account_id'),
    )
    op.create_index('ix_wecom_mass_member_task', 'wecom_mass_member', ['task_id', 'status'], unique=False)
    op.create_index(op.f('ix_wecom_mass_member_tenant_id'), 'wecom_mass_member', ['tenant_id'], unique=False)
    op.create_table(
        'wecom_mass_recipient',
        sa.Column('tenant_id', sa.Integer(), nullable=False),
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('task_id', sa.Integer(), nullable=False),
        sa.Column('employee_id', sa.Integer(), nullable=True),
        sa.Column('account_id', sa.Integer(), nullable=False),
        sa.Column('userid', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column('customer_id', sa.Integer(), nullable=True),
        sa.Column('group_chat_id', sa.Integer(), nullable=True),
        sa.Column('target', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column('status', sqlmodel.sql.sqltypes.AutoString(length=12), nullable=False),
        sa.Column('sent_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True),
        sa.ForeignKeyConstraint(['account_id'], ['channel_account.id'], ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['customer_id'], ['customer.id'], ondelete='SET NULL'),
        sa.ForeignKeyConstraint(['employee_id'], ['employee.id'], ondelete='SET NULL'),
        sa.ForeignKeyConstraint(['group_chat_id'], ['wecom_group_chat.id'], ondelete='SET NULL'),
        sa.ForeignKeyConstraint(['task_id'], ['wecom_mass_task.id'], ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['tenant_id'], ['tenant.id'], ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('id'),
        sa.UniqueConstraint('task_id', 'target'),
    )
    op.create_index('ix_wecom_mass_recipient_sender', 'wecom_mass_recipient', ['task_id', 'userid', 'status'],
                    unique=False)
    op.create_index('ix_wecom_mass_recipient_status', 'wecom_mass_recipient', ['task_id', 'status'], unique=False)
    op.create_index(op.f('ix_wecom_mass_recipient_tenant_id'), 'wecom_mass_recipient', ['tenant_id'], unique=False)


def downgrade() -> None:
    op.drop_index(op.f('ix_wecom_mass_recipient_tenant_id'), table_name='wecom_mass_recipient')
    op.drop_index('ix_wecom_mass_recipient_status', table_name='wecom_mass_recipient')
    op.drop_index('ix_wecom_mass_recipient_sender', table_name='wecom_mass_recipient')
    op.drop_table('wecom_mass_recipient')
    op.drop_index(op.f('ix_wecom_mass_member_tenant_id'), table_name='wecom_mass_member')
    op.drop_index('ix_wecom_mass_member_task', table_name='wecom_mass_member')
    op.drop_table('wecom_mass_member')
    op.drop_index(op.f('ix_wecom_mass_task_tenant_id'), table_name='wecom_mass_task')
    op.drop_index('ix_wecom_mass_task_list', table_name='wecom_mass_task')
    op.drop_table('wecom_mass_task')
    with op.batch_alter_table('wecom_limit_overrides') as batch:
        for name in reversed(LIMITS):
            batch.drop_column(name)
