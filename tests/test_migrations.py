"""Migrations: one alembic lineage per plugin with its own version table, and every lineage matches its models."""

from __future__ import annotations

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import inspect
from sqlmodel import SQLModel

from scrm.core import migrate


def lineage_names(platform) -> list[str]:
    return [lineage.name for lineage in migrate.lineages(platform.registry)]


def test_core_comes_first_then_each_plugin_with_tables(platform):
    names = lineage_names(platform)
    assert names[0] == "core" and "example" in names
    assert "example_broken" not in names  # it declares no tables


def test_each_lineage_has_its_own_version_table(platform):
    tables = set(inspect(platform.engine).get_table_names())
    for name in lineage_names(platform):
        assert f"alembic_version_{name}" in tables


def test_nothing_is_pending_after_upgrade(platform):
    assert all(not revisions for revisions in migrate.pending(platform.engine, platform.registry).values())


@pytest.mark.parametrize("name", ["core", "example", "members", "wecom", "sms", "official_account"])
def test_models_and_migrations_agree(platform, name):
    lineage = next((lin for lin in migrate.lineages(platform.registry) if lin.name == name), None)
    if lineage is None:
        pytest.skip(f"{name} is not installed")

    def include(obj, obj_name, type_, reflected, compare_to):
        if type_ == "index" and (obj_name or "").endswith(migrate.SEARCH_INDEX_SUFFIX):
            return False
        if type_ == "table":
            return lineage.owns(obj_name)
        table = getattr(obj, "table", None)
        return lineage.owns(table.name) if table is not None else True

    with platform.engine.connect() as conn:
        context = MigrationContext.configure(conn, opts={"include_object": include, "compare_type": False})
        diff = compare_metadata(context, SQLModel.metadata)
    assert diff == [], f"{name}: models and migrations differ: {diff[:3]} ({len(diff)} differences)"


def test_a_plugin_lineage_sees_only_its_own_tables(platform):
    example = next(lin for lin in migrate.lineages(platform.registry) if lin.name == "example")
    assert example.owns("example_note")
    assert not example.owns("customer") and not example.owns("members_profile")
