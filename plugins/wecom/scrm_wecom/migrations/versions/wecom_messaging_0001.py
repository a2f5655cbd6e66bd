"""wecom application messages to employees

Revision ID: wecom_messaging_0001
Revises:
Create Date: 2026-11-23
"""
from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = 'wecom_messaging_0001'
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = ('wecom_messaging',)
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        'wecom_app_message',
        sa.Column('tenant_id', sa.Integer(), nullable=False),
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('delivery_id', sa.Integer(), nullable=False),
        sa.Column('account_id', sa.Integer(), nullable=True),
        sa.Column('employee_id', sa.Integer(), nullable=True),
        sa.Column('msgtype', sqlmodel.sql.sqltypes.AutoString(length=10), nullable=False),
        sa.Column('content', sa.JSON(), nullable=False),
        sa.Column('attempts', sa.Integer(), nullable=False),
        sa.Column('sending_since', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True),
        sa.Column('response', sa.JSON(), nullable=False),
        sa.Column('created_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(['account_id'], ['channel_account.id'], ondelete='SET NULL'),
        sa.ForeignKeyConstraint(['delivery_id'], ['message_delivery.id'], ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['employee_id'], ['employee.id'], ondelete='SET NULL'),
        sa.ForeignKeyConstraint(['tenant_id'], ['tenant.id'], ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('id'),
        sa.UniqueConstraint('delivery_id'),
    )
    op.create_index(op.f('ix_wecom_app_message_employee_id'), 'wecom_app_message', ['employee_id'], unique=False)
    op.create_index(op.f('ix_wecom_app_message_tenant_id'), 'wecom_app_message', ['tenant_id'], unique=False)


def downgrade() -> None:
    op.drop_index(op.f('ix_wecom_app_message_tenant_id'), table_name='wecom_app_message')
    op.drop_index(op.f('ix_wecom_app_message_employee_id'), table_name='wecom_app_message')
    op.drop_table('wecom_app_message')
