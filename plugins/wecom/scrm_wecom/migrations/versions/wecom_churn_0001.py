"""wecom churned and deleted customers and their reminder settings

Revision ID: wecom_churn_0001
Revises:
Create Date: 2026-11-23
"""
from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = 'wecom_churn_0001'
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = ('wecom_churn',)
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        'wecom_friend_loss',
        sa.Column('tenant_id', sa.Integer(), nullable=False),
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('kind', sqlmodel.sql.sqltypes.AutoString(length=10), nullable=False),
        sa.Column('event_id', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column('account_id', sa.Integer(), nullable=False),
        sa.Column('customer_id', sa.Integer(), nullable=False),
        sa.Column('employee_id', sa.Integer(), nullable=True),
        sa.Column('owner_employee_id', sa.Integer(), nullable=True),
        sa.Column('operator_employee_id', sa.Integer(), nullable=True),
        sa.Column('userid', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column('external_userid', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column('added_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True),
        sa.Column('lost_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.Column('created_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(['account_id'], ['channel_account.id'], ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['customer_id'], ['customer.id'], ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['employee_id'], ['employee.id'], ondelete='SET NULL'),
        sa.ForeignKeyConstraint(['operator_employee_id'], ['employee.id'], ondelete='SET NULL'),
        sa.ForeignKeyConstraint(['owner_employee_id'], ['employee.id'], ondelete='SET NULL'),
        sa.ForeignKeyConstraint(['tenant_id'], ['tenant.id'], ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('id'),
        sa.UniqueConstraint('tenant_id', 'event_id'),
    )
    op.create_index('ix_wecom_friend_loss_customer', 'wecom_friend_loss', ['tenant_id', 'customer_id'], unique=False)
    op.create_index('ix_wecom_friend_loss_kind_employee', 'wecom_friend_loss', ['tenant_id', 'kind', 'employee_id'],
                    unique=False)
    op.create_index('ix_wecom_friend_loss_kind_time', 'wecom_friend_loss', ['tenant_id', 'kind', 'lost_at'],
                    unique=False)
    op.create_index(op.f('ix_wecom_friend_loss_tenant_id'), 'wecom_friend_loss', ['tenant_id'], unique=False)
    op.create_table(
        'wecom_churn_settings',
        sa.Column('tenant_id', sa.Integer(), nullable=False),
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('churn_enabled', sa.Boolean(), nullable=False),
        sa.Column('employee_stage_ids', sa.JSON(), nullable=False),
        sa.Column('superior_stage_ids', sa.JSON(), nullable=False),
        sa.Column('deleted_enabled', sa.Boolean(), nullable=False),
        sa.Column('deleted_admin_ids', sa.JSON(), nullable=False),
        sa.Column('deleted_frequency', sqlmodel.sql.sqltypes.AutoString(length=12), nullable=False),
        sa.Column('digest_through_id', sa.Integer(), nullable=False),
        sa.Column('updated_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(['tenant_id'], ['tenant.id'], ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('id'),
        sa.UniqueConstraint('tenant_id'),
    )
    op.create_index(op.f('ix_wecom_churn_settings_tenant_id'), 'wecom_churn_settings', ['tenant_id'], unique=False)


def downgrade() -> None:
    op.drop_index(op.f('ix_wecom_churn_settings_tenant_id'), table_name='wecom_churn_settings')
    op.drop_table('wecom_churn_settings')
    op.drop_index(op.f('ix_wecom_friend_loss_tenant_id'), table_name='wecom_friend_loss')
    op.drop_index('ix_wecom_friend_loss_kind_time', table_name='wecom_friend_loss')
    op.drop_index('ix_wecom_friend_loss_kind_employee', table_name='wecom_friend_loss')
    op.drop_index('ix_wecom_friend_loss_customer', table_name='wecom_friend_loss')
    op.drop_table('wecom_friend_loss')
