"""official account 消息管理: conversations, chat messages, quick-reply scripts

Revision ID: official_account_messages_0001
Revises:
Create Date: 2026-12-06
"""
from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = 'official_account_messages_0001'
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = ('official_account_messages',)
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        'official_account_conversation',
        sa.Column('tenant_id', sa.Integer(), nullable=False),
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('account_id', sa.Integer(), nullable=False),
        sa.Column('openid', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column('last_inbound_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.Column('last_message_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.Column('last_preview', sqlmodel.sql.sqltypes.AutoString(length=120), nullable=False),
        sa.ForeignKeyConstraint(['account_id'], ['channel_account.id'], ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['tenant_id'], ['tenant.id'], ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('id'),
        sa.UniqueConstraint('account_id', 'openid'),
    )
    op.create_index('ix_official_account_conversation_window', 'official_account_conversation',
                    ['tenant_id', 'account_id', 'last_inbound_at'], unique=False)
    op.create_index(op.f('ix_official_account_conversation_tenant_id'), 'official_account_conversation',
                    ['tenant_id'], unique=False)
    op.create_table(
        'official_account_chat_message',
        sa.Column('tenant_id', sa.Integer(), nullable=False),
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('account_id', sa.Integer(), nullable=False),
        sa.Column('openid', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column('direction', sqlmodel.sql.sqltypes.AutoString(length=3), nullable=False),
        sa.Column('msg_type', sqlmodel.sql.sqltypes.AutoString(length=30), nullable=False),
        sa.Column('content', sa.Text(), nullable=False),
        sa.Column('data', sa.JSON(), nullable=False),
        sa.Column('source', sqlmodel.sql.sqltypes.AutoString(length=80), nullable=False),
        sa.Column('sent_by_user_id', sa.Integer(), nullable=True),
        sa.Column('delivery_id', sa.Integer(), nullable=True),
        sa.Column('inbound_id', sa.Integer(), nullable=True),
        sa.Column('created_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(['account_id'], ['channel_account.id'], ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['delivery_id'], ['message_delivery.id'], ondelete='SET NULL'),
        sa.ForeignKeyConstraint(['sent_by_user_id'], ['user.id'], ondelete='SET NULL'),
        sa.ForeignKeyConstraint(['tenant_id'], ['tenant.id'], ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('id'),
        sa.UniqueConstraint('inbound_id', 'direction'),
    )
    op.create_index('ix_official_account_chat_message_fan', 'official_account_chat_message',
                    ['tenant_id', 'account_id', 'openid', 'id'], unique=False)
    op.create_index(op.f('ix_official_account_chat_message_tenant_id'), 'official_account_chat_message',
                    ['tenant_id'], unique=False)
    op.create_table(
        'official_account_quick_reply',
        sa.Column('tenant_id', sa.Integer(), nullable=False),
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('name', sqlmodel.sql.sqltypes.AutoString(length=30), nullable=False),
        sa.Column('content', sqlmodel.sql.sqltypes.AutoString(length=600), nullable=False),
        sa.Column('enabled', sa.Boolean(), nullable=False),
        sa.Column('created_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.Column('updated_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(['tenant_id'], ['tenant.id'], ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('id'),
    )
    op.create_index(op.f('ix_official_account_quick_reply_created_at'), 'official_account_quick_reply',
                    ['created_at'], unique=False)
    op.create_index(op.f('ix_official_account_quick_reply_tenant_id'), 'official_account_quick_reply',
                    ['tenant_id'], unique=False)


def downgrade() -> None:
    op.drop_table('official_account_quick_reply')
    op.drop_table('official_account_chat_message')
    op.drop_table('official_account_conversation')
