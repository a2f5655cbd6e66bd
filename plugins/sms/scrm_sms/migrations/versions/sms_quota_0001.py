"""sms quota: balance per tenant and category, purchase ledger (充值记录), holds of single sends

Revision ID: sms_quota_0001
Revises:
Create Date: 2026-12-06
"""
from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = 'sms_quota_0001'
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = ('sms_quota',)
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('sms_quota',
    sa.Column('tenant_id', sa.Integer(), nullable=False),
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('category', sqlmodel.sql.sqltypes.AutoString(length=20), nullable=False),
    sa.Column('available', sa.Integer(), nullable=False),
    sa.Column('reserved', sa.Integer(), nullable=False),
    sa.Column('sent', sa.Integer(), nullable=False),
    sa.Column('purchased', sa.Integer(), nullable=False),
    sa.Column('updated_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
    sa.CheckConstraint('available >= 0', name='ck_sms_quota_available'),
    sa.CheckConstraint('reserved >= 0', name='ck_sms_quota_reserved'),
    sa.ForeignKeyConstraint(['tenant_id'], ['tenant.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('tenant_id', 'category')
    )
    op.create_index(op.f('ix_sms_quota_tenant_id'), 'sms_quota', ['tenant_id'], unique=False)
    op.create_table('sms_recharge',
    sa.Column('created_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
    sa.Column('tenant_id', sa.Integer(), nullable=False),
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('category', sqlmodel.sql.sqltypes.AutoString(length=20), nullable=False),
    sa.Column('amount', sa.Integer(), nullable=False),
    sa.Column('package', sqlmodel.sql.sqltypes.AutoString(length=20), nullable=False),
    sa.Column('price_fen', sa.Integer(), nullable=False),
    sa.Column('note', sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
    sa.Column('created_by', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['created_by'], ['user.id'], ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['tenant_id'], ['tenant.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id')
    )
    op.create_index(op.f('ix_sms_recharge_tenant_id'), 'sms_recharge', ['tenant_id'], unique=False)
    op.create_table('sms_quota_hold',
    sa.Column('created_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
    sa.Column('tenant_id', sa.Integer(), nullable=False),
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('delivery_id', sa.Integer(), nullable=False),
    sa.Column('category', sqlmodel.sql.sqltypes.AutoString(length=20), nullable=False),
    sa.Column('segments', sa.Integer(), nullable=False),
    sa.Column('state', sqlmodel.sql.sqltypes.AutoString(length=10), nullable=False),
    sa.ForeignKeyConstraint(['delivery_id'], ['message_delivery.id'], ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['tenant_id'], ['tenant.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('delivery_id')
    )
    op.create_index(op.f('ix_sms_quota_hold_state'), 'sms_quota_hold', ['state'], unique=False)
    op.create_index(op.f('ix_sms_quota_hold_tenant_id'), 'sms_quota_hold', ['tenant_id'], unique=False)


def downgrade() -> None:
    op.drop_index(op.f('ix_sms_quota_hold_tenant_id'), table_name='sms_quota_hold')
    op.drop_index(op.f('ix_sms_quota_hold_state'), table_name='sms_quota_hold')
    op.drop_table('sms_quota_hold')
    op.drop_index(op.f('ix_sms_recharge_tenant_id'), table_name='sms_recharge')
    op.drop_table('sms_recharge')
    op.drop_index(op.f('ix_sms_quota_tenant_id'), table_name='sms_quota')
    op.drop_table('sms_quota')
