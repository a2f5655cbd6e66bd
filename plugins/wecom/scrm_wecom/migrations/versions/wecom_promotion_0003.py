"""wecom promotion: the activity's customer tags and its cover image

Revision ID: wecom_promotion_0003
Revises: wecom_promotion_0002
Create Date: 2026-12-07
"""
from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = 'wecom_promotion_0003'
down_revision: str | None = 'wecom_promotion_0002'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

TEXT = sqlmodel.sql.sqltypes.AutoString


def upgrade() -> None:
    with op.batch_alter_table('wecom_promotion_activity') as batch:
        batch.add_column(sa.Column('tag_ids', sa.JSON(), nullable=False, server_default='[]'))
    op.create_table(
        'wecom_promotion_cover',
        sa.Column('tenant_id', sa.Integer(), nullable=False),
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('activity_id', sa.Integer(), nullable=False),
        sa.Column('mime', TEXT(length=20), nullable=False),
        sa.Column('sha256', TEXT(length=64), nullable=False),
        sa.Column('data', sa.LargeBinary(), nullable=False),
        sa.ForeignKeyConstraint(['activity_id'], ['wecom_promotion_activity.id'], ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['tenant_id'], ['tenant.id'], ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('id'), sa.UniqueConstraint('activity_id'),
    )
    op.create_index('ix_wecom_promotion_cover_tenant_id', 'wecom_promotion_cover', ['tenant_id'])


def downgrade() -> None:
    op.drop_index('ix_wecom_promotion_cover_tenant_id', table_name='wecom_promotion_cover')
    op.drop_table('wecom_promotion_cover')
    with op.batch_alter_table('wecom_promotion_activity') as batch:
        batch.drop_column('tag_ids')
