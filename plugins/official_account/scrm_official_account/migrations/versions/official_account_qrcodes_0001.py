"""official account qrcodes

Revision ID: official_account_qrcodes_0001
Revises:
Create Date: 2026-12-06
"""
from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = 'official_account_qrcodes_0001'
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = ('official_account_qrcodes',)
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('official_account_qrcode',
    sa.Column('tenant_id', sa.Integer(), nullable=False),
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('account_id', sa.Integer(), nullable=False),
    sa.Column('name', sqlmodel.sql.sqltypes.AutoString(length=60), nullable=False),
    sa.Column('temporary', sa.Boolean(), nullable=False),
    sa.Column('scene_id', sa.Integer(), nullable=True),
    sa.Column('scene_str', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=True),
    sa.Column('expire_seconds', sa.Integer(), nullable=True),
    sa.Column('expires_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True),
    sa.Column('ticket', sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
    sa.Column('url', sqlmodel.sql.sqltypes.AutoString(length=300), nullable=False),
    sa.Column('with_logo', sa.Boolean(), nullable=False),
    sa.Column('purpose', sqlmodel.sql.sqltypes.AutoString(length=20), nullable=False),
    sa.Column('department_id', sa.Integer(), nullable=True),
    sa.Column('created_by', sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
    sa.Column('created_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
    sa.ForeignKeyConstraint(['account_id'], ['channel_account.id'], ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['department_id'], ['department.id'], ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['tenant_id'], ['tenant.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id')
    )
    op.create_index('ix_official_account_qrcode_list', 'official_account_qrcode', ['tenant_id', 'account_id', 'id'], unique=False)
    op.create_index('ix_official_account_qrcode_scene_id', 'official_account_qrcode', ['account_id', 'scene_id'], unique=False)
    op.create_index('ix_official_account_qrcode_scene_str', 'official_account_qrcode', ['account_id', 'scene_str'], unique=False)
    op.create_index(op.f('ix_official_account_qrcode_tenant_id'), 'official_account_qrcode', ['tenant_id'], unique=False)
    op.create_table('official_account_qrcode_scan',
    sa.Column('tenant_id', sa.Integer(), nullable=False),
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('account_id', sa.Integer(), nullable=False),
    sa.Column('qrcode_id', sa.Integer(), nullable=False),
    sa.Column('openid', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
    sa.Column('new_follow', sa.Boolean(), nullable=False),
    sa.Column('dedupe_key', sqlmodel.sql.sqltypes.AutoString(length=120), nullable=False),
    sa.Column('scanned_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
    sa.ForeignKeyConstraint(['account_id'], ['channel_account.id'], ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['qrcode_id'], ['official_account_qrcode.id'], ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['tenant_id'], ['tenant.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('account_id', 'dedupe_key')
    )
    op.create_index('ix_official_account_qrcode_scan_code', 'official_account_qrcode_scan', ['tenant_id', 'qrcode_id', 'scanned_at'], unique=False)
    op.create_index(op.f('ix_official_account_qrcode_scan_tenant_id'), 'official_account_qrcode_scan', ['tenant_id'], unique=False)


def downgrade() -> None:
    op.drop_index(op.f('ix_official_account_qrcode_scan_tenant_id'), table_name='official_account_qrcode_scan')
    op.drop_index('ix_official_account_qrcode_scan_code', table_name='official_account_qrcode_scan')
    op.drop_table('official_account_qrcode_scan')
    op.drop_index(op.f('ix_official_account_qrcode_tenant_id'), table_name='official_account_qrcode')
    op.drop_index('ix_official_account_qrcode_scene_str', table_name='official_account_qrcode')
    op.drop_index('ix_official_account_qrcode_scene_id', table_name='official_account_qrcode')
    op.drop_index('ix_official_account_qrcode_list', table_name='official_account_qrcode')
    op.drop_table('official_account_qrcode')
