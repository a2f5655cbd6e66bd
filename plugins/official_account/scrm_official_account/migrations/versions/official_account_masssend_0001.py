"""official account mass sends: mass sends and the template-message templates

Revision ID: official_account_masssend_0001
Revises:
Create Date: 2026-12-06
"""
from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = 'official_account_masssend_0001'
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = ('official_account_masssend',)
depends_on: str | Sequence[str] | None = ('official_account_materials_0001',)  # material_id references materials


def upgrade() -> None:
    op.create_table('official_account_mass_send',
    sa.Column('tenant_id', sa.Integer(), nullable=False),
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('account_id', sa.Integer(), nullable=False),
    sa.Column('send_mode', sqlmodel.sql.sqltypes.AutoString(length=10), nullable=False),
    sa.Column('scheduled_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True),
    sa.Column('audience_mode', sqlmodel.sql.sqltypes.AutoString(length=10), nullable=False),
    sa.Column('tag_ids', sa.JSON(), nullable=False),
    sa.Column('genders', sa.JSON(), nullable=False),
    sa.Column('province', sqlmodel.sql.sqltypes.AutoString(length=40), nullable=False),
    sa.Column('city', sqlmodel.sql.sqltypes.AutoString(length=40), nullable=False),
    sa.Column('follow_from', sa.Date(), nullable=True),
    sa.Column('follow_to', sa.Date(), nullable=True),
    sa.Column('estimated', sa.Integer(), nullable=False),
    sa.Column('msg_type', sqlmodel.sql.sqltypes.AutoString(length=10), nullable=False),
    sa.Column('text', sa.Text(), nullable=False),
    sa.Column('material_id', sa.Integer(), nullable=True),
    sa.Column('material_name', sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
    sa.Column('status', sqlmodel.sql.sqltypes.AutoString(length=10), nullable=False),
    sa.Column('targeted', sa.Integer(), nullable=False),
    sa.Column('refused', sa.Integer(), nullable=False),
    sa.Column('submitted', sa.Integer(), nullable=False),
    sa.Column('msg_id', sqlmodel.sql.sqltypes.AutoString(length=40), nullable=True),
    sa.Column('msg_data_id', sqlmodel.sql.sqltypes.AutoString(length=40), nullable=True),
    sa.Column('wechat_status', sqlmodel.sql.sqltypes.AutoString(length=40), nullable=False),
    sa.Column('total_count', sa.Integer(), nullable=True),
    sa.Column('filter_count', sa.Integer(), nullable=True),
    sa.Column('sent_count', sa.Integer(), nullable=True),
    sa.Column('error_count', sa.Integer(), nullable=True),
    sa.Column('error_code', sqlmodel.sql.sqltypes.AutoString(length=40), nullable=True),
    sa.Column('error', sqlmodel.sql.sqltypes.AutoString(length=300), nullable=True),
    sa.Column('created_by', sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
    sa.Column('created_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
    sa.Column('started_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True),
    sa.Column('submitted_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True),
    sa.Column('finished_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True),
    sa.ForeignKeyConstraint(['account_id'], ['channel_account.id'], ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['material_id'], ['official_account_material.id'], ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['tenant_id'], ['tenant.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id')
    )
    op.create_index('ix_official_account_mass_send_list', 'official_account_mass_send', ['tenant_id', 'account_id', 'send_mode', 'id'], unique=False)
    op.create_index('ix_official_account_mass_send_msg', 'official_account_mass_send', ['account_id', 'msg_id'], unique=False)
    op.create_index(op.f('ix_official_account_mass_send_tenant_id'), 'official_account_mass_send', ['tenant_id'], unique=False)
    op.create_table('official_account_template',
    sa.Column('tenant_id', sa.Integer(), nullable=False),
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('account_id', sa.Integer(), nullable=False),
    sa.Column('template_id', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
    sa.Column('title', sqlmodel.sql.sqltypes.AutoString(length=100), nullable=False),
    sa.Column('content', sa.Text(), nullable=False),
    sa.Column('example', sa.Text(), nullable=False),
    sa.Column('primary_industry', sqlmodel.sql.sqltypes.AutoString(length=40), nullable=False),
    sa.Column('deputy_industry', sqlmodel.sql.sqltypes.AutoString(length=40), nullable=False),
    sa.Column('fields', sa.JSON(), nullable=False),
    sa.Column('synced_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
    sa.Column('extra', sa.JSON(), nullable=False),
    sa.ForeignKeyConstraint(['account_id'], ['channel_account.id'], ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['tenant_id'], ['tenant.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('account_id', 'template_id')
    )
    op.create_index(op.f('ix_official_account_template_tenant_id'), 'official_account_template', ['tenant_id'], unique=False)


def downgrade() -> None:
    op.drop_index(op.f('ix_official_account_template_tenant_id'), table_name='official_account_template')
    op.drop_table('official_account_template')
    op.drop_index(op.f('ix_official_account_mass_send_tenant_id'), table_name='official_account_mass_send')
    op.drop_index('ix_official_account_mass_send_msg', table_name='official_account_mass_send')
    op.drop_index('ix_official_account_mass_send_list', table_name='official_account_mass_send')
    op.drop_table('official_account_mass_send')
