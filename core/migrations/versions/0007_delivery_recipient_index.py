"""delivery recipient index: a recipient's messages per channel, for lookups that run before the customer is known

Revision ID: 0007_core
Revises: 0006_core
Create Date: 2026-12-04
"""
from collections.abc import Sequence

from alembic import op

revision: str = '0007_core'
down_revision: str | None = '0006_core'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# The WeCom welcome looks for the welcome a friendship already got (employee and external_userid) while a 20-second
# code waits; without this index that lookup read every ledger row of the tenant.


def upgrade() -> None:
    op.create_index("ix_delivery_recipient", "message_delivery", ["tenant_id", "recipient", "channel"])


def downgrade() -> None:
    op.drop_index("ix_delivery_recipient", table_name="message_delivery")
