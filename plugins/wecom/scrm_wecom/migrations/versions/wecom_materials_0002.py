"""wecom material centre: a mini program's text link, and personal materials (an owner employee)

Revision ID: wecom_materials_0002
Revises: wecom_materials_0001
Create Date: 2026-12-07
"""
from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = 'wecom_materials_0002'
down_revision: str | None = 'wecom_materials_0001'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table('wecom_material') as batch:
        batch.add_column(sa.Column('text_link', sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False,
                                   server_default=''))
        batch.add_column(sa.Column('owner_employee_id', sa.Integer(), nullable=True))
        batch.create_foreign_key('fk_wecom_material_owner_employee_id_employee', 'employee',
                                 ['owner_employee_id'], ['id'], ondelete='CASCADE')
    op.create_index('ix_wecom_material_owner', 'wecom_material', ['tenant_id', 'owner_employee_id', 'deleted_at'],
                    unique=False)


def downgrade() -> None:
    op.drop_index('ix_wecom_material_owner', table_name='wecom_material')
    with op.batch_alter_table('wecom_material') as batch:
        batch.drop_constraint('fk_wecom_material_owner_employee_id_employee', type_='foreignkey')
        batch.drop_column('owner_employee_id')
        batch.drop_column('text_link')
