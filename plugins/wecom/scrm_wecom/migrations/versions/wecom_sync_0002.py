"""wecom sync: the customer-contact permission of each synced member

Revision ID: wecom_sync_0002
Revises: wecom_sync_0001
Create Date: 2026-12-07
"""
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = 'wecom_sync_0002'
down_revision: str | None = 'wecom_sync_0001'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# NULL: not read yet (every employee may use the Moments pages until a sync reads get_follow_user_list).


def upgrade() -> None:
    with op.batch_alter_table('wecom_sync_member') as batch:
        batch.add_column(sa.Column('contact_permission', sa.Boolean(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('wecom_sync_member') as batch:
        batch.drop_column('contact_permission')
