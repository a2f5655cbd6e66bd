"""official account custom menus: menus (default and personalised) and their clicks

Revision ID: official_account_menus_0001
Revises:
Create Date: 2026-12-06
"""
from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = 'official_account_menus_0001'
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = ('official_account_menus',)
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('official_account_menu',
    sa.Column('tenant_id', sa.Integer(), nullable=False),
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('account_id', sa.Integer(), nullable=False),
    sa.Column('kind', sqlmodel.sql.sqltypes.AutoString(length=12), nullable=False),
    sa.Column('name', sqlmodel.sql.sqltypes.AutoString(length=30), nullable=False),
    sa.Column('platform', sqlmodel.sql.sqltypes.AutoString(length=10), nullable=False),
    sa.Column('tag_id', sa.Integer(), nullable=True),
    sa.Column('tag_name', sqlmodel.sql.sqltypes.AutoString(length=30), nullable=False),
    sa.Column('tree', sa.JSON(), nullable=False),
    sa.Column('published_tree', sa.JSON(), nullable=False),
    sa.Column('status', sqlmodel.sql.sqltypes.AutoString(length=10), nullable=False),
    sa.Column('wechat_menuid', sqlmodel.sql.sqltypes.AutoString(length=40), nullable=True),
    sa.Column('last_error', sqlmodel.sql.sqltypes.AutoString(length=300), nullable=True),
    sa.Column('created_by', sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
    sa.Column('created_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
    sa.Column('updated_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
    sa.Column('published_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True),
    sa.ForeignKeyConstraint(['account_id'], ['channel_account.id'], ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['tenant_id'], ['tenant.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id')
    )
    op.create_index('ix_official_account_menu_account', 'official_account_menu', ['tenant_id', 'account_id', 'kind', 'id'], unique=False)
    op.create_index(op.f('ix_official_account_menu_tenant_id'), 'official_account_menu', ['tenant_id'], unique=False)
    op.create_table('official_account_menu_click',
    sa.Column('tenant_id', sa.Integer(), nullable=False),
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('account_id', sa.Integer(), nullable=False),
    sa.Column('inbound', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
    sa.Column('day', sa.Date(), nullable=False),
    sa.Column('event', sqlmodel.sql.sqltypes.AutoString(length=10), nullable=False),
    sa.Column('target', sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
    sa.Column('name', sqlmodel.sql.sqltypes.AutoString(length=60), nullable=False),
    sa.Column('openid', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
    sa.ForeignKeyConstraint(['account_id'], ['channel_account.id'], ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['tenant_id'], ['tenant.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('account_id', 'inbound')
    )
    op.create_index('ix_official_account_menu_click_day', 'official_account_menu_click', ['tenant_id', 'account_id', 'day'], unique=False)
    op.create_index(op.f('ix_official_account_menu_click_tenant_id'), 'official_account_menu_click', ['tenant_id'], unique=False)


def downgrade() -> None:
    op.drop_index(op.f('ix_official_account_menu_click_tenant_id'), table_name='official_account_menu_click')
    op.drop_index('ix_official_account_menu_click_day', table_name='official_account_menu_click')
    op.drop_table('official_account_menu_click')
    op.drop_index(op.f('ix_official_account_menu_tenant_id'), table_name='official_account_menu')
    op.drop_index('ix_official_account_menu_account', table_name='official_account_menu')
    op.drop_table('official_account_menu')
