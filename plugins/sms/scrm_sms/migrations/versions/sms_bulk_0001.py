"""sms bulk sends (短信群发)

Revision ID: sms_bulk_0001
Revises:
Create Date: 2026-12-06
"""
from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = 'sms_bulk_0001'
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = ('sms_bulk',)
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('sms_bulk_send',
    sa.Column('created_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
    sa.Column('tenant_id', sa.Integer(), nullable=False),
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('account_id', sa.Integer(), nullable=False),
    sa.Column('category', sqlmodel.sql.sqltypes.AutoString(length=20), nullable=False),
    sa.Column('signature', sqlmodel.sql.sqltypes.AutoString(length=30), nullable=False),
    sa.Column('content', sqlmodel.sql.sqltypes.AutoString(length=600), nullable=False),
    sa.Column('body', sqlmodel.sql.sqltypes.AutoString(length=2000), nullable=False),
    sa.Column('template_id', sa.Integer(), nullable=True),
    sa.Column('audience', sa.JSON(), nullable=False),
    sa.Column('send_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True),
    sa.Column('status', sqlmodel.sql.sqltypes.AutoString(length=12), nullable=False),
    sa.Column('recipients', sa.Integer(), nullable=False),
    sa.Column('invalid_numbers', sa.Integer(), nullable=False),
    sa.Column('excluded_numbers', sa.Integer(), nullable=False),
    sa.Column('classes', sa.JSON(), nullable=False),
    sa.Column('max_customer_id', sa.Integer(), nullable=True),
    sa.Column('estimated', sa.Integer(), nullable=False),
    sa.Column('reserved', sa.Integer(), nullable=False),
    sa.Column('consumed', sa.Integer(), nullable=False),
    sa.Column('released', sa.Integer(), nullable=False),
    sa.Column('planned', sa.Integer(), nullable=False),
    sa.Column('cursor', sa.Integer(), nullable=True),
    sa.Column('plan_done', sa.Boolean(), nullable=False),
    sa.Column('lease_until', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True),
    sa.Column('delivered_count', sa.Integer(), nullable=False),
    sa.Column('failed_count', sa.Integer(), nullable=False),
    sa.Column('sent_count', sa.Integer(), nullable=False),
    sa.Column('pending_count', sa.Integer(), nullable=False),
    sa.Column('created_by', sa.Integer(), nullable=True),
    sa.Column('creator_name', sqlmodel.sql.sqltypes.AutoString(length=100), nullable=False),
    sa.Column('started_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True),
    sa.Column('finished_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True),
    sa.Column('error', sqlmodel.sql.sqltypes.AutoString(length=500), nullable=True),
    sa.ForeignKeyConstraint(['account_id'], ['channel_account.id'], ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['created_by'], ['user.id'], ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['tenant_id'], ['tenant.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id')
    )
    op.create_index(op.f('ix_sms_bulk_send_tenant_id'), 'sms_bulk_send', ['tenant_id'], unique=False)
    op.create_index('ix_sms_bulk_tenant_created', 'sms_bulk_send', ['tenant_id', 'created_at'], unique=False)


def downgrade() -> None:
    op.drop_index('ix_sms_bulk_tenant_created', table_name='sms_bulk_send')
    op.drop_index(op.f('ix_sms_bulk_send_tenant_id'), table_name='sms_bulk_send')
    op.drop_table('sms_bulk_send')
