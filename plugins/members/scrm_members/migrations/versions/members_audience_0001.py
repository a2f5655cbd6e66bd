"""members condition builder at scale: expression indexes for the birthday conditions (age range, birthday window)

The age and "birthday between" conditions compare ``customer.attributes ->> 'birthday'`` (``YYYY-MM-DD`` text) and
its month/day ``substr(..., 6, 5)``; the condition compiler writes both expressions with the key and the positions
inline (``scrm_members.segments.attribute_filters.attribute``), so these indexes match them literally. They are
partial on live customers (``merged_into_id IS NULL``), the condition every audience carries; like the core's other
expression indexes they exist in migrations only (suffix ``_partial``: the models cannot declare them for both
dialects).

Revision ID: members_audience_0001
Revises:
Create Date: 2026-12-06
"""
from collections.abc import Sequence

from alembic import op

revision: str = 'members_audience_0001'
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = ('members_audience',)
depends_on: str | Sequence[str] | None = None

BIRTHDAY = {
    'postgresql': "(attributes ->> 'birthday')",
    'sqlite': "json_extract(attributes, '$.\"birthday\"')",
}
INDEXES = (
    ('ix_members_customer_birthday_partial', '{b}'),
    ('ix_members_customer_birthday_md_partial', 'substr({b}, 6, 5)'),
)


def upgrade() -> None:
    birthday = BIRTHDAY.get(op.get_bind().dialect.name)
    if birthday is None:
        return
    for name, expression in INDEXES:
        op.execute(f"CREATE INDEX {name} ON customer (tenant_id, {expression.format(b=birthday)}) "
                   "WHERE merged_into_id IS NULL")


def downgrade() -> None:
    if op.get_bind().dialect.name not in BIRTHDAY:
        return
    for name, _expression in INDEXES:
        op.execute(f"DROP INDEX IF EXISTS {name}")
