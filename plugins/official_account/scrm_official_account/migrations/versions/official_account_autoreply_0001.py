"""official account auto replies: switches, default and subscribe replies, keyword rules

Revision ID: official_account_autoreply_0001
Revises:
Create Date: 2026-12-06
"""
from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = 'official_account_autoreply_0001'
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = ('official_account_autoreply',)
depends_on: str | Sequence[str] | None = ('official_account_0001', 'official_account_materials_0001')


def upgrade() -> None:
    op.create_table('official_account_reply_settings',
    sa.Column('tenant_id', sa.Integer(), nullable=False),
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('account_id', sa.Integer(), nullable=False),
    sa.Column('keyword_enabled', sa.Boolean(), nullable=False),
    sa.Column('message_enabled', sa.Boolean(), nullable=False),
    sa.Column('subscribe_enabled', sa.Boolean(), nullable=False),
    sa.Column('default_reply', sa.JSON(), nullable=False),
    sa.Column('subscribe_reply', sa.JSON(), nullable=False),
    sa.Column('revision', sa.Integer(), nullable=False),
    sa.Column('updated_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
    sa.ForeignKeyConstraint(['account_id'], ['channel_account.id'], ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['tenant_id'], ['tenant.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('account_id')
    )
    op.create_index(op.f('ix_official_account_reply_settings_tenant_id'), 'official_account_reply_settings', ['tenant_id'], unique=False)
    op.create_table('official_account_keyword_rule',
    sa.Column('tenant_id', sa.Integer(), nullable=False),
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('account_id', sa.Integer(), nullable=False),
    sa.Column('name', sqlmodel.sql.sqltypes.AutoString(length=60), nullable=False),
    sa.Column('reply_type', sqlmodel.sql.sqltypes.AutoString(length=10), nullable=False),
    sa.Column('reply_text', sqlmodel.sql.sqltypes.AutoString(length=2000), nullable=False),
    sa.Column('material_id', sa.Integer(), nullable=True),
    sa.Column('forward_to_service', sa.Boolean(), nullable=False),
    sa.Column('created_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
    sa.Column('updated_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
    sa.ForeignKeyConstraint(['account_id'], ['channel_account.id'], ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['material_id'], ['official_account_material.id'], ),
    sa.ForeignKeyConstraint(['tenant_id'], ['tenant.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id')
    )
    op.create_index('ix_official_account_keyword_rule_account', 'official_account_keyword_rule', ['tenant_id', 'account_id', 'created_at'], unique=False)
    op.create_index(op.f('ix_official_account_keyword_rule_material_id'), 'official_account_keyword_rule', ['material_id'], unique=False)
    op.create_index(op.f('ix_official_account_keyword_rule_tenant_id'), 'official_account_keyword_rule', ['tenant_id'], unique=False)
    op.create_table('official_account_keyword',
    sa.Column('tenant_id', sa.Integer(), nullable=False),
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('account_id', sa.Integer(), nullable=False),
    sa.Column('rule_id', sa.Integer(), nullable=False),
    sa.Column('text', sqlmodel.sql.sqltypes.AutoString(length=30), nullable=False),
    sa.Column('mode', sqlmodel.sql.sqltypes.AutoString(length=4), nullable=False),
    sa.ForeignKeyConstraint(['account_id'], ['channel_account.id'], ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['rule_id'], ['official_account_keyword_rule.id'], ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['tenant_id'], ['tenant.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('account_id', 'text')
    )
    op.create_index(op.f('ix_official_account_keyword_rule_id'), 'official_account_keyword', ['rule_id'], unique=False)
    op.create_index(op.f('ix_official_account_keyword_tenant_id'), 'official_account_keyword', ['tenant_id'], unique=False)


def downgrade() -> None:
    op.drop_index(op.f('ix_official_account_keyword_tenant_id'), table_name='official_account_keyword')
    op.drop_index(op.f('ix_official_account_keyword_rule_id'), table_name='official_account_keyword')
    op.drop_table('official_account_keyword')
    op.drop_index(op.f('ix_official_account_keyword_rule_tenant_id'), table_name='official_account_keyword_rule')
    op.drop_index(op.f('ix_official_account_keyword_rule_material_id'), table_name='official_account_keyword_rule')
    op.drop_index('ix_official_account_keyword_rule_account', table_name='official_account_keyword_rule')
    op.drop_table('official_account_keyword_rule')
    op.drop_index(op.f('ix_official_account_reply_settings_tenant_id'), table_name='official_account_reply_settings')
    op.drop_table('official_account_reply_settings')
