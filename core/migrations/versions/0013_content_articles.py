"""content articles: the brand's product recommendations and training courses for the home page

Revision ID: 0013_core
Revises: 0012_core
Create Date: 2026-12-06
"""
from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = '0013_core'
down_revision: str | None = '0012_core'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

UTC = sqlmodel.sql.sqltypes.UTCDateTime
TEXT = sqlmodel.sql.sqltypes.AutoString


def upgrade() -> None:
    op.create_table(
        "content_article",
        sa.Column("tenant_id", sa.Integer(), nullable=False),
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("kind", TEXT(length=20), nullable=False),
        sa.Column("title", TEXT(length=60), nullable=False),
        sa.Column("summary", TEXT(length=500), nullable=False),
        sa.Column("url", TEXT(length=1024), nullable=False),
        sa.Column("published", sa.Boolean(), nullable=False),
        sa.Column("created_by", sa.Integer(), nullable=True),
        sa.Column("created_at", UTC(), nullable=False),
        sa.Column("updated_at", UTC(), nullable=False),
        sa.ForeignKeyConstraint(["tenant_id"], ["tenant.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["created_by"], ["user.id"], ondelete="SET NULL"),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_content_article_tenant_id", "content_article", ["tenant_id"])
    op.create_index("ix_content_article_latest", "content_article", ["tenant_id", "kind", "updated_at"])


def downgrade() -> None:
    op.drop_index("ix_content_article_latest", table_name="content_article")
    op.drop_index("ix_content_article_tenant_id", table_name="content_article")
    op.drop_table("content_article")
