"""tag_group.parent_id: two-level tag categories

Revision ID: 0002_core
Revises: 0001_core
Create Date: 2026-11-23
"""
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '0002_core'
down_revision: str | None = '0001_core'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table('tag_group') as batch:
        batch.add_column(sa.Column('parent_id', sa.Integer(), nullable=True))
        batch.create_index('ix_tag_group_parent_id', ['parent_id'], unique=False)
        batch.create_foreign_key('fk_tag_group_parent', 'tag_group', ['parent_id'], ['id'], ondelete='CASCADE')


def downgrade() -> None:
    with op.batch_alter_table('tag_group') as batch:
        batch.drop_constraint('fk_tag_group_parent', type_='foreignkey')
        batch.drop_index('ix_tag_group_parent_id')
        batch.drop_column('parent_id')
