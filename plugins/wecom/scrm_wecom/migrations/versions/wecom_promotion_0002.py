"""wecom promotion: rewards by SMS code (the activity's SMS template, the reward's outbound ledger row)

Revision ID: wecom_promotion_0002
Revises: wecom_promotion_0001
Create Date: 2026-12-07
"""
from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = 'wecom_promotion_0002'
down_revision: str | None = 'wecom_promotion_0001'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

TEXT = sqlmodel.sql.sqltypes.AutoString


def upgrade() -> None:
    with op.batch_alter_table('wecom_promotion_activity') as batch:
        batch.add_column(sa.Column('sms_template', TEXT(length=200), nullable=False, server_default=''))
        batch.add_column(sa.Column('sms_template_name', TEXT(length=100), nullable=False, server_default=''))
    with op.batch_alter_table('wecom_promotion_reward') as batch:
        batch.add_column(sa.Column('delivery_id', sa.Integer(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('wecom_promotion_reward') as batch:
        batch.drop_column('delivery_id')
    with op.batch_alter_table('wecom_promotion_activity') as batch:
        batch.drop_column('sms_template_name')
        batch.drop_column('sms_template')
