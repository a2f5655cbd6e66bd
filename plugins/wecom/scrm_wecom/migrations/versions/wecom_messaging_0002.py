"""wecom application messages move onto the platform's outbound path

Revision ID: wecom_messaging_0002
Revises: wecom_messaging_0001
Create Date: 2026-12-06
"""
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = 'wecom_messaging_0002'
down_revision: str | None = 'wecom_messaging_0001'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None  # core migrates first: message_delivery.purpose and .message exist

# The plugin's own retry schedules (``wecom:app_message:<delivery>``) and per-tenant sweeps
# (``wecom:app_message_sweep:<tenant>``) ran jobs that no longer exist: their rows go. App messages still queued get
# the outbound path's purpose and message, so the platform's relay sends them through ``WeComPlugin.deliver``. The
# ledger's claim replaces ``sending_since``.
PURPOSE = "notification"
QUEUED = "QUEUED"  # the ledger's status column stores the enum's names


def upgrade() -> None:
    op.execute("DELETE FROM scheduled_job WHERE key LIKE 'wecom:app_message:%' "
               "OR key LIKE 'wecom:app_message_sweep:%'")
    bind = op.get_bind()
    delivery = sa.table("message_delivery", sa.column("id", sa.Integer), sa.column("status", sa.String),
                        sa.column("kind", sa.String), sa.column("channel", sa.String),
                        sa.column("purpose", sa.String), sa.column("message", sa.JSON))
    message = sa.table("wecom_app_message", sa.column("delivery_id", sa.Integer), sa.column("msgtype", sa.String),
                       sa.column("content", sa.JSON))
    queued = bind.execute(sa.select(delivery.c.id, message.c.msgtype, message.c.content)
                          .join(message, message.c.delivery_id == delivery.c.id)
                          .where(delivery.c.channel == "wecom", delivery.c.kind == "app_message",
                                 sa.cast(delivery.c.status, sa.String) == QUEUED,
                                 delivery.c.purpose.is_(None))).all()
    for delivery_id, msgtype, content in queued:
        bind.execute(delivery.update().where(delivery.c.id == delivery_id).values(
            purpose=PURPOSE, message={"kind": msgtype, "payload": dict(content or {})}))
    with op.batch_alter_table("wecom_app_message") as batch:
        batch.drop_column("sending_since")


def downgrade() -> None:
    with op.batch_alter_table("wecom_app_message") as batch:
        batch.add_column(sa.Column("sending_since", sa.DateTime(timezone=True), nullable=True))
