"""wecom sop: customer and group SOP rules, task nodes, group bindings and tasks

Revision ID: wecom_sop_0001
Revises:
Create Date: 2026-12-06
"""
from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = 'wecom_sop_0001'
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = ('wecom_sop',)
# wecom_sop_binding and wecom_sop_task reference wecom_group_chat
depends_on: str | Sequence[str] | None = ('wecom_groupchats_0001',)

UTC = sqlmodel.sql.sqltypes.UTCDateTime
TEXT = sqlmodel.sql.sqltypes.AutoString


def upgrade() -> None:
    op.create_table(
        'wecom_sop_rule',
        sa.Column('tenant_id', sa.Integer(), nullable=False),
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('kind', TEXT(length=10), nullable=False),
        sa.Column('name', TEXT(length=20), nullable=False),
        sa.Column('description', TEXT(length=200), nullable=False),
        sa.Column('status', TEXT(length=12), nullable=False),
        sa.Column('trigger', TEXT(length=20), nullable=False),
        sa.Column('params', sa.JSON(), nullable=False),
        sa.Column('employee_ids', sa.JSON(), nullable=False),
        sa.Column('revision', sa.Integer(), nullable=False),
        sa.Column('created_by', TEXT(length=200), nullable=False),
        sa.Column('created_at', UTC(), nullable=False),
        sa.Column('updated_at', UTC(), nullable=False),
        sa.ForeignKeyConstraint(['tenant_id'], ['tenant.id'], ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('id'),
    )
    op.create_index(op.f('ix_wecom_sop_rule_tenant_id'), 'wecom_sop_rule', ['tenant_id'], unique=False)
    op.create_index('ix_wecom_sop_rule_kind', 'wecom_sop_rule', ['tenant_id', 'kind', 'status'], unique=False)
    op.create_table(
        'wecom_sop_node',
        sa.Column('tenant_id', sa.Integer(), nullable=False),
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('rule_id', sa.Integer(), nullable=False),
        sa.Column('position', sa.Integer(), nullable=False),
        sa.Column('day_offset', sa.Integer(), nullable=False),
        sa.Column('hour', sa.Integer(), nullable=False),
        sa.Column('minute', sa.Integer(), nullable=False),
        sa.Column('title', TEXT(length=128), nullable=False),
        sa.Column('content', TEXT(length=2000), nullable=False),
        sa.Column('attachments', sa.JSON(), nullable=False),
        sa.ForeignKeyConstraint(['rule_id'], ['wecom_sop_rule.id'], ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['tenant_id'], ['tenant.id'], ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('id'),
    )
    op.create_index(op.f('ix_wecom_sop_node_rule_id'), 'wecom_sop_node', ['rule_id'], unique=False)
    op.create_index(op.f('ix_wecom_sop_node_tenant_id'), 'wecom_sop_node', ['tenant_id'], unique=False)
    op.create_table(
        'wecom_sop_binding',
        sa.Column('tenant_id', sa.Integer(), nullable=False),
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('rule_id', sa.Integer(), nullable=False),
        sa.Column('group_chat_id', sa.Integer(), nullable=False),
        sa.Column('joined_at', UTC(), nullable=False),
        sa.ForeignKeyConstraint(['group_chat_id'], ['wecom_group_chat.id'], ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['rule_id'], ['wecom_sop_rule.id'], ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['tenant_id'], ['tenant.id'], ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('id'),
        sa.UniqueConstraint('group_chat_id'),
    )
    op.create_index(op.f('ix_wecom_sop_binding_rule_id'), 'wecom_sop_binding', ['rule_id'], unique=False)
    op.create_index(op.f('ix_wecom_sop_binding_tenant_id'), 'wecom_sop_binding', ['tenant_id'], unique=False)
    op.create_table(
        'wecom_sop_task',
        sa.Column('tenant_id', sa.Integer(), nullable=False),
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('rule_id', sa.Integer(), nullable=False),
        sa.Column('node_id', sa.Integer(), nullable=False),
        sa.Column('revision', sa.Integer(), nullable=False),
        sa.Column('customer_id', sa.Integer(), nullable=True),
        sa.Column('group_chat_id', sa.Integer(), nullable=True),
        sa.Column('employee_id', sa.Integer(), nullable=True),
        sa.Column('dedupe', TEXT(length=120), nullable=False),
        sa.Column('anchor_at', UTC(), nullable=False),
        sa.Column('due_at', UTC(), nullable=False),
        sa.Column('status', TEXT(length=10), nullable=False),
        sa.Column('delivery_id', sa.Integer(), nullable=True),
        sa.Column('reminded_at', UTC(), nullable=True),
        sa.Column('sent_at', UTC(), nullable=True),
        sa.Column('sent_by', TEXT(length=10), nullable=False),
        sa.Column('done_at', UTC(), nullable=True),
        sa.Column('created_at', UTC(), nullable=False),
        sa.ForeignKeyConstraint(['customer_id'], ['customer.id'], ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['delivery_id'], ['message_delivery.id'], ondelete='SET NULL'),
        sa.ForeignKeyConstraint(['employee_id'], ['employee.id'], ondelete='SET NULL'),
        sa.ForeignKeyConstraint(['group_chat_id'], ['wecom_group_chat.id'], ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['node_id'], ['wecom_sop_node.id'], ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['rule_id'], ['wecom_sop_rule.id'], ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['tenant_id'], ['tenant.id'], ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('id'),
        sa.UniqueConstraint('tenant_id', 'dedupe'),
    )
    op.create_index(op.f('ix_wecom_sop_task_tenant_id'), 'wecom_sop_task', ['tenant_id'], unique=False)
    op.create_index('ix_wecom_sop_task_due', 'wecom_sop_task', ['status', 'due_at'], unique=False)
    op.create_index('ix_wecom_sop_task_employee', 'wecom_sop_task', ['tenant_id', 'employee_id', 'status'],
                    unique=False)
    op.create_index('ix_wecom_sop_task_rule', 'wecom_sop_task', ['tenant_id', 'rule_id', 'node_id'], unique=False)


def downgrade() -> None:
    op.drop_table('wecom_sop_task')
    op.drop_table('wecom_sop_binding')
    op.drop_table('wecom_sop_node')
    op.drop_table('wecom_sop_rule')
