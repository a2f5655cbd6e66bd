"""official account fans

Revision ID: official_account_fans_0001
Revises:
Create Date: 2026-12-06
"""
from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = 'official_account_fans_0001'
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = ('official_account_fans',)
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('official_account_fan_sync',
    sa.Column('tenant_id', sa.Integer(), nullable=False),
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('account_id', sa.Integer(), nullable=False),
    sa.Column('status', sqlmodel.sql.sqltypes.AutoString(length=10), nullable=False),
    sa.Column('total', sa.Integer(), nullable=False),
    sa.Column('done', sa.Integer(), nullable=False),
    sa.Column('next_openid', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
    sa.Column('stats', sa.JSON(), nullable=False),
    sa.Column('error', sqlmodel.sql.sqltypes.AutoString(length=500), nullable=True),
    sa.Column('requested_by', sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
    sa.Column('created_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
    sa.Column('started_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True),
    sa.Column('finished_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True),
    sa.Column('heartbeat_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True),
    sa.ForeignKeyConstraint(['account_id'], ['channel_account.id'], ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['tenant_id'], ['tenant.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id')
    )
    op.create_index('ix_official_account_fan_sync_account', 'official_account_fan_sync', ['tenant_id', 'account_id', 'id'], unique=False)
    op.create_index(op.f('ix_official_account_fan_sync_tenant_id'), 'official_account_fan_sync', ['tenant_id'], unique=False)
    op.create_table('official_account_tag',
    sa.Column('tenant_id', sa.Integer(), nullable=False),
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('account_id', sa.Integer(), nullable=False),
    sa.Column('wechat_id', sa.Integer(), nullable=False),
    sa.Column('name', sqlmodel.sql.sqltypes.AutoString(length=30), nullable=False),
    sa.Column('count', sa.Integer(), nullable=False),
    sa.Column('updated_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
    sa.ForeignKeyConstraint(['account_id'], ['channel_account.id'], ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['tenant_id'], ['tenant.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('account_id', 'wechat_id')
    )
    op.create_index(op.f('ix_official_account_tag_tenant_id'), 'official_account_tag', ['tenant_id'], unique=False)
    op.create_table('official_account_fan',
    sa.Column('tenant_id', sa.Integer(), nullable=False),
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('account_id', sa.Integer(), nullable=False),
    sa.Column('customer_id', sa.Integer(), nullable=True),
    sa.Column('openid', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
    sa.Column('unionid', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=True),
    sa.Column('subscribed', sa.Boolean(), nullable=False),
    sa.Column('subscribe_time', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True),
    sa.Column('unsubscribe_time', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True),
    sa.Column('subscribe_scene', sqlmodel.sql.sqltypes.AutoString(length=40), nullable=False),
    sa.Column('qr_scene', sa.Integer(), nullable=True),
    sa.Column('qr_scene_str', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
    sa.Column('qrcode_id', sa.Integer(), nullable=True),
    sa.Column('nickname', sqlmodel.sql.sqltypes.AutoString(length=100), nullable=False),
    sa.Column('remark', sqlmodel.sql.sqltypes.AutoString(length=30), nullable=False),
    sa.Column('avatar', sqlmodel.sql.sqltypes.AutoString(length=500), nullable=False),
    sa.Column('sex', sa.Integer(), nullable=False),
    sa.Column('language', sqlmodel.sql.sqltypes.AutoString(length=20), nullable=False),
    sa.Column('country', sqlmodel.sql.sqltypes.AutoString(length=40), nullable=False),
    sa.Column('province', sqlmodel.sql.sqltypes.AutoString(length=40), nullable=False),
    sa.Column('city', sqlmodel.sql.sqltypes.AutoString(length=40), nullable=False),
    sa.Column('mobile', sqlmodel.sql.sqltypes.AutoString(length=20), nullable=False),
    sa.Column('tagid_list', sa.JSON(), nullable=False),
    sa.Column('first_visit_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
    sa.Column('last_interaction_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True),
    sa.Column('synced_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True),
    sa.Column('updated_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
    sa.ForeignKeyConstraint(['account_id'], ['channel_account.id'], ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['customer_id'], ['customer.id'], ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['tenant_id'], ['tenant.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('account_id', 'openid')
    )
    op.create_index('ix_official_account_fan_customer', 'official_account_fan', ['tenant_id', 'customer_id'], unique=False)
    op.create_index('ix_official_account_fan_list', 'official_account_fan', ['tenant_id', 'account_id', 'subscribed', 'first_visit_at'], unique=False)
    op.create_index(op.f('ix_official_account_fan_tenant_id'), 'official_account_fan', ['tenant_id'], unique=False)
    op.create_table('official_account_fan_event',
    sa.Column('tenant_id', sa.Integer(), nullable=False),
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('account_id', sa.Integer(), nullable=False),
    sa.Column('fan_id', sa.Integer(), nullable=False),
    sa.Column('kind', sqlmodel.sql.sqltypes.AutoString(length=20), nullable=False),
    sa.Column('detail', sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
    sa.Column('occurred_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
    sa.ForeignKeyConstraint(['account_id'], ['channel_account.id'], ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['fan_id'], ['official_account_fan.id'], ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['tenant_id'], ['tenant.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id')
    )
    op.create_index('ix_official_account_fan_event_fan', 'official_account_fan_event', ['tenant_id', 'fan_id', 'occurred_at'], unique=False)
    op.create_index(op.f('ix_official_account_fan_event_tenant_id'), 'official_account_fan_event', ['tenant_id'], unique=False)


def downgrade() -> None:
    op.drop_index(op.f('ix_official_account_fan_event_tenant_id'), table_name='official_account_fan_event')
    op.drop_index('ix_official_account_fan_event_fan', table_name='official_account_fan_event')
    op.drop_table('official_account_fan_event')
    op.drop_index(op.f('ix_official_account_fan_tenant_id'), table_name='official_account_fan')
    op.drop_index('ix_official_account_fan_list', table_name='official_account_fan')
    op.drop_index('ix_official_account_fan_customer', table_name='official_account_fan')
    op.drop_table('official_account_fan')
    op.drop_index(op.f('ix_official_account_tag_tenant_id'), table_name='official_account_tag')
    op.drop_table('official_account_tag')
    op.drop_index(op.f('ix_official_account_fan_sync_tenant_id'), table_name='official_account_fan_sync')
    op.drop_index('ix_official_account_fan_sync_account', table_name='official_account_fan_sync')
    op.drop_table('official_account_fan_sync')
