"""sms signatures and templates

Revision ID: sms_templates_0001
Revises:
Create Date: 2026-12-06
"""
from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = 'sms_templates_0001'
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = ('sms_templates',)
depends_on: str | Sequence[str] | None = None

S = sqlmodel.sql.sqltypes.AutoString


def upgrade() -> None:
    op.create_table(
        'sms_signature',
        sa.Column('tenant_id', sa.Integer(), nullable=False),
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('account_id', sa.Integer(), nullable=False),
        sa.Column('text', S(length=30), nullable=False),
        sa.Column('source', S(length=20), nullable=False),
        sa.Column('remark', S(length=200), nullable=False),
        sa.Column('status', S(length=10), nullable=False),
        sa.Column('reason', S(length=500), nullable=False),
        sa.Column('provider_ref', S(length=64), nullable=False),
        sa.Column('submit_error', S(length=200), nullable=False),
        sa.Column('submitted_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True),
        sa.Column('reviewed_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True),
        sa.Column('created_by', S(length=200), nullable=False),
        sa.Column('created_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.Column('updated_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(['account_id'], ['channel_account.id'], ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['tenant_id'], ['tenant.id'], ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('id'),
        sa.UniqueConstraint('tenant_id', 'account_id', 'text'),
    )
    op.create_index('ix_sms_signature_status', 'sms_signature', ['tenant_id', 'status'], unique=False)
    op.create_index(op.f('ix_sms_signature_tenant_id'), 'sms_signature', ['tenant_id'], unique=False)
    op.create_table(
        'sms_template',
        sa.Column('tenant_id', sa.Integer(), nullable=False),
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('kind', S(length=10), nullable=False),
        sa.Column('name', S(length=30), nullable=False),
        sa.Column('account_id', sa.Integer(), nullable=True),
        sa.Column('signature_id', sa.Integer(), nullable=True),
        sa.Column('category', S(length=20), nullable=False),
        sa.Column('scenario', S(length=30), nullable=False),
        sa.Column('content', S(length=494), nullable=False),
        sa.Column('link_url', S(length=1000), nullable=False),
        sa.Column('remark', S(length=200), nullable=False),
        sa.Column('status', S(length=10), nullable=False),
        sa.Column('reason', S(length=500), nullable=False),
        sa.Column('provider_code', S(length=64), nullable=False),
        sa.Column('submit_error', S(length=200), nullable=False),
        sa.Column('system_key', S(length=40), nullable=True),
        sa.Column('usage_count', sa.Integer(), nullable=False),
        sa.Column('submitted_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True),
        sa.Column('reviewed_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True),
        sa.Column('created_by', S(length=200), nullable=False),
        sa.Column('created_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.Column('updated_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(['account_id'], ['channel_account.id'], ondelete='SET NULL'),
        sa.ForeignKeyConstraint(['signature_id'], ['sms_signature.id'], ondelete='SET NULL'),
        sa.ForeignKeyConstraint(['tenant_id'], ['tenant.id'], ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('id'),
        sa.UniqueConstraint('tenant_id', 'system_key'),
    )
    op.create_index('ix_sms_template_list', 'sms_template', ['tenant_id', 'kind', 'status', 'created_at'], unique=False)
    op.create_index('ix_sms_template_provider', 'sms_template', ['account_id', 'provider_code'], unique=False)
    op.create_index(op.f('ix_sms_template_tenant_id'), 'sms_template', ['tenant_id'], unique=False)


def downgrade() -> None:
    op.drop_index(op.f('ix_sms_template_tenant_id'), table_name='sms_template')
    op.drop_index('ix_sms_template_provider', table_name='sms_template')
    op.drop_index('ix_sms_template_list', table_name='sms_template')
    op.drop_table('sms_template')
    op.drop_index(op.f('ix_sms_signature_tenant_id'), table_name='sms_signature')
    op.drop_index('ix_sms_signature_status', table_name='sms_signature')
    op.drop_table('sms_signature')
