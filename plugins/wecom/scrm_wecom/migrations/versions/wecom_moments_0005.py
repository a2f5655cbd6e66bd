"""wecom moments: the brand's Moments settings (automatic sync of WeCom Moments)

Revision ID: wecom_moments_0005
Revises: wecom_moments_0004
Create Date: 2026-12-07
"""
from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = 'wecom_moments_0005'
down_revision: str | None = 'wecom_moments_0004'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        'wecom_moments_settings',
        sa.Column('tenant_id', sa.Integer(), nullable=False),
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('auto_sync', sa.Boolean(), nullable=False),
        sa.Column('updated_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(['tenant_id'], ['tenant.id'], ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('id'),
        sa.UniqueConstraint('tenant_id'),
    )
    op.create_index(op.f('ix_wecom_moments_settings_tenant_id'), 'wecom_moments_settings', ['tenant_id'], unique=False)


def downgrade() -> None:
    op.drop_index(op.f('ix_wecom_moments_settings_tenant_id'), table_name='wecom_moments_settings')
    op.drop_table('wecom_moments_settings')
