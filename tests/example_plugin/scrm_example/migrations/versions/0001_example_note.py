"""example_note

Revision ID: 0001_example
Revises:
Create Date: 2026-11-23
"""
from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = '0001_example'
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        'example_note',
        sa.Column('tenant_id', sa.Integer(), nullable=False),
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('body', sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
        sa.Column('source', sqlmodel.sql.sqltypes.AutoString(length=20), nullable=False),
        sa.Column('customer_id', sa.Integer(), nullable=True),
        sa.Column('event_id', sqlmodel.sql.sqltypes.AutoString(length=36), nullable=True),
        sa.Column('created_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(['customer_id'], ['customer.id'], ondelete='SET NULL'),
        sa.ForeignKeyConstraint(['tenant_id'], ['tenant.id'], ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('id'),
        sa.UniqueConstraint('event_id'),
    )
    op.create_index(op.f('ix_example_note_customer_id'), 'example_note', ['customer_id'], unique=False)
    op.create_index(op.f('ix_example_note_tenant_id'), 'example_note', ['tenant_id'], unique=False)


def downgrade() -> None:
    op.drop_index(op.f('ix_example_note_tenant_id'), table_name='example_note')
    op.drop_index(op.f('ix_example_note_customer_id'), table_name='example_note')
    op.drop_table('example_note')
