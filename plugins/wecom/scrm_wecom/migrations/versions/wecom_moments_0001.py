"""wecom moments: enterprise Moments tasks, their senders' results and the comments and likes read from WeCom

Revision ID: wecom_moments_0001
Revises:
Create Date: 2026-12-06
"""
from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = 'wecom_moments_0001'
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = ('wecom_moments',)
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        'wecom_moment_task',
        sa.Column('tenant_id', sa.Integer(), nullable=False),
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('account_id', sa.Integer(), nullable=False),
        sa.Column('text', sa.Text(), nullable=False),
        sa.Column('attachment', sa.JSON(), nullable=False),
        sa.Column('tag_ids', sa.JSON(), nullable=False),
        sa.Column('status', sqlmodel.sql.sqltypes.AutoString(length=20), nullable=False),
        sa.Column('jobid', sqlmodel.sql.sqltypes.AutoString(length=128), nullable=True),
        sa.Column('moment_id', sqlmodel.sql.sqltypes.AutoString(length=128), nullable=True),
        sa.Column('error', sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
        sa.Column('invalid_userids', sa.JSON(), nullable=False),
        sa.Column('invalid_tag_ids', sa.JSON(), nullable=False),
        sa.Column('created_by', sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
        sa.Column('created_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.Column('submitted_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True),
        sa.Column('created_in_wecom_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True),
        sa.Column('results_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True),
        sa.ForeignKeyConstraint(['account_id'], ['channel_account.id'], ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['tenant_id'], ['tenant.id'], ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('id'),
    )
    op.create_index('ix_wecom_moment_task_created', 'wecom_moment_task', ['tenant_id', 'created_at'], unique=False)
    op.create_index(op.f('ix_wecom_moment_task_tenant_id'), 'wecom_moment_task', ['tenant_id'], unique=False)
    op.create_table(
        'wecom_moment_sender',
        sa.Column('tenant_id', sa.Integer(), nullable=False),
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('task_id', sa.Integer(), nullable=False),
        sa.Column('employee_id', sa.Integer(), nullable=False),
        sa.Column('userid', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column('invalid', sa.Boolean(), nullable=False),
        sa.Column('published', sa.Boolean(), nullable=False),
        sa.Column('published_seen_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True),
        sa.Column('reached', sa.Integer(), nullable=False),
        sa.Column('comments', sa.Integer(), nullable=False),
        sa.Column('likes', sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(['employee_id'], ['employee.id'], ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['task_id'], ['wecom_moment_task.id'], ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['tenant_id'], ['tenant.id'], ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('id'),
        sa.UniqueConstraint('task_id', 'employee_id'),
    )
    op.create_index(op.f('ix_wecom_moment_sender_employee_id'), 'wecom_moment_sender', ['employee_id'], unique=False)
    op.create_index(op.f('ix_wecom_moment_sender_tenant_id'), 'wecom_moment_sender', ['tenant_id'], unique=False)
    op.create_table(
        'wecom_moment_interaction',
        sa.Column('tenant_id', sa.Integer(), nullable=False),
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('task_id', sa.Integer(), nullable=False),
        sa.Column('sender_userid', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column('kind', sqlmodel.sql.sqltypes.AutoString(length=10), nullable=False),
        sa.Column('actor_id', sqlmodel.sql.sqltypes.AutoString(length=128), nullable=False),
        sa.Column('from_customer', sa.Boolean(), nullable=False),
        sa.Column('customer_id', sa.Integer(), nullable=True),
        sa.Column('happened_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(['customer_id'], ['customer.id'], ondelete='SET NULL'),
        sa.ForeignKeyConstraint(['task_id'], ['wecom_moment_task.id'], ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['tenant_id'], ['tenant.id'], ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('id'),
        sa.UniqueConstraint('task_id', 'sender_userid', 'kind', 'actor_id', 'happened_at'),
    )
    op.create_index(op.f('ix_wecom_moment_interaction_tenant_id'), 'wecom_moment_interaction', ['tenant_id'],
                    unique=False)


def downgrade() -> None:
    op.drop_index(op.f('ix_wecom_moment_interaction_tenant_id'), table_name='wecom_moment_interaction')
    op.drop_table('wecom_moment_interaction')
    op.drop_index(op.f('ix_wecom_moment_sender_tenant_id'), table_name='wecom_moment_sender')
    op.drop_index(op.f('ix_wecom_moment_sender_employee_id'), table_name='wecom_moment_sender')
    op.drop_table('wecom_moment_sender')
    op.drop_index(op.f('ix_wecom_moment_task_tenant_id'), table_name='wecom_moment_task')
    op.drop_index('ix_wecom_moment_task_created', table_name='wecom_moment_task')
    op.drop_table('wecom_moment_task')
