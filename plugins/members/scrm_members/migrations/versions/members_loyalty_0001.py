"""members loyalty area: orders and order imports, points, lifecycle stages, reminders and notifications,
performance targets, the home-dashboard snapshot

Revision ID: members_loyalty_0001
Revises:
Create Date: 2026-11-24
"""
from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = 'members_loyalty_0001'
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = ('members_loyalty',)
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('members_dashboard_snapshot',
    sa.Column('tenant_id', sa.Integer(), nullable=False),
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('data', sa.JSON(), nullable=False),
    sa.Column('computed_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
    sa.ForeignKeyConstraint(['tenant_id'], ['tenant.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('tenant_id')
    )
    op.create_index(op.f('ix_members_dashboard_snapshot_tenant_id'), 'members_dashboard_snapshot', ['tenant_id'], unique=False)
    op.create_table('members_order_import',
    sa.Column('tenant_id', sa.Integer(), nullable=False),
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('filename', sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
    sa.Column('content', sa.LargeBinary(), nullable=False),
    sa.Column('status', sqlmodel.sql.sqltypes.AutoString(length=12), nullable=False),
    sa.Column('total_rows', sa.Integer(), nullable=False),
    sa.Column('valid_rows', sa.Integer(), nullable=False),
    sa.Column('error_rows', sa.Integer(), nullable=False),
    sa.Column('errors', sa.JSON(), nullable=False),
    sa.Column('processed_rows', sa.Integer(), nullable=False),
    sa.Column('created_count', sa.Integer(), nullable=False),
    sa.Column('updated_count', sa.Integer(), nullable=False),
    sa.Column('message', sqlmodel.sql.sqltypes.AutoString(length=500), nullable=False),
    sa.Column('created_by', sa.Integer(), nullable=True),
    sa.Column('created_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
    sa.Column('finished_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True),
    sa.ForeignKeyConstraint(['created_by'], ['user.id'], ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['tenant_id'], ['tenant.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id')
    )
    op.create_index(op.f('ix_members_order_import_tenant_id'), 'members_order_import', ['tenant_id'], unique=False)
    op.create_table('members_stage',
    sa.Column('tenant_id', sa.Integer(), nullable=False),
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('ordinal', sa.Integer(), nullable=False),
    sa.Column('name', sqlmodel.sql.sqltypes.AutoString(length=30), nullable=False),
    sa.Column('description', sqlmodel.sql.sqltypes.AutoString(length=500), nullable=False),
    sa.Column('plan_description', sqlmodel.sql.sqltypes.AutoString(length=2000), nullable=False),
    sa.Column('automation_enabled', sa.Boolean(), nullable=False),
    sa.Column('entry_rule', sa.JSON(), nullable=False),
    sa.Column('follow_up_enabled', sa.Boolean(), nullable=False),
    sa.Column('follow_up_employee', sa.Boolean(), nullable=False),
    sa.Column('follow_up_admin', sa.Boolean(), nullable=False),
    sa.Column('change_employee', sa.Boolean(), nullable=False),
    sa.Column('change_employee_mode', sqlmodel.sql.sqltypes.AutoString(length=10), nullable=False),
    sa.Column('change_employee_delay', sa.Integer(), nullable=False),
    sa.Column('change_admin', sa.Boolean(), nullable=False),
    sa.Column('change_admin_mode', sqlmodel.sql.sqltypes.AutoString(length=10), nullable=False),
    sa.Column('change_admin_delay', sa.Integer(), nullable=False),
    sa.Column('created_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
    sa.Column('updated_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
    sa.ForeignKeyConstraint(['tenant_id'], ['tenant.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('tenant_id', 'name'),
    sa.UniqueConstraint('tenant_id', 'ordinal')
    )
    op.create_index(op.f('ix_members_stage_tenant_id'), 'members_stage', ['tenant_id'], unique=False)
    op.create_table('members_stage_reminder_settings',
    sa.Column('tenant_id', sa.Integer(), nullable=False),
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('master_enabled', sa.Boolean(), nullable=False),
    sa.Column('admin_employee_ids', sa.JSON(), nullable=False),
    sa.Column('scheduled_times', sa.JSON(), nullable=False),
    sa.Column('updated_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
    sa.ForeignKeyConstraint(['tenant_id'], ['tenant.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('tenant_id')
    )
    op.create_index(op.f('ix_members_stage_reminder_settings_tenant_id'), 'members_stage_reminder_settings', ['tenant_id'], unique=False)
    op.create_table('members_stage_follow_up_rule',
    sa.Column('tenant_id', sa.Integer(), nullable=False),
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('stage_id', sa.Integer(), nullable=False),
    sa.Column('condition', sqlmodel.sql.sqltypes.AutoString(length=20), nullable=False),
    sa.Column('days', sa.Integer(), nullable=False),
    sa.Column('send_time', sqlmodel.sql.sqltypes.AutoString(length=8), nullable=False),
    sa.ForeignKeyConstraint(['stage_id'], ['members_stage.id'], ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['tenant_id'], ['tenant.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id')
    )
    op.create_index(op.f('ix_members_stage_follow_up_rule_stage_id'), 'members_stage_follow_up_rule', ['stage_id'], unique=False)
    op.create_index(op.f('ix_members_stage_follow_up_rule_tenant_id'), 'members_stage_follow_up_rule', ['tenant_id'], unique=False)
    op.create_table('members_performance_target',
    sa.Column('tenant_id', sa.Integer(), nullable=False),
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('department_id', sa.Integer(), nullable=True),
    sa.Column('employee_id', sa.Integer(), nullable=True),
    sa.Column('year', sa.Integer(), nullable=False),
    sa.Column('target_cents', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['department_id'], ['department.id'], ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['employee_id'], ['employee.id'], ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['tenant_id'], ['tenant.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('tenant_id', 'department_id', 'employee_id', 'year')
    )
    op.create_index(op.f('ix_members_performance_target_tenant_id'), 'members_performance_target', ['tenant_id'], unique=False)
    op.create_table('members_notification',
    sa.Column('tenant_id', sa.Integer(), nullable=False),
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('recipient_employee_id', sa.Integer(), nullable=False),
    sa.Column('kind', sqlmodel.sql.sqltypes.AutoString(length=30), nullable=False),
    sa.Column('customer_id', sa.Integer(), nullable=True),
    sa.Column('stage_id', sa.Integer(), nullable=True),
    sa.Column('text', sqlmodel.sql.sqltypes.AutoString(length=500), nullable=False),
    sa.Column('dedupe_key', sqlmodel.sql.sqltypes.AutoString(length=120), nullable=False),
    sa.Column('status', sqlmodel.sql.sqltypes.AutoString(length=10), nullable=False),
    sa.Column('due_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
    sa.Column('sent_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True),
    sa.Column('created_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
    sa.ForeignKeyConstraint(['customer_id'], ['customer.id'], ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['recipient_employee_id'], ['employee.id'], ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['stage_id'], ['members_stage.id'], ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['tenant_id'], ['tenant.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('tenant_id', 'dedupe_key')
    )
    op.create_index('ix_members_notification_due', 'members_notification', ['tenant_id', 'status', 'due_at'], unique=False)
    op.create_index(op.f('ix_members_notification_tenant_id'), 'members_notification', ['tenant_id'], unique=False)
    op.create_table('members_order',
    sa.Column('tenant_id', sa.Integer(), nullable=False),
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('source', sqlmodel.sql.sqltypes.AutoString(length=40), nullable=False),
    sa.Column('order_no', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
    sa.Column('customer_id', sa.Integer(), nullable=False),
    sa.Column('store_id', sa.Integer(), nullable=True),
    sa.Column('employee_id', sa.Integer(), nullable=True),
    sa.Column('status', sqlmodel.sql.sqltypes.AutoString(length=20), nullable=False),
    sa.Column('item_count', sa.Integer(), nullable=False),
    sa.Column('goods_cents', sa.Integer(), nullable=False),
    sa.Column('shipping_original_cents', sa.Integer(), nullable=False),
    sa.Column('shipping_discount_cents', sa.Integer(), nullable=False),
    sa.Column('discount_cents', sa.Integer(), nullable=False),
    sa.Column('paid_cents', sa.Integer(), nullable=False),
    sa.Column('refund_cents', sa.Integer(), nullable=False),
    sa.Column('created_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
    sa.Column('paid_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True),
    sa.Column('refunded_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True),
    sa.Column('updated_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
    sa.ForeignKeyConstraint(['customer_id'], ['customer.id'], ),
    sa.ForeignKeyConstraint(['employee_id'], ['employee.id'], ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['store_id'], ['department.id'], ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['tenant_id'], ['tenant.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('tenant_id', 'source', 'order_no')
    )
    op.create_index('ix_members_order_customer_paid', 'members_order', ['customer_id', 'paid_at', 'paid_cents'], unique=False)
    op.create_index('ix_members_order_employee_paid', 'members_order', ['employee_id', 'paid_at'], unique=False)
    op.create_index('ix_members_order_store_paid', 'members_order', ['store_id', 'paid_at'], unique=False)
    op.create_index('ix_members_order_tenant_created', 'members_order', ['tenant_id', 'created_at'], unique=False)
    op.create_index(op.f('ix_members_order_tenant_id'), 'members_order', ['tenant_id'], unique=False)
    op.create_index('ix_members_order_tenant_paid', 'members_order', ['tenant_id', 'paid_at'], unique=False)
    op.create_index('ix_members_order_tenant_refunded', 'members_order', ['tenant_id', 'refunded_at'], unique=False)
    op.create_table('members_points_balance',
    sa.Column('tenant_id', sa.Integer(), nullable=False),
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('customer_id', sa.Integer(), nullable=False),
    sa.Column('balance', sa.Integer(), nullable=False),
    sa.Column('updated_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
    sa.ForeignKeyConstraint(['customer_id'], ['customer.id'], ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['tenant_id'], ['tenant.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('tenant_id', 'customer_id')
    )
    op.create_index(op.f('ix_members_points_balance_customer_id'), 'members_points_balance', ['customer_id'], unique=False)
    op.create_index(op.f('ix_members_points_balance_tenant_id'), 'members_points_balance', ['tenant_id'], unique=False)
    op.create_table('members_points_entry',
    sa.Column('tenant_id', sa.Integer(), nullable=False),
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('customer_id', sa.Integer(), nullable=False),
    sa.Column('delta', sa.Integer(), nullable=False),
    sa.Column('balance_after', sa.Integer(), nullable=False),
    sa.Column('reason', sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
    sa.Column('actor', sqlmodel.sql.sqltypes.AutoString(length=120), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=True),
    sa.Column('created_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
    sa.ForeignKeyConstraint(['customer_id'], ['customer.id'], ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['tenant_id'], ['tenant.id'], ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['user_id'], ['user.id'], ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id')
    )
    op.create_index(op.f('ix_members_points_entry_created_at'), 'members_points_entry', ['created_at'], unique=False)
    op.create_index('ix_members_points_entry_customer', 'members_points_entry', ['customer_id', 'id'], unique=False)
    op.create_index(op.f('ix_members_points_entry_tenant_id'), 'members_points_entry', ['tenant_id'], unique=False)
    op.create_table('members_stage_membership',
    sa.Column('tenant_id', sa.Integer(), nullable=False),
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('customer_id', sa.Integer(), nullable=False),
    sa.Column('stage_id', sa.Integer(), nullable=False),
    sa.Column('entered_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
    sa.Column('left_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True),
    sa.ForeignKeyConstraint(['customer_id'], ['customer.id'], ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['stage_id'], ['members_stage.id'], ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['tenant_id'], ['tenant.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id')
    )
    op.create_index('ix_members_stage_membership_customer', 'members_stage_membership', ['customer_id', 'left_at'], unique=False)
    op.create_index('ix_members_stage_membership_stage', 'members_stage_membership', ['stage_id', 'left_at', 'entered_at'], unique=False)
    op.create_index(op.f('ix_members_stage_membership_tenant_id'), 'members_stage_membership', ['tenant_id'], unique=False)


def downgrade() -> None:
    op.drop_index(op.f('ix_members_stage_membership_tenant_id'), table_name='members_stage_membership')
    op.drop_index('ix_members_stage_membership_stage', table_name='members_stage_membership')
    op.drop_index('ix_members_stage_membership_customer', table_name='members_stage_membership')
    op.drop_table('members_stage_membership')
    op.drop_index(op.f('ix_members_points_entry_tenant_id'), table_name='members_points_entry')
    op.drop_index('ix_members_points_entry_customer', table_name='members_points_entry')
    op.drop_index(op.f('ix_members_points_entry_created_at'), table_name='members_points_entry')
    op.drop_table('members_points_entry')
    op.drop_index(op.f('ix_members_points_balance_tenant_id'), table_name='members_points_balance')
    op.drop_index(op.f('ix_members_points_balance_customer_id'), table_name='members_points_balance')
    op.drop_table('members_points_balance')
    op.drop_index('ix_members_order_tenant_refunded', table_name='members_order')
    op.drop_index('ix_members_order_tenant_paid', table_name='members_order')
    op.drop_index(op.f('ix_members_order_tenant_id'), table_name='members_order')
    op.drop_index('ix_members_order_tenant_created', table_name='members_order')
    op.drop_index('ix_members_order_store_paid', table_name='members_order')
    op.drop_index('ix_members_order_employee_paid', table_name='members_order')
    op.drop_index('ix_members_order_customer_paid', table_name='members_order')
    op.drop_table('members_order')
    op.drop_index(op.f('ix_members_notification_tenant_id'), table_name='members_notification')
    op.drop_index('ix_members_notification_due', table_name='members_notification')
    op.drop_table('members_notification')
    op.drop_index(op.f('ix_members_performance_target_tenant_id'), table_name='members_performance_target')
    op.drop_table('members_performance_target')
    op.drop_index(op.f('ix_members_stage_follow_up_rule_tenant_id'), table_name='members_stage_follow_up_rule')
    op.drop_index(op.f('ix_members_stage_follow_up_rule_stage_id'), table_name='members_stage_follow_up_rule')
    op.drop_table('members_stage_follow_up_rule')
    op.drop_index(op.f('ix_members_stage_reminder_settings_tenant_id'), table_name='members_stage_reminder_settings')
    op.drop_table('members_stage_reminder_settings')
    op.drop_index(op.f('ix_members_stage_tenant_id'), table_name='members_stage')
    op.drop_table('members_stage')
    op.drop_index(op.f('ix_members_order_import_tenant_id'), table_name='members_order_import')
    op.drop_table('members_order_import')
    op.drop_index(op.f('ix_members_dashboard_snapshot_tenant_id'), table_name='members_dashboard_snapshot')
    op.drop_table('members_dashboard_snapshot')
