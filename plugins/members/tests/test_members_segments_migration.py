"""The segments area's migration creates exactly the tables its models declare (columns, types, keys, indexes)."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from scrm_members.segments import models
from sqlmodel import SQLModel

TABLES = {m.__tablename__ for m in (models.TagMeta, models.TagCategoryScope, models.TagEvent, models.SegmentCategory,
                                    models.Segment, models.SegmentMember, models.BlacklistEntry,
                                    models.BlacklistRules)}


def test_the_migration_matches_the_models(platform):
    with platform.engine.connect() as conn:
        context = MigrationContext.configure(conn, opts={"compare_type": True})
        diffs = compare_metadata(context, SQLModel.metadata)
    ours = [d for d in diffs if any(name in repr(d) for name in TABLES)]
    assert ours == []
    assert all(name.startswith("members_") for name in TABLES)
