"""members segments area: tag metadata, category visibility, tagging events, segments, blacklist

Revision ID: members_segments_0001
Revises:
Create Date: 2026-11-24
"""
from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = 'members_segments_0001'
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = ('members_segments',)
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        'members_tag_meta',
        sa.Column('tenant_id', sa.Integer(), nullable=False),
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('tag_id', sa.Integer(), nullable=False),
        sa.Column('created_by', sa.Integer(), nullable=True),
        sa.Column('updated_by', sa.Integer(), nullable=True),
        sa.Column('updated_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.Column('rule', sa.JSON(), nullable=False),
        sa.Column('evaluated_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True),
        sa.ForeignKeyConstraint(['created_by'], ['user.id'], ondelete='SET NULL'),
        sa.ForeignKeyConstraint(['tag_id'], ['tag.id'], ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['tenant_id'], ['tenant.id'], ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['updated_by'], ['user.id'], ondelete='SET NULL'),
        sa.PrimaryKeyConstraint('id'),
        sa.UniqueConstraint('tag_id'),
    )
    op.create_index(op.f('ix_members_tag_meta_tenant_id'), 'members_tag_meta', ['tenant_id'], unique=False)

    op.create_table(
        'members_tag_category_scope',
        sa.Column('tenant_id', sa.Integer(), nullable=False),
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('group_id', sa.Integer(), nullable=False),
        sa.Column('department_id', sa.Integer(), nullable=True),
        sa.Column('employee_id', sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(['department_id'], ['department.id'], ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['employee_id'], ['employee.id'], ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['group_id'], ['tag_group.id'], ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['tenant_id'], ['tenant.id'], ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('id'),
        sa.UniqueConstraint('group_id', 'department_id', 'employee_id'),
    )
    op.create_index(op.f('ix_members_tag_category_scope_group_id'), 'members_tag_category_scope', ['group_id'],
                    unique=False)
    op.create_index(op.f('ix_members_tag_category_scope_tenant_id'), 'members_tag_category_scope', ['tenant_id'],
                    unique=False)

    op.create_table(
        'members_tag_event',
        sa.Column('tenant_id', sa.Integer(), nullable=False),
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('tag_id', sa.Integer(), nullable=False),
        sa.Column('customer_id', sa.Integer(), nullable=False),
        sa.Column('source', sqlmodel.sql.sqltypes.AutoString(length=40), nullable=False),
        sa.Column('user_id', sa.Integer(), nullable=True),
        sa.Column('created_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(['customer_id'], ['customer.id'], ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['tag_id'], ['tag.id'], ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['tenant_id'], ['tenant.id'], ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['user_id'], ['user.id'], ondelete='SET NULL'),
        sa.PrimaryKeyConstraint('id'),
    )
    op.create_index('ix_members_tag_event_tag', 'members_tag_event', ['tag_id', 'customer_id'], unique=False)
    op.create_index(op.f('ix_members_tag_event_customer_id'), 'members_tag_event', ['customer_id'], unique=False)
    op.create_index(op.f('ix_members_tag_event_tenant_id'), 'members_tag_event', ['tenant_id'], unique=False)

    op.create_table(
        'members_segment_category',
        sa.Column('tenant_id', sa.Integer(), nullable=False),
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('kind', sqlmodel.sql.sqltypes.AutoString(length=10), nullable=False),
        sa.Column('name', sqlmodel.sql.sqltypes.AutoString(length=30), nullable=False),
        sa.Column('created_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(['tenant_id'], ['tenant.id'], ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('id'),
        sa.UniqueConstraint('tenant_id', 'kind', 'name'),
    )
    op.create_index(op.f('ix_members_segment_category_tenant_id'), 'members_segment_category', ['tenant_id'],
                    unique=False)

    op.create_table(
        'members_segment',
        sa.Column('tenant_id', sa.Integer(), nullable=False),
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('category_id', sa.Integer(), nullable=False),
        sa.Column('name', sqlmodel.sql.sqltypes.AutoString(length=50), nullable=False),
        sa.Column('description', sqlmodel.sql.sqltypes.AutoString(length=250), nullable=False),
        sa.Column('kind', sqlmodel.sql.sqltypes.AutoString(length=10), nullable=False),
        sa.Column('mode', sqlmodel.sql.sqltypes.AutoString(length=12), nullable=False),
        sa.Column('rule', sa.JSON(), nullable=False),
        sa.Column('state', sqlmodel.sql.sqltypes.AutoString(length=10), nullable=False),
        sa.Column('member_count', sa.Integer(), nullable=False),
        sa.Column('created_by', sa.Integer(), nullable=True),
        sa.Column('created_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.Column('updated_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.Column('refreshed_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True),
        sa.ForeignKeyConstraint(['category_id'], ['members_segment_category.id'], ),
        sa.ForeignKeyConstraint(['created_by'], ['user.id'], ondelete='SET NULL'),
        sa.ForeignKeyConstraint(['tenant_id'], ['tenant.id'], ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('id'),
    )
    op.create_index(op.f('ix_members_segment_category_id'), 'members_segment', ['category_id'], unique=False)
    op.create_index(op.f('ix_members_segment_tenant_id'), 'members_segment', ['tenant_id'], unique=False)

    op.create_table(
        'members_segment_member',
        sa.Column('tenant_id', sa.Integer(), nullable=False),
        sa.Column('segment_id', sa.Integer(), nullable=False),
        sa.Column('customer_id', sa.Integer(), nullable=False),
        sa.Column('added_by', sqlmodel.sql.sqltypes.AutoString(length=10), nullable=False),
        sa.Column('added_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(['customer_id'], ['customer.id'], ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['segment_id'], ['members_segment.id'], ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['tenant_id'], ['tenant.id'], ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('segment_id', 'customer_id'),
    )
    op.create_index(op.f('ix_members_segment_member_customer_id'), 'members_segment_member', ['customer_id'],
                    unique=False)
    op.create_index(op.f('ix_members_segment_member_tenant_id'), 'members_segment_member', ['tenant_id'],
                    unique=False)

    op.create_table(
        'members_blacklist_entry',
        sa.Column('tenant_id', sa.Integer(), nullable=False),
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('customer_id', sa.Integer(), nullable=False),
        sa.Column('reason', sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
        sa.Column('created_by', sa.Integer(), nullable=True),
        sa.Column('created_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.Column('removed_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True),
        sa.Column('removed_by', sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(['created_by'], ['user.id'], ondelete='SET NULL'),
        sa.ForeignKeyConstraint(['customer_id'], ['customer.id'], ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['removed_by'], ['user.id'], ondelete='SET NULL'),
        sa.ForeignKeyConstraint(['tenant_id'], ['tenant.id'], ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('id'),
    )
    op.create_index(op.f('ix_members_blacklist_entry_customer_id'), 'members_blacklist_entry', ['customer_id'],
                    unique=False)
    op.create_index(op.f('ix_members_blacklist_entry_tenant_id'), 'members_blacklist_entry', ['tenant_id'],
                    unique=False)
    op.create_index('ux_members_blacklist_active', 'members_blacklist_entry', ['tenant_id', 'customer_id'],
                    unique=True, sqlite_where=sa.text('removed_at IS NULL'),
                    postgresql_where=sa.text('removed_at IS NULL'))

    op.create_table(
        'members_blacklist_rules',
        sa.Column('tenant_id', sa.Integer(), nullable=False),
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('task_fission', sa.Boolean(), nullable=False),
        sa.Column('redpacket_fission', sa.Boolean(), nullable=False),
        sa.Column('interactive_fission', sa.Boolean(), nullable=False),
        sa.Column('marketing_no_win', sa.Boolean(), nullable=False),
        sa.Column('updated_by', sa.Integer(), nullable=True),
        sa.Column('updated_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(['tenant_id'], ['tenant.id'], ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['updated_by'], ['user.id'], ondelete='SET NULL'),
        sa.PrimaryKeyConstraint('id'),
        sa.UniqueConstraint('tenant_id'),
    )


def downgrade() -> None:
    op.drop_table('members_blacklist_rules')
    op.drop_index('ux_members_blacklist_active', table_name='members_blacklist_entry')
    op.drop_index(op.f('ix_members_blacklist_entry_tenant_id'), table_name='members_blacklist_entry')
    op.drop_index(op.f('ix_members_blacklist_entry_customer_id'), table_name='members_blacklist_entry')
    op.drop_table('members_blacklist_entry')
    op.drop_index(op.f('ix_members_segment_member_tenant_id'), table_name='members_segment_member')
    op.drop_index(op.f('ix_members_segment_member_customer_id'), table_name='members_segment_member')
    op.drop_table('members_segment_member')
    op.drop_index(op.f('ix_members_segment_tenant_id'), table_name='members_segment')
    op.drop_index(op.f('ix_members_segment_category_id'), table_name='members_segment')
    op.drop_table('members_segment')
    op.drop_index(op.f('ix_members_segment_category_tenant_id'), table_name='members_segment_category')
    op.drop_table('members_segment_category')
    op.drop_index(op.f('ix_members_tag_event_tenant_id'), table_name='members_tag_event')
    op.drop_index(op.f('ix_members_tag_event_customer_id'), table_name='members_tag_event')
    op.drop_index('ix_members_tag_event_tag', table_name='members_tag_event')
    op.drop_table('members_tag_event')
    op.drop_index(op.f('ix_members_tag_category_scope_tenant_id'), table_name='members_tag_category_scope')
    op.drop_index(op.f('ix_members_tag_category_scope_group_id'), table_name='members_tag_category_scope')
    op.drop_table('members_tag_category_scope')
    op.drop_index(op.f('ix_members_tag_meta_tenant_id'), table_name='members_tag_meta')
    op.drop_table('members_tag_meta')
