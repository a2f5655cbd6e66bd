"""wecom assignment: customer assignment records

Revision ID: wecom_assignment_0001
Revises:
Create Date: 2026-11-23
"""
from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = 'wecom_assignment_0001'
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = ('wecom_assignment',)
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        'wecom_assignment_record',
        sa.Column('tenant_id', sa.Integer(), nullable=False),
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('customer_id', sa.Integer(), nullable=False),
        sa.Column('kind', sqlmodel.sql.sqltypes.AutoString(length=20), nullable=False),
        sa.Column('origin', sqlmodel.sql.sqltypes.AutoString(length=10), nullable=False),
        sa.Column('from_employee_id', sa.Integer(), nullable=True),
        sa.Column('takeover_employee_id', sa.Integer(), nullable=True),
        sa.Column('status', sqlmodel.sql.sqltypes.AutoString(length=12), nullable=False),
        sa.Column('account_id', sa.Integer(), nullable=True),
        sa.Column('external_userid', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column('handover_userid', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column('takeover_userid', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column('message', sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
        sa.Column('error', sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
        sa.Column('source_event', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column('operator_user_id', sa.Integer(), nullable=True),
        sa.Column('assigned_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.Column('sent_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True),
        sa.Column('effective_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True),
        sa.Column('finished_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True),
        sa.ForeignKeyConstraint(['account_id'], ['channel_account.id'], ondelete='SET NULL'),
        sa.ForeignKeyConstraint(['customer_id'], ['customer.id'], ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['from_employee_id'], ['employee.id'], ondelete='SET NULL'),
        sa.ForeignKeyConstraint(['operator_user_id'], ['user.id'], ondelete='SET NULL'),
        sa.ForeignKeyConstraint(['takeover_employee_id'], ['employee.id'], ondelete='SET NULL'),
        sa.ForeignKeyConstraint(['tenant_id'], ['tenant.id'], ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('id'),
    )
    op.create_index('ix_wecom_assignment_customer', 'wecom_assignment_record',
                    ['tenant_id', 'customer_id', 'assigned_at'], unique=False)
    op.create_index('ix_wecom_assignment_status', 'wecom_assignment_record', ['tenant_id', 'status', 'effective_at'],
                    unique=False)
    op.create_index('ix_wecom_assignment_time', 'wecom_assignment_record', ['tenant_id', 'assigned_at', 'id'],
                    unique=False)
    op.create_index(op.f('ix_wecom_assignment_record_tenant_id'), 'wecom_assignment_record', ['tenant_id'],
                    unique=False)


def downgrade() -> None:
    op.drop_index(op.f('ix_wecom_assignment_record_tenant_id'), table_name='wecom_assignment_record')
    op.drop_index('ix_wecom_assignment_time', table_name='wecom_assignment_record')
    op.drop_index('ix_wecom_assignment_status', table_name='wecom_assignment_record')
    op.drop_index('ix_wecom_assignment_customer', table_name='wecom_assignment_record')
    op.drop_table('wecom_assignment_record')
