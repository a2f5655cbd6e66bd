"""official account materials: news articles, permanent media, usages

Revision ID: official_account_materials_0001
Revises:
Create Date: 2026-12-06
"""
from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = 'official_account_materials_0001'
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = ('official_account_materials',)
depends_on: str | Sequence[str] | None = 'official_account_0001'


def upgrade() -> None:
    op.create_table('official_account_material',
    sa.Column('tenant_id', sa.Integer(), nullable=False),
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('account_id', sa.Integer(), nullable=False),
    sa.Column('kind', sqlmodel.sql.sqltypes.AutoString(length=10), nullable=False),
    sa.Column('name', sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
    sa.Column('media_id', sqlmodel.sql.sqltypes.AutoString(length=128), nullable=True),
    sa.Column('url', sqlmodel.sql.sqltypes.AutoString(length=1000), nullable=True),
    sa.Column('file_name', sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
    sa.Column('content_type', sqlmodel.sql.sqltypes.AutoString(length=100), nullable=False),
    sa.Column('size', sa.Integer(), nullable=False),
    sa.Column('data', sa.LargeBinary(), nullable=True),
    sa.Column('title', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
    sa.Column('description', sqlmodel.sql.sqltypes.AutoString(length=120), nullable=False),
    sa.Column('revision', sa.Integer(), nullable=False),
    sa.Column('created_by', sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
    sa.Column('created_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
    sa.Column('updated_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
    sa.ForeignKeyConstraint(['account_id'], ['channel_account.id'], ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['tenant_id'], ['tenant.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id')
    )
    op.create_index(op.f('ix_official_account_material_account_id'), 'official_account_material', ['account_id'], unique=False)
    op.create_index('ix_official_account_material_list', 'official_account_material', ['tenant_id', 'account_id', 'kind', 'id'], unique=False)
    op.create_index(op.f('ix_official_account_material_tenant_id'), 'official_account_material', ['tenant_id'], unique=False)
    op.create_table('official_account_material_usage',
    sa.Column('tenant_id', sa.Integer(), nullable=False),
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('material_id', sa.Integer(), nullable=False),
    sa.Column('referrer_type', sqlmodel.sql.sqltypes.AutoString(length=30), nullable=False),
    sa.Column('referrer_id', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
    sa.Column('label', sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
    sa.Column('created_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
    sa.ForeignKeyConstraint(['material_id'], ['official_account_material.id'], ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['tenant_id'], ['tenant.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('material_id', 'referrer_type', 'referrer_id')
    )
    op.create_index(op.f('ix_official_account_material_usage_material_id'), 'official_account_material_usage', ['material_id'], unique=False)
    op.create_index('ix_official_account_material_usage_referrer', 'official_account_material_usage', ['tenant_id', 'referrer_type', 'referrer_id'], unique=False)
    op.create_index(op.f('ix_official_account_material_usage_tenant_id'), 'official_account_material_usage', ['tenant_id'], unique=False)
    op.create_table('official_account_news_article',
    sa.Column('tenant_id', sa.Integer(), nullable=False),
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('material_id', sa.Integer(), nullable=False),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.Column('title', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
    sa.Column('author', sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
    sa.Column('digest', sqlmodel.sql.sqltypes.AutoString(length=120), nullable=False),
    sa.Column('content', sa.Text(), nullable=False),
    sa.Column('content_source_url', sqlmodel.sql.sqltypes.AutoString(length=255), nullable=False),
    sa.Column('cover_id', sa.Integer(), nullable=True),
    sa.Column('show_cover', sa.Boolean(), nullable=False),
    sa.ForeignKeyConstraint(['cover_id'], ['official_account_material.id'], ),
    sa.ForeignKeyConstraint(['material_id'], ['official_account_material.id'], ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['tenant_id'], ['tenant.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('material_id', 'position')
    )
    op.create_index(op.f('ix_official_account_news_article_cover_id'), 'official_account_news_article', ['cover_id'], unique=False)
    op.create_index(op.f('ix_official_account_news_article_material_id'), 'official_account_news_article', ['material_id'], unique=False)
    op.create_index(op.f('ix_official_account_news_article_tenant_id'), 'official_account_news_article', ['tenant_id'], unique=False)


def downgrade() -> None:
    op.drop_index(op.f('ix_official_account_news_article_tenant_id'), table_name='official_account_news_article')
    op.drop_index(op.f('ix_official_account_news_article_material_id'), table_name='official_account_news_article')
    op.drop_index(op.f('ix_official_account_news_article_cover_id'), table_name='official_account_news_article')
    op.drop_table('official_account_news_article')
    op.drop_index(op.f('ix_official_account_material_usage_tenant_id'), table_name='official_account_material_usage')
    op.drop_index('ix_official_account_material_usage_referrer', table_name='official_account_material_usage')
    op.drop_index(op.f('ix_official_account_material_usage_material_id'), table_name='official_account_material_usage')
    op.drop_table('official_account_material_usage')
    op.drop_index(op.f('ix_official_account_material_tenant_id'), table_name='official_account_material')
    op.drop_index('ix_official_account_material_list', table_name='official_account_material')
    op.drop_index(op.f('ix_official_account_material_account_id'), table_name='official_account_material')
    op.drop_table('official_account_material')
