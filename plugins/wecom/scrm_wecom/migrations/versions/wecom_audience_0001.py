"""wecom audience: indexes on the follows for the audience filters "added between" and "added through live code"

Revision ID: wecom_audience_0001
Revises:
Create Date: 2026-12-06
"""
from collections.abc import Sequence

from alembic import op

revision: str = 'wecom_audience_0001'
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = ('wecom_audience',)
depends_on: str | Sequence[str] | None = 'wecom_sync_0001'

# A segment of customers "added between" two days or "added through" some live codes starts from the follows of the
# range or of the codes' states and reads their customers from the index alone (see scrm_wecom.audience).


def upgrade() -> None:
    op.create_index('ix_wecom_follow_added', 'wecom_follow', ['tenant_id', 'added_at', 'customer_id'], unique=False)
    op.create_index('ix_wecom_follow_state', 'wecom_follow', ['tenant_id', 'state', 'customer_id'], unique=False)


def downgrade() -> None:
    op.drop_index('ix_wecom_follow_state', table_name='wecom_follow')
    op.drop_index('ix_wecom_follow_added', table_name='wecom_follow')
