"""short links: index of a personalised link by its recipient, for the deliver-time lookup

A bulk send's deliver step finds a recipient's personalised link by (link_id, recipient)
(``core.shortlinks.recipient_stats`` and the SMS channel's personal links); without this index that was a scan of
the link's recipients (up to the whole audience) per message.

Revision ID: 0014_core
Revises: 0013_core
Create Date: 2026-12-06
"""
from collections.abc import Sequence

from alembic import op

revision: str = '0014_core'
down_revision: str | None = '0013_core'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_index("ix_short_link_recipient_lookup", "short_link_recipient", ["link_id", "recipient"])


def downgrade() -> None:
    op.drop_index("ix_short_link_recipient_lookup", table_name="short_link_recipient")
