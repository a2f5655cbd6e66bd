"""wecom churn: an index on the losses of one relation (employee and customer)

Revision ID: wecom_churn_0002
Revises: wecom_churn_0001
Create Date: 2026-12-04
"""
from collections.abc import Sequence

from alembic import op

revision: str = 'wecom_churn_0002'
down_revision: str | None = 'wecom_churn_0001'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# A welcome asks whether its friendship ended since the last welcome while a 20-second code waits: without this index
# that read every loss of the tenant.


def upgrade() -> None:
    op.create_index("ix_wecom_friend_loss_relation", "wecom_friend_loss",
                    ["tenant_id", "external_userid", "userid", "lost_at"])


def downgrade() -> None:
    op.drop_index("ix_wecom_friend_loss_relation", table_name="wecom_friend_loss")
