"""wecom material centre: groups, materials, files, media ids, tracked sends and views, scripts

Revision ID: wecom_materials_0001
Revises:
Create Date: 2026-12-06
"""
from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = 'wecom_materials_0001'
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = ('wecom_materials',)
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('wecom_content_group',
    sa.Column('tenant_id', sa.Integer(), nullable=False),
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('library', sqlmodel.sql.sqltypes.AutoString(length=10), nullable=False),
    sa.Column('scope', sqlmodel.sql.sqltypes.AutoString(length=10), nullable=False),
    sa.Column('name', sqlmodel.sql.sqltypes.AutoString(length=20), nullable=False),
    sa.Column('department_ids', sa.JSON(), nullable=False),
    sa.Column('is_default', sa.Boolean(), nullable=False),
    sa.Column('created_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
    sa.ForeignKeyConstraint(['tenant_id'], ['tenant.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id')
    )
    op.create_index('ix_wecom_content_group_library', 'wecom_content_group', ['tenant_id', 'library', 'scope'], unique=False)
    op.create_index(op.f('ix_wecom_content_group_tenant_id'), 'wecom_content_group', ['tenant_id'], unique=False)
    op.create_table('wecom_material',
    sa.Column('tenant_id', sa.Integer(), nullable=False),
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('group_id', sa.Integer(), nullable=False),
    sa.Column('scope', sqlmodel.sql.sqltypes.AutoString(length=10), nullable=False),
    sa.Column('kind', sqlmodel.sql.sqltypes.AutoString(length=12), nullable=False),
    sa.Column('title', sqlmodel.sql.sqltypes.AutoString(length=20), nullable=False),
    sa.Column('token', sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
    sa.Column('summary', sqlmodel.sql.sqltypes.AutoString(length=120), nullable=False),
    sa.Column('url', sqlmodel.sql.sqltypes.AutoString(length=1000), nullable=False),
    sa.Column('body', sqlmodel.sql.sqltypes.AutoString(length=5000), nullable=False),
    sa.Column('appid', sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
    sa.Column('page', sqlmodel.sql.sqltypes.AutoString(length=256), nullable=False),
    sa.Column('file_name', sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
    sa.Column('track_tag_ids', sa.JSON(), nullable=False),
    sa.Column('created_by', sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
    sa.Column('created_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
    sa.Column('updated_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
    sa.Column('deleted_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True),
    sa.ForeignKeyConstraint(['group_id'], ['wecom_content_group.id'], ),
    sa.ForeignKeyConstraint(['tenant_id'], ['tenant.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('token')
    )
    op.create_index(op.f('ix_wecom_material_group_id'), 'wecom_material', ['group_id'], unique=False)
    op.create_index('ix_wecom_material_list', 'wecom_material', ['tenant_id', 'scope', 'deleted_at', 'id'], unique=False)
    op.create_index(op.f('ix_wecom_material_tenant_id'), 'wecom_material', ['tenant_id'], unique=False)
    op.create_table('wecom_script',
    sa.Column('tenant_id', sa.Integer(), nullable=False),
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('group_id', sa.Integer(), nullable=False),
    sa.Column('scope', sqlmodel.sql.sqltypes.AutoString(length=10), nullable=False),
    sa.Column('title', sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
    sa.Column('created_by', sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
    sa.Column('created_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
    sa.Column('updated_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
    sa.ForeignKeyConstraint(['group_id'], ['wecom_content_group.id'], ),
    sa.ForeignKeyConstraint(['tenant_id'], ['tenant.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id')
    )
    op.create_index(op.f('ix_wecom_script_group_id'), 'wecom_script', ['group_id'], unique=False)
    op.create_index('ix_wecom_script_list', 'wecom_script', ['tenant_id', 'scope', 'id'], unique=False)
    op.create_index(op.f('ix_wecom_script_tenant_id'), 'wecom_script', ['tenant_id'], unique=False)
    op.create_table('wecom_material_file',
    sa.Column('tenant_id', sa.Integer(), nullable=False),
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('material_id', sa.Integer(), nullable=False),
    sa.Column('role', sqlmodel.sql.sqltypes.AutoString(length=10), nullable=False),
    sa.Column('mime', sqlmodel.sql.sqltypes.AutoString(length=60), nullable=False),
    sa.Column('name', sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
    sa.Column('size', sa.Integer(), nullable=False),
    sa.Column('sha256', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
    sa.Column('data', sa.LargeBinary(), nullable=False),
    sa.ForeignKeyConstraint(['material_id'], ['wecom_material.id'], ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['tenant_id'], ['tenant.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('material_id', 'role')
    )
    op.create_index(op.f('ix_wecom_material_file_tenant_id'), 'wecom_material_file', ['tenant_id'], unique=False)
    op.create_table('wecom_material_media',
    sa.Column('tenant_id', sa.Integer(), nullable=False),
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('account_id', sa.Integer(), nullable=False),
    sa.Column('material_id', sa.Integer(), nullable=False),
    sa.Column('role', sqlmodel.sql.sqltypes.AutoString(length=10), nullable=False),
    sa.Column('sha256', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
    sa.Column('media_id', sqlmodel.sql.sqltypes.AutoString(length=256), nullable=False),
    sa.Column('uploaded_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
    sa.ForeignKeyConstraint(['account_id'], ['channel_account.id'], ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['material_id'], ['wecom_material.id'], ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['tenant_id'], ['tenant.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('account_id', 'material_id', 'role')
    )
    op.create_index(op.f('ix_wecom_material_media_tenant_id'), 'wecom_material_media', ['tenant_id'], unique=False)
    op.create_table('wecom_script_content',
    sa.Column('tenant_id', sa.Integer(), nullable=False),
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('script_id', sa.Integer(), nullable=False),
    sa.Column('seq', sa.Integer(), nullable=False),
    sa.Column('type', sqlmodel.sql.sqltypes.AutoString(length=12), nullable=False),
    sa.Column('text', sqlmodel.sql.sqltypes.AutoString(length=1300), nullable=False),
    sa.Column('material_id', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['material_id'], ['wecom_material.id'], ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['script_id'], ['wecom_script.id'], ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['tenant_id'], ['tenant.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('script_id', 'seq')
    )
    op.create_index(op.f('ix_wecom_script_content_tenant_id'), 'wecom_script_content', ['tenant_id'], unique=False)
    op.create_table('wecom_material_send',
    sa.Column('tenant_id', sa.Integer(), nullable=False),
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('material_id', sa.Integer(), nullable=False),
    sa.Column('employee_id', sa.Integer(), nullable=False),
    sa.Column('customer_id', sa.Integer(), nullable=True),
    sa.Column('external_userid', sqlmodel.sql.sqltypes.AutoString(length=128), nullable=False),
    sa.Column('token', sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
    sa.Column('short_link_id', sa.Integer(), nullable=True),
    sa.Column('sent_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
    sa.ForeignKeyConstraint(['customer_id'], ['customer.id'], ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['employee_id'], ['employee.id'], ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['material_id'], ['wecom_material.id'], ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['short_link_id'], ['short_link.id'], ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['tenant_id'], ['tenant.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('token')
    )
    op.create_index(op.f('ix_wecom_material_send_customer_id'), 'wecom_material_send', ['customer_id'], unique=False)
    op.create_index('ix_wecom_material_send_material', 'wecom_material_send', ['material_id', 'sent_at'], unique=False)
    op.create_index(op.f('ix_wecom_material_send_tenant_id'), 'wecom_material_send', ['tenant_id'], unique=False)
    op.create_table('wecom_material_view',
    sa.Column('tenant_id', sa.Integer(), nullable=False),
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('material_id', sa.Integer(), nullable=False),
    sa.Column('send_id', sa.Integer(), nullable=False),
    sa.Column('customer_id', sa.Integer(), nullable=True),
    sa.Column('employee_id', sa.Integer(), nullable=True),
    sa.Column('beacon', sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
    sa.Column('opened_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
    sa.Column('reminded_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True),
    sa.Column('duration', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['customer_id'], ['customer.id'], ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['employee_id'], ['employee.id'], ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['material_id'], ['wecom_material.id'], ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['send_id'], ['wecom_material_send.id'], ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['tenant_id'], ['tenant.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('beacon')
    )
    op.create_index(op.f('ix_wecom_material_view_customer_id'), 'wecom_material_view', ['customer_id'], unique=False)
    op.create_index('ix_wecom_material_view_material', 'wecom_material_view', ['material_id', 'opened_at'], unique=False)
    op.create_index(op.f('ix_wecom_material_view_tenant_id'), 'wecom_material_view', ['tenant_id'], unique=False)


def downgrade() -> None:
    op.drop_index(op.f('ix_wecom_material_view_tenant_id'), table_name='wecom_material_view')
    op.drop_index('ix_wecom_material_view_material', table_name='wecom_material_view')
    op.drop_index(op.f('ix_wecom_material_view_customer_id'), table_name='wecom_material_view')
    op.drop_table('wecom_material_view')
    op.drop_index(op.f('ix_wecom_material_send_tenant_id'), table_name='wecom_material_send')
    op.drop_index('ix_wecom_material_send_material', table_name='wecom_material_send')
    op.drop_index(op.f('ix_wecom_material_send_customer_id'), table_name='wecom_material_send')
    op.drop_table('wecom_material_send')
    op.drop_index(op.f('ix_wecom_script_content_tenant_id'), table_name='wecom_script_content')
    op.drop_table('wecom_script_content')
    op.drop_index(op.f('ix_wecom_material_media_tenant_id'), table_name='wecom_material_media')
    op.drop_table('wecom_material_media')
    op.drop_index(op.f('ix_wecom_material_file_tenant_id'), table_name='wecom_material_file')
    op.drop_table('wecom_material_file')
    op.drop_index(op.f('ix_wecom_script_tenant_id'), table_name='wecom_script')
    op.drop_index('ix_wecom_script_list', table_name='wecom_script')
    op.drop_index(op.f('ix_wecom_script_group_id'), table_name='wecom_script')
    op.drop_table('wecom_script')
    op.drop_index(op.f('ix_wecom_material_tenant_id'), table_name='wecom_material')
    op.drop_index('ix_wecom_material_list', table_name='wecom_material')
    op.drop_index(op.f('ix_wecom_material_group_id'), table_name='wecom_material')
    op.drop_table('wecom_material')
    op.drop_index(op.f('ix_wecom_content_group_tenant_id'), table_name='wecom_content_group')
    op.drop_index('ix_wecom_content_group_library', table_name='wecom_content_group')
    op.drop_table('wecom_content_group')
