"""wecom promotion: employee promotion activities, participants, attributed results and rewards

Revision ID: wecom_promotion_0001
Revises:
Create Date: 2026-12-07
"""
from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = 'wecom_promotion_0001'
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = ('wecom_promotion',)
depends_on: str | Sequence[str] | None = None

UTC = sqlmodel.sql.sqltypes.UTCDateTime
TEXT = sqlmodel.sql.sqltypes.AutoString


def _tenant() -> list:
    return [sa.Column('tenant_id', sa.Integer(), nullable=False),
            sa.Column('id', sa.Integer(), nullable=False)]


def _fk_tenant() -> sa.ForeignKeyConstraint:
    return sa.ForeignKeyConstraint(['tenant_id'], ['tenant.id'], ondelete='CASCADE')


def upgrade() -> None:
    op.create_table(
        'wecom_promotion_activity', *_tenant(),
        sa.Column('account_id', sa.Integer(), nullable=False),
        sa.Column('name', TEXT(length=50), nullable=False),
        sa.Column('description', TEXT(length=500), nullable=False),
        sa.Column('starts_at', UTC(), nullable=False),
        sa.Column('ends_at', UTC(), nullable=False),
        sa.Column('all_employees', sa.Boolean(), nullable=False),
        sa.Column('target', TEXT(length=10), nullable=False),
        sa.Column('link_url', TEXT(length=1000), nullable=False),
        sa.Column('standard', TEXT(length=10), nullable=False),
        sa.Column('standard_count', sa.Integer(), nullable=False),
        sa.Column('remind_mode', TEXT(length=10), nullable=False),
        sa.Column('remind_days_before', sa.Integer(), nullable=False),
        sa.Column('reward', TEXT(length=10), nullable=False),
        sa.Column('webhook_url', TEXT(length=1000), nullable=False),
        sa.Column('webhook_auth', TEXT(length=10), nullable=False),
        sa.Column('webhook_token_url', TEXT(length=1000), nullable=False),
        sa.Column('webhook_secret', TEXT(length=2000), nullable=False),
        sa.Column('below_reminded_at', UTC(), nullable=True),
        sa.Column('created_by', TEXT(length=200), nullable=False),
        sa.Column('created_at', UTC(), nullable=False),
        sa.ForeignKeyConstraint(['account_id'], ['channel_account.id'], ondelete='CASCADE'),
        _fk_tenant(), sa.PrimaryKeyConstraint('id'),
    )
    op.create_index('ix_wecom_promotion_activity_tenant_id', 'wecom_promotion_activity', ['tenant_id'])
    op.create_index('ix_wecom_promotion_activity_account_id', 'wecom_promotion_activity', ['account_id'])
    op.create_table(
        'wecom_promotion_department', *_tenant(),
        sa.Column('activity_id', sa.Integer(), nullable=False),
        sa.Column('department_id', sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(['activity_id'], ['wecom_promotion_activity.id'], ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['department_id'], ['department.id'], ondelete='CASCADE'),
        _fk_tenant(), sa.PrimaryKeyConstraint('id'), sa.UniqueConstraint('activity_id', 'department_id'),
    )
    op.create_index('ix_wecom_promotion_department_tenant_id', 'wecom_promotion_department', ['tenant_id'])
    op.create_index('ix_wecom_promotion_department_department_id', 'wecom_promotion_department', ['department_id'])
    op.create_table(
        'wecom_promotion_participant', *_tenant(),
        sa.Column('activity_id', sa.Integer(), nullable=False),
        sa.Column('employee_id', sa.Integer(), nullable=False),
        sa.Column('token', TEXT(length=32), nullable=False),
        sa.Column('state', TEXT(length=30), nullable=False),
        sa.Column('config_id', TEXT(length=64), nullable=True),
        sa.Column('qr_code', TEXT(length=500), nullable=True),
        sa.Column('link_id', sa.Integer(), nullable=True),
        sa.Column('achieved_at', UTC(), nullable=True),
        sa.Column('reminded_multiple', sa.Integer(), nullable=False),
        sa.Column('poster_sent', sa.Boolean(), nullable=False),
        sa.ForeignKeyConstraint(['activity_id'], ['wecom_promotion_activity.id'], ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['employee_id'], ['employee.id'], ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['link_id'], ['short_link.id'], ondelete='SET NULL'),
        _fk_tenant(), sa.PrimaryKeyConstraint('id'), sa.UniqueConstraint('activity_id', 'employee_id'),
        sa.UniqueConstraint('tenant_id', 'state'), sa.UniqueConstraint('token'),
    )
    op.create_index('ix_wecom_promotion_participant_tenant_id', 'wecom_promotion_participant', ['tenant_id'])
    op.create_index('ix_wecom_promotion_participant_employee_id', 'wecom_promotion_participant', ['employee_id'])
    op.create_table(
        'wecom_promotion_result', *_tenant(),
        sa.Column('activity_id', sa.Integer(), nullable=False),
        sa.Column('participant_id', sa.Integer(), nullable=False),
        sa.Column('external_userid', TEXT(length=128), nullable=False),
        sa.Column('customer_id', sa.Integer(), nullable=True),
        sa.Column('event_id', TEXT(length=36), nullable=False),
        sa.Column('occurred_at', UTC(), nullable=False),
        sa.ForeignKeyConstraint(['activity_id'], ['wecom_promotion_activity.id'], ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['participant_id'], ['wecom_promotion_participant.id'], ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['customer_id'], ['customer.id'], ondelete='SET NULL'),
        _fk_tenant(), sa.PrimaryKeyConstraint('id'), sa.UniqueConstraint('event_id'),
    )
    op.create_index('ix_wecom_promotion_result_tenant_id', 'wecom_promotion_result', ['tenant_id'])
    op.create_index('ix_wecom_promotion_result_activity_id', 'wecom_promotion_result', ['activity_id'])
    op.create_index('ix_wecom_promotion_result_participant', 'wecom_promotion_result',
                    ['participant_id', 'occurred_at'])
    op.create_table(
        'wecom_promotion_reward', *_tenant(),
        sa.Column('activity_id', sa.Integer(), nullable=False),
        sa.Column('participant_id', sa.Integer(), nullable=False),
        sa.Column('key', TEXT(length=64), nullable=False),
        sa.Column('code', TEXT(length=16), nullable=False),
        sa.Column('kind', TEXT(length=10), nullable=False),
        sa.Column('status', TEXT(length=10), nullable=False),
        sa.Column('attempts', sa.Integer(), nullable=False),
        sa.Column('next_attempt_at', UTC(), nullable=True),
        sa.Column('last_error', TEXT(length=500), nullable=False),
        sa.Column('created_at', UTC(), nullable=False),
        sa.Column('sent_at', UTC(), nullable=True),
        sa.ForeignKeyConstraint(['activity_id'], ['wecom_promotion_activity.id'], ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['participant_id'], ['wecom_promotion_participant.id'], ondelete='CASCADE'),
        _fk_tenant(), sa.PrimaryKeyConstraint('id'), sa.UniqueConstraint('participant_id'),
        sa.UniqueConstraint('key'),
    )
    op.create_index('ix_wecom_promotion_reward_tenant_id', 'wecom_promotion_reward', ['tenant_id'])
    op.create_index('ix_wecom_promotion_reward_activity_id', 'wecom_promotion_reward', ['activity_id'])


def downgrade() -> None:
    for table in ('wecom_promotion_reward', 'wecom_promotion_result', 'wecom_promotion_participant',
                  'wecom_promotion_department', 'wecom_promotion_activity'):
        op.drop_table(table)
