"""wecom moments: customer behaviour rules on the Moments pages (rules, identified opens, rules fired)

Revision ID: wecom_moments_0004
Revises: wecom_moments_0003
Create Date: 2026-12-07
"""
from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = 'wecom_moments_0004'
down_revision: str | None = 'wecom_moments_0003'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        'wecom_moments_rule',
        sa.Column('tenant_id', sa.Integer(), nullable=False),
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('threshold', sa.Integer(), nullable=False),
        sa.Column('score', sa.Integer(), nullable=False),
        sa.Column('tag_ids', sa.JSON(), nullable=False),
        sa.Column('created_by', sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
        sa.Column('created_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(['tenant_id'], ['tenant.id'], ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('id'),
    )
    op.create_index(op.f('ix_wecom_moments_rule_tenant_id'), 'wecom_moments_rule', ['tenant_id'], unique=False)
    op.create_table(
        'wecom_moments_open',
        sa.Column('tenant_id', sa.Integer(), nullable=False),
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('page_id', sa.Integer(), nullable=False),
        sa.Column('customer_id', sa.Integer(), nullable=False),
        sa.Column('opened_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(['customer_id'], ['customer.id'], ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['page_id'], ['wecom_moments_page.id'], ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['tenant_id'], ['tenant.id'], ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('id'),
    )
    op.create_index('ix_wecom_moments_open_customer', 'wecom_moments_open', ['tenant_id', 'customer_id'],
                    unique=False)
    op.create_index(op.f('ix_wecom_moments_open_tenant_id'), 'wecom_moments_open', ['tenant_id'], unique=False)
    op.create_table(
        'wecom_moments_rule_hit',
        sa.Column('tenant_id', sa.Integer(), nullable=False),
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('rule_id', sa.Integer(), nullable=False),
        sa.Column('customer_id', sa.Integer(), nullable=False),
        sa.Column('score', sa.Integer(), nullable=False),
        sa.Column('opens', sa.Integer(), nullable=False),
        sa.Column('hit_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(['customer_id'], ['customer.id'], ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['rule_id'], ['wecom_moments_rule.id'], ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['tenant_id'], ['tenant.id'], ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('id'),
        sa.UniqueConstraint('rule_id', 'customer_id'),
    )
    op.create_index(op.f('ix_wecom_moments_rule_hit_customer_id'), 'wecom_moments_rule_hit', ['customer_id'],
                    unique=False)
    op.create_index(op.f('ix_wecom_moments_rule_hit_tenant_id'), 'wecom_moments_rule_hit', ['tenant_id'],
                    unique=False)


def downgrade() -> None:
    op.drop_index(op.f('ix_wecom_moments_rule_hit_tenant_id'), table_name='wecom_moments_rule_hit')
    op.drop_index(op.f('ix_wecom_moments_rule_hit_customer_id'), table_name='wecom_moments_rule_hit')
    op.drop_table('wecom_moments_rule_hit')
    op.drop_index(op.f('ix_wecom_moments_open_tenant_id'), table_name='wecom_moments_open')
    op.drop_index('ix_wecom_moments_open_customer', table_name='wecom_moments_open')
    op.drop_table('wecom_moments_open')
    op.drop_index(op.f('ix_wecom_moments_rule_tenant_id'), table_name='wecom_moments_rule')
    op.drop_table('wecom_moments_rule')
