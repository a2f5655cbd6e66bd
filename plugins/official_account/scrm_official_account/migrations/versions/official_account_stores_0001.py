"""official account stores

Revision ID: official_account_stores_0001
Revises:
Create Date: 2026-12-06
"""
from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = 'official_account_stores_0001'
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = ('official_account_stores',)
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('official_account_store_link',
    sa.Column('tenant_id', sa.Integer(), nullable=False),
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('account_id', sa.Integer(), nullable=False),
    sa.Column('department_id', sa.Integer(), nullable=False),
    sa.Column('linked_by', sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
    sa.Column('linked_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
    sa.ForeignKeyConstraint(['account_id'], ['channel_account.id'], ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['department_id'], ['department.id'], ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['tenant_id'], ['tenant.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('tenant_id', 'department_id')
    )
    op.create_index(op.f('ix_official_account_store_link_account_id'), 'official_account_store_link', ['account_id'], unique=False)
    op.create_index(op.f('ix_official_account_store_link_tenant_id'), 'official_account_store_link', ['tenant_id'], unique=False)


def downgrade() -> None:
    op.drop_index(op.f('ix_official_account_store_link_tenant_id'), table_name='official_account_store_link')
    op.drop_index(op.f('ix_official_account_store_link_account_id'), table_name='official_account_store_link')
    op.drop_table('official_account_store_link')
