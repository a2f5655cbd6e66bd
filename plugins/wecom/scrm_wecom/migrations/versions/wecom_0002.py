"""wecom: the platform's inbox recovery replaces WeCom's own per-tenant callback recovery schedule

Revision ID: wecom_0002
Revises: wecom_0001
Create Date: 2026-12-06
"""
from collections.abc import Sequence

from alembic import op

revision: str = 'wecom_0002'
down_revision: str | None = 'wecom_0001'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# The per-tenant schedules (key ``wecom.pending:<tenant>``) ran a job that no longer exists: their rows go. WeCom
# callbacks stored and not processed yet name their processing job, so that the platform's recovery re-runs them.
PROCESS_ACTOR = "scrm_wecom.jobs.process_callbacks"


def upgrade() -> None:
    op.execute("DELETE FROM scheduled_job WHERE key LIKE 'wecom.pending:%'")
    op.execute(f"UPDATE inbound_callback SET process_actor = '{PROCESS_ACTOR}' "
               "WHERE plugin = 'wecom' AND processed_at IS NULL AND process_actor IS NULL")


def downgrade() -> None:
    # the old schedules were created by enabling the plugin; re-enabling it after a downgrade restores them
    pass
