"""wecom groupchats: local group tags (tag groups, tags, tags on group chats)

Revision ID: wecom_groupchats_0002
Revises: wecom_groupchats_0001
Create Date: 2026-12-04
"""
from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = 'wecom_groupchats_0002'
down_revision: str | None = 'wecom_groupchats_0001'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        'wecom_group_tag_group',
        sa.Column('tenant_id', sa.Integer(), nullable=False),
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('name', sqlmodel.sql.sqltypes.AutoString(length=15), nullable=False),
        sa.Column('created_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(['tenant_id'], ['tenant.id'], ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('id'),
        sa.UniqueConstraint('tenant_id', 'name'),
    )
    op.create_index(op.f('ix_wecom_group_tag_group_tenant_id'), 'wecom_group_tag_group', ['tenant_id'], unique=False)
    op.create_table(
        'wecom_group_tag',
        sa.Column('tenant_id', sa.Integer(), nullable=False),
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('tag_group_id', sa.Integer(), nullable=False),
        sa.Column('name', sqlmodel.sql.sqltypes.AutoString(length=15), nullable=False),
        sa.Column('created_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(['tag_group_id'], ['wecom_group_tag_group.id'], ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['tenant_id'], ['tenant.id'], ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('id'),
        sa.UniqueConstraint('tag_group_id', 'name'),
    )
    op.create_index(op.f('ix_wecom_group_tag_tenant_id'), 'wecom_group_tag', ['tenant_id'], unique=False)
    op.create_table(
        'wecom_group_chat_tag',
        sa.Column('tenant_id', sa.Integer(), nullable=False),
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('group_chat_id', sa.Integer(), nullable=False),
        sa.Column('tag_id', sa.Integer(), nullable=False),
        sa.Column('tagged_by', sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
        sa.Column('tagged_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(['group_chat_id'], ['wecom_group_chat.id'], ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['tag_id'], ['wecom_group_tag.id'], ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['tenant_id'], ['tenant.id'], ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('id'),
        sa.UniqueConstraint('group_chat_id', 'tag_id'),
    )
    op.create_index('ix_wecom_group_chat_tag_tag', 'wecom_group_chat_tag', ['tenant_id', 'tag_id'], unique=False)
    op.create_index(op.f('ix_wecom_group_chat_tag_tenant_id'), 'wecom_group_chat_tag', ['tenant_id'], unique=False)


def downgrade() -> None:
    op.drop_index(op.f('ix_wecom_group_chat_tag_tenant_id'), table_name='wecom_group_chat_tag')
    op.drop_index('ix_wecom_group_chat_tag_tag', table_name='wecom_group_chat_tag')
    op.drop_table('wecom_group_chat_tag')
    op.drop_index(op.f('ix_wecom_group_tag_tenant_id'), table_name='wecom_group_tag')
    op.drop_table('wecom_group_tag')
    op.drop_index(op.f('ix_wecom_group_tag_group_tenant_id'), table_name='wecom_group_tag_group')
    op.drop_table('wecom_group_tag_group')
