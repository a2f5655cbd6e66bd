"""official account share

Revision ID: official_account_share_0001
Revises:
Create Date: 2026-12-06
"""
from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = 'official_account_share_0001'
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = ('official_account_share',)
depends_on: str | Sequence[str] | None = 'official_account_fans_0001'


def upgrade() -> None:
    op.create_table('official_account_share_campaign',
    sa.Column('tenant_id', sa.Integer(), nullable=False),
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('account_id', sa.Integer(), nullable=False),
    sa.Column('name', sqlmodel.sql.sqltypes.AutoString(length=60), nullable=False),
    sa.Column('description', sqlmodel.sql.sqltypes.AutoString(length=500), nullable=False),
    sa.Column('starts_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
    sa.Column('ends_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
    sa.Column('require_follow', sa.Boolean(), nullable=False),
    sa.Column('tiers', sa.JSON(), nullable=False),
    sa.Column('status', sqlmodel.sql.sqltypes.AutoString(length=10), nullable=False),
    sa.Column('created_by', sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
    sa.Column('created_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
    sa.ForeignKeyConstraint(['account_id'], ['channel_account.id'], ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['tenant_id'], ['tenant.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id')
    )
    op.create_index(op.f('ix_official_account_share_campaign_tenant_id'), 'official_account_share_campaign', ['tenant_id'], unique=False)
    op.create_table('official_account_share_participant',
    sa.Column('tenant_id', sa.Integer(), nullable=False),
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('campaign_id', sa.Integer(), nullable=False),
    sa.Column('fan_id', sa.Integer(), nullable=False),
    sa.Column('code', sqlmodel.sql.sqltypes.AutoString(length=24), nullable=False),
    sa.Column('short_url', sqlmodel.sql.sqltypes.AutoString(length=300), nullable=False),
    sa.Column('valid_helps', sa.Integer(), nullable=False),
    sa.Column('created_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
    sa.ForeignKeyConstraint(['campaign_id'], ['official_account_share_campaign.id'], ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['fan_id'], ['official_account_fan.id'], ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['tenant_id'], ['tenant.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('campaign_id', 'fan_id'),
    sa.UniqueConstraint('code')
    )
    op.create_index(op.f('ix_official_account_share_participant_tenant_id'), 'official_account_share_participant', ['tenant_id'], unique=False)
    op.create_table('official_account_share_help',
    sa.Column('tenant_id', sa.Integer(), nullable=False),
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('campaign_id', sa.Integer(), nullable=False),
    sa.Column('participant_id', sa.Integer(), nullable=False),
    sa.Column('helper_openid', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
    sa.Column('valid', sa.Boolean(), nullable=False),
    sa.Column('helped_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
    sa.Column('validated_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True),
    sa.ForeignKeyConstraint(['campaign_id'], ['official_account_share_campaign.id'], ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['participant_id'], ['official_account_share_participant.id'], ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['tenant_id'], ['tenant.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('campaign_id', 'helper_openid')
    )
    op.create_index('ix_official_account_share_help_participant', 'official_account_share_help', ['participant_id', 'valid'], unique=False)
    op.create_index(op.f('ix_official_account_share_help_tenant_id'), 'official_account_share_help', ['tenant_id'], unique=False)
    op.create_table('official_account_share_reward',
    sa.Column('tenant_id', sa.Integer(), nullable=False),
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('campaign_id', sa.Integer(), nullable=False),
    sa.Column('participant_id', sa.Integer(), nullable=False),
    sa.Column('threshold', sa.Integer(), nullable=False),
    sa.Column('reward', sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
    sa.Column('status', sqlmodel.sql.sqltypes.AutoString(length=10), nullable=False),
    sa.Column('reached_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
    sa.Column('fulfilled_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True),
    sa.ForeignKeyConstraint(['campaign_id'], ['official_account_share_campaign.id'], ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['participant_id'], ['official_account_share_participant.id'], ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['tenant_id'], ['tenant.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('participant_id', 'threshold')
    )
    op.create_index(op.f('ix_official_account_share_reward_tenant_id'), 'official_account_share_reward', ['tenant_id'], unique=False)


def downgrade() -> None:
    op.drop_index(op.f('ix_official_account_share_reward_tenant_id'), table_name='official_account_share_reward')
    op.drop_table('official_account_share_reward')
    op.drop_index(op.f('ix_official_account_share_help_tenant_id'), table_name='official_account_share_help')
    op.drop_index('ix_official_account_share_help_participant', table_name='official_account_share_help')
    op.drop_table('official_account_share_help')
    op.drop_index(op.f('ix_official_account_share_participant_tenant_id'), table_name='official_account_share_participant')
    op.drop_table('official_account_share_participant')
    op.drop_index(op.f('ix_official_account_share_campaign_tenant_id'), table_name='official_account_share_campaign')
    op.drop_table('official_account_share_campaign')
