"""official account access tokens

Revision ID: official_account_0001
Revises:
Create Date: 2026-12-06
"""
from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = 'official_account_0001'
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = ('official_account',)
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        'official_account_access_token',
        sa.Column('tenant_id', sa.Integer(), nullable=False),
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('account_id', sa.Integer(), nullable=False),
        sa.Column('kind', sqlmodel.sql.sqltypes.AutoString(length=20), nullable=False),
        sa.Column('token', sa.Text(), nullable=False),
        sa.Column('refresh_after', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True),
        sa.Column('fetched_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(['account_id'], ['channel_account.id'], ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['tenant_id'], ['tenant.id'], ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('id'),
        sa.UniqueConstraint('account_id', 'kind'),
    )
    op.create_index(op.f('ix_official_account_access_token_tenant_id'), 'official_account_access_token',
                    ['tenant_id'], unique=False)


def downgrade() -> None:
    op.drop_index(op.f('ix_official_account_access_token_tenant_id'), table_name='official_account_access_token')
    op.drop_table('official_account_access_token')
