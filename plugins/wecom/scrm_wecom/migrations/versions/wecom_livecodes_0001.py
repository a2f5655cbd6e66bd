"""wecom live codes and friend welcome messages

Revision ID: wecom_livecodes_0001
Revises:
Create Date: 2026-11-23
"""
from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = 'wecom_livecodes_0001'
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = ('wecom_livecodes',)
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        'wecom_welcome_message',
        sa.Column('tenant_id', sa.Integer(), nullable=False),
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('all_employees', sa.Boolean(), nullable=False),
        sa.Column('segmented', sa.Boolean(), nullable=False),
        sa.Column('content', sa.JSON(), nullable=False),
        sa.Column('segments', sa.JSON(), nullable=False),
        sa.Column('created_by', sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
        sa.Column('created_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.Column('updated_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(['tenant_id'], ['tenant.id'], ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('id'),
    )
    op.create_index(op.f('ix_wecom_welcome_message_tenant_id'), 'wecom_welcome_message', ['tenant_id'], unique=False)
    op.create_index('ix_wecom_welcome_message_latest', 'wecom_welcome_message', ['tenant_id', 'updated_at', 'id'],
                    unique=False)
    op.create_table(
        'wecom_welcome_employee',
        sa.Column('tenant_id', sa.Integer(), nullable=False),
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('welcome_id', sa.Integer(), nullable=False),
        sa.Column('employee_id', sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(['employee_id'], ['employee.id'], ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['tenant_id'], ['tenant.id'], ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['welcome_id'], ['wecom_welcome_message.id'], ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('id'),
        sa.UniqueConstraint('welcome_id', 'employee_id'),
    )
    op.create_index(op.f('ix_wecom_welcome_employee_employee_id'), 'wecom_welcome_employee', ['employee_id'],
                    unique=False)
    op.create_index(op.f('ix_wecom_welcome_employee_tenant_id'), 'wecom_welcome_employee', ['tenant_id'],
                    unique=False)
    op.create_table(
        'wecom_live_code',
        sa.Column('tenant_id', sa.Integer(), nullable=False),
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('account_id', sa.Integer(), nullable=False),
        sa.Column('name', sqlmodel.sql.sqltypes.AutoString(length=50), nullable=False),
        sa.Column('kind', sa.Integer(), nullable=False),
        sa.Column('state', sqlmodel.sql.sqltypes.AutoString(length=30), nullable=False),
        sa.Column('skip_verify', sa.Boolean(), nullable=False),
        sa.Column('config_id', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=True),
        sa.Column('qr_code', sqlmodel.sql.sqltypes.AutoString(length=500), nullable=True),
        sa.Column('welcome', sa.JSON(), nullable=False),
        sa.Column('logo', sa.LargeBinary(), nullable=True),
        sa.Column('created_by', sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
        sa.Column('created_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.Column('updated_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(['account_id'], ['channel_account.id'], ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['tenant_id'], ['tenant.id'], ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('id'),
        sa.UniqueConstraint('tenant_id', 'state'),
    )
    op.create_index(op.f('ix_wecom_live_code_account_id'), 'wecom_live_code', ['account_id'], unique=False)
    op.create_index(op.f('ix_wecom_live_code_tenant_id'), 'wecom_live_code', ['tenant_id'], unique=False)
    op.create_table(
        'wecom_live_code_employee',
        sa.Column('tenant_id', sa.Integer(), nullable=False),
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('live_code_id', sa.Integer(), nullable=False),
        sa.Column('employee_id', sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(['employee_id'], ['employee.id'], ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['live_code_id'], ['wecom_live_code.id'], ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['tenant_id'], ['tenant.id'], ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('id'),
        sa.UniqueConstraint('live_code_id', 'employee_id'),
    )
    op.create_index(op.f('ix_wecom_live_code_employee_employee_id'), 'wecom_live_code_employee', ['employee_id'],
                    unique=False)
    op.create_index(op.f('ix_wecom_live_code_employee_tenant_id'), 'wecom_live_code_employee', ['tenant_id'],
                    unique=False)
    op.create_table(
        'wecom_live_code_tag',
        sa.Column('tenant_id', sa.Integer(), nullable=False),
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('live_code_id', sa.Integer(), nullable=False),
        sa.Column('tag_id', sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(['live_code_id'], ['wecom_live_code.id'], ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['tag_id'], ['tag.id'], ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['tenant_id'], ['tenant.id'], ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('id'),
        sa.UniqueConstraint('live_code_id', 'tag_id'),
    )
    op.create_index(op.f('ix_wecom_live_code_tag_tag_id'), 'wecom_live_code_tag', ['tag_id'], unique=False)
    op.create_index(op.f('ix_wecom_live_code_tag_tenant_id'), 'wecom_live_code_tag', ['tenant_id'], unique=False)
    op.create_table(
        'wecom_live_code_friend_event',
        sa.Column('tenant_id', sa.Integer(), nullable=False),
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('live_code_id', sa.Integer(), nullable=False),
        sa.Column('kind', sqlmodel.sql.sqltypes.AutoString(length=10), nullable=False),
        sa.Column('userid', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column('external_userid', sqlmodel.sql.sqltypes.AutoString(length=128), nullable=False),
        sa.Column('customer_id', sa.Integer(), nullable=True),
        sa.Column('event_id', sqlmodel.sql.sqltypes.AutoString(length=36), nullable=False),
        sa.Column('occurred_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(['customer_id'], ['customer.id'], ondelete='SET NULL'),
        sa.ForeignKeyConstraint(['live_code_id'], ['wecom_live_code.id'], ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['tenant_id'], ['tenant.id'], ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('id'),
        sa.UniqueConstraint('event_id'),
    )
    op.create_index(op.f('ix_wecom_live_code_friend_event_tenant_id'), 'wecom_live_code_friend_event', ['tenant_id'],
                    unique=False)
    op.create_index('ix_wecom_live_code_friend_event_code', 'wecom_live_code_friend_event',
                    ['live_code_id', 'occurred_at'], unique=False)
    op.create_index('ix_wecom_live_code_friend_event_pair', 'wecom_live_code_friend_event',
                    ['tenant_id', 'userid', 'external_userid'], unique=False)
    op.create_table(
        'wecom_live_code_logo',
        sa.Column('tenant_id', sa.Integer(), nullable=False),
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('account_id', sa.Integer(), nullable=False),
        sa.Column('image', sa.LargeBinary(), nullable=False),
        sa.Column('updated_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(['account_id'], ['channel_account.id'], ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['tenant_id'], ['tenant.id'], ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('id'),
        sa.UniqueConstraint('account_id'),
    )
    op.create_index(op.f('ix_wecom_live_code_logo_tenant_id'), 'wecom_live_code_logo', ['tenant_id'], unique=False)


def downgrade() -> None:
    op.drop_table('wecom_live_code_logo')
    op.drop_table('wecom_live_code_friend_event')
    op.drop_table('wecom_live_code_tag')
    op.drop_table('wecom_live_code_employee')
    op.drop_table('wecom_live_code')
    op.drop_table('wecom_welcome_employee')
    op.drop_table('wecom_welcome_message')
