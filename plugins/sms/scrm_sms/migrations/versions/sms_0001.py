"""sms_unsubscribe: the opt-out list

Revision ID: sms_0001
Revises:
Create Date: 2026-12-06
"""
from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = 'sms_0001'
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        'sms_unsubscribe',
        sa.Column('tenant_id', sa.Integer(), nullable=False),
        sa.Column('created_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('mobile', sqlmodel.sql.sqltypes.AutoString(length=20), nullable=False),
        sa.Column('source', sqlmodel.sql.sqltypes.AutoString(length=10), nullable=False),
        sa.Column('account_id', sa.Integer(), nullable=True),
        sa.Column('reply', sqlmodel.sql.sqltypes.AutoString(length=70), nullable=False),
        sa.Column('created_by', sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(['account_id'], ['channel_account.id'], ondelete='SET NULL'),
        sa.ForeignKeyConstraint(['tenant_id'], ['tenant.id'], ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('id'),
        sa.UniqueConstraint('tenant_id', 'mobile'),
    )
    op.create_index(op.f('ix_sms_unsubscribe_tenant_id'), 'sms_unsubscribe', ['tenant_id'], unique=False)


def downgrade() -> None:
    op.drop_index(op.f('ix_sms_unsubscribe_tenant_id'), table_name='sms_unsubscribe')
    op.drop_table('sms_unsubscribe')
