"""wecom group welcome: group welcome templates registered with WeCom

Revision ID: wecom_group_welcome_0001
Revises:
Create Date: 2026-12-06
"""
from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = 'wecom_group_welcome_0001'
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = ('wecom_group_welcome',)
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        'wecom_group_welcome_template',
        sa.Column('tenant_id', sa.Integer(), nullable=False),
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('account_id', sa.Integer(), nullable=False),
        sa.Column('template_id', sqlmodel.sql.sqltypes.AutoString(length=128), nullable=False),
        sa.Column('text', sa.Text(), nullable=False),
        sa.Column('attachment', sa.JSON(), nullable=False),
        sa.Column('notify_employees', sa.Boolean(), nullable=False),
        sa.Column('created_by', sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
        sa.Column('created_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.Column('updated_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(['account_id'], ['channel_account.id'], ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['tenant_id'], ['tenant.id'], ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('id'),
    )
    op.create_index(op.f('ix_wecom_group_welcome_template_tenant_id'), 'wecom_group_welcome_template', ['tenant_id'],
                    unique=False)


def downgrade() -> None:
    op.drop_index(op.f('ix_wecom_group_welcome_template_tenant_id'), table_name='wecom_group_welcome_template')
    op.drop_table('wecom_group_welcome_template')
