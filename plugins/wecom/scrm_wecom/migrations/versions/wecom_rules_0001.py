"""wecom platform rules: limit overrides per tenant and personal tags of follow relations

Revision ID: wecom_rules_0001
Revises:
Create Date: 2026-11-23
"""
from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = 'wecom_rules_0001'
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = ('wecom_rules',)
depends_on: str | Sequence[str] | None = ('wecom_sync_0001',)  # wecom_personal_tag references wecom_follow


def upgrade() -> None:
    op.create_table(
        'wecom_limit_overrides',
        sa.Column('tenant_id', sa.Integer(), nullable=False),
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('personal_mass_per_day', sa.Integer(), nullable=True),
        sa.Column('enterprise_mass_per_week', sa.Integer(), nullable=True),
        sa.Column('enterprise_mass_per_month', sa.Integer(), nullable=True),
        sa.Column('moments_per_employee_day', sa.Integer(), nullable=True),
        sa.Column('enterprise_moments_per_month', sa.Integer(), nullable=True),
        sa.Column('external_contacts_per_employee', sa.Integer(), nullable=True),
        sa.Column('passive_adds_per_day', sa.Integer(), nullable=True),
        sa.Column('group_chat_members', sa.Integer(), nullable=True),
        sa.Column('updated_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.Column('updated_by', sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
        sa.ForeignKeyConstraint(['tenant_id'], ['tenant.id'], ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('id'),
        sa.UniqueConstraint('tenant_id'),
    )
    op.create_index(op.f('ix_wecom_limit_overrides_tenant_id'), 'wecom_limit_overrides', ['tenant_id'], unique=False)
    op.create_table(
        'wecom_personal_tag',
        sa.Column('tenant_id', sa.Integer(), nullable=False),
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('follow_id', sa.Integer(), nullable=False),
        sa.Column('group_name', sqlmodel.sql.sqltypes.AutoString(length=60), nullable=False),
        sa.Column('name', sqlmodel.sql.sqltypes.AutoString(length=60), nullable=False),
        sa.Column('created_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(['follow_id'], ['wecom_follow.id'], ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['tenant_id'], ['tenant.id'], ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('id'),
        sa.UniqueConstraint('follow_id', 'group_name', 'name'),
    )
    op.create_index(op.f('ix_wecom_personal_tag_tenant_id'), 'wecom_personal_tag', ['tenant_id'], unique=False)


def downgrade() -> None:
    op.drop_index(op.f('ix_wecom_personal_tag_tenant_id'), table_name='wecom_personal_tag')
    op.drop_table('wecom_personal_tag')
    op.drop_index(op.f('ix_wecom_limit_overrides_tenant_id'), table_name='wecom_limit_overrides')
    op.drop_table('wecom_limit_overrides')
