"""members loyalty area: member levels, customers' levels and order lines (products)

Revision ID: members_levels_0001
Revises:
Create Date: 2026-11-23
"""
from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = 'members_levels_0001'
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = ('members_levels',)
depends_on: str | Sequence[str] | None = ('members_loyalty_0001',)


def upgrade() -> None:
    op.create_table('members_level',
    sa.Column('tenant_id', sa.Integer(), nullable=False),
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('name', sqlmodel.sql.sqltypes.AutoString(length=30), nullable=False),
    sa.Column('rank', sa.Integer(), nullable=False),
    sa.Column('description', sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
    sa.Column('validity_months', sa.Integer(), nullable=True),
    sa.Column('created_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
    sa.Column('updated_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
    sa.ForeignKeyConstraint(['tenant_id'], ['tenant.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('tenant_id', 'name'),
    sa.UniqueConstraint('tenant_id', 'rank')
    )
    op.create_index(op.f('ix_members_level_tenant_id'), 'members_level', ['tenant_id'], unique=False)
    op.create_table('members_customer_level',
    sa.Column('tenant_id', sa.Integer(), nullable=False),
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('customer_id', sa.Integer(), nullable=False),
    sa.Column('level_id', sa.Integer(), nullable=False),
    sa.Column('valid_until', sa.Date(), nullable=True),
    sa.Column('assigned_by', sqlmodel.sql.sqltypes.AutoString(length=120), nullable=False),
    sa.Column('assigned_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
    sa.ForeignKeyConstraint(['customer_id'], ['customer.id'], ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['level_id'], ['members_level.id'], ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['tenant_id'], ['tenant.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('tenant_id', 'customer_id')
    )
    op.create_index('ix_members_customer_level_level', 'members_customer_level', ['level_id', 'valid_until'], unique=False)
    op.create_index(op.f('ix_members_customer_level_tenant_id'), 'members_customer_level', ['tenant_id'], unique=False)
    op.create_table('members_order_item',
    sa.Column('tenant_id', sa.Integer(), nullable=False),
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('order_id', sa.Integer(), nullable=False),
    sa.Column('line_no', sa.Integer(), nullable=False),
    sa.Column('product_code', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
    sa.Column('product_name', sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
    sa.Column('category', sqlmodel.sql.sqltypes.AutoString(length=60), nullable=False),
    sa.Column('quantity', sa.Integer(), nullable=False),
    sa.Column('unit_price_cents', sa.Integer(), nullable=False),
    sa.Column('paid_cents', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['order_id'], ['members_order.id'], ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['tenant_id'], ['tenant.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id')
    )
    op.create_index('ix_members_order_item_order', 'members_order_item', ['order_id', 'line_no'], unique=False)
    op.create_index('ix_members_order_item_product', 'members_order_item', ['tenant_id', 'product_code'], unique=False)
    op.create_index(op.f('ix_members_order_item_tenant_id'), 'members_order_item', ['tenant_id'], unique=False)


def downgrade() -> None:
    op.drop_index(op.f('ix_members_order_item_tenant_id'), table_name='members_order_item')
    op.drop_index('ix_members_order_item_product', table_name='members_order_item')
    op.drop_index('ix_members_order_item_order', table_name='members_order_item')
    op.drop_table('members_order_item')
    op.drop_index(op.f('ix_members_customer_level_tenant_id'), table_name='members_customer_level')
    op.drop_index('ix_members_customer_level_level', table_name='members_customer_level')
    op.drop_table('members_customer_level')
    op.drop_index(op.f('ix_members_level_tenant_id'), table_name='members_level')
    op.drop_table('members_level')
