"""wecom moments: publish modes and pages-only posts (scheduled, backdated, personal), the brand's unified background
and signature, mobile publishing, and each employee's own background and signature

Revision ID: wecom_moments_0006
Revises: wecom_moments_0005
Create Date: 2026-12-07
"""
from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = 'wecom_moments_0006'
down_revision: str | None = 'wecom_moments_0005'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _appearance(batch) -> None:
    batch.add_column(sa.Column('background', sa.LargeBinary(), nullable=True))
    batch.add_column(sa.Column('background_mime', sqlmodel.sql.sqltypes.AutoString(length=20), nullable=False,
                               server_default=''))
    batch.add_column(sa.Column('signature', sqlmodel.sql.sqltypes.AutoString(length=100), nullable=False,
                               server_default=''))


def upgrade() -> None:
    with op.batch_alter_table('wecom_moment_task') as batch:
        batch.add_column(sa.Column('publish_type', sqlmodel.sql.sqltypes.AutoString(length=20), nullable=False,
                                   server_default='enterprise'))
        batch.add_column(sa.Column('publish_mode', sqlmodel.sql.sqltypes.AutoString(length=20), nullable=False,
                                   server_default='now'))
        batch.add_column(sa.Column('to_wecom', sa.Boolean(), nullable=False, server_default=sa.true()))
        batch.add_column(sa.Column('publish_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True))
        batch.add_column(sa.Column('removed_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True))
    with op.batch_alter_table('wecom_moments_settings') as batch:
        batch.add_column(sa.Column('unify_background', sa.Boolean(), nullable=False, server_default=sa.false()))
        _appearance(batch)
        batch.add_column(sa.Column('mobile_publish', sa.Boolean(), nullable=False, server_default=sa.false()))
    with op.batch_alter_table('wecom_moments_page') as batch:
        _appearance(batch)


def downgrade() -> None:
    with op.batch_alter_table('wecom_moments_page') as batch:
        for name in ('signature', 'background_mime', 'background'):
            batch.drop_column(name)
    with op.batch_alter_table('wecom_moments_settings') as batch:
        for name in ('mobile_publish', 'signature', 'background_mime', 'background', 'unify_background'):
            batch.drop_column(name)
    with op.batch_alter_table('wecom_moment_task') as batch:
        for name in ('removed_at', 'publish_at', 'to_wecom', 'publish_mode', 'publish_type'):
            batch.drop_column(name)
