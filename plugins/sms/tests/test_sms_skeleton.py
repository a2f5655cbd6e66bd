"""The SMS plugin as a distribution of the platform: loaded as a channel, off for new tenants (a paid feature),
translated, and its migrations match its tables."""

from __future__ import annotations

import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[3]


def test_the_plugin_is_a_channel_named_sms_in_chinese(app, platform):
    from flask_babel import force_locale, gettext

    plugin = platform.registry.plugin("sms")
    from importlib.metadata import version

    assert plugin.category == "channel" and plugin.version == version("scrm-sms")  # read, never typed twice
    with app.test_request_context(), force_locale("zh_Hans_CN"):
        assert gettext(plugin.title) == "短信"


def test_the_manifest_keeps_it_off_for_new_tenants():
    manifest = tomllib.loads((ROOT / "plugins.toml").read_text(encoding="utf-8"))
    assert manifest["plugins"]["sms"] == {"version": ">=0.1,<1", "default_enabled": False}


def test_the_migration_matches_the_models(app, db):
    from alembic.autogenerate import compare_metadata
    from alembic.runtime.migration import MigrationContext
    from sqlmodel import SQLModel

    def own(obj, name, type_, reflected, compare_to):
        table = name if type_ == "table" else getattr(getattr(obj, "table", None), "name", "")
        return str(table).startswith("sms_")

    context = MigrationContext.configure(db.connection(), opts={"include_object": own, "compare_type": True})
    assert compare_metadata(context, SQLModel.metadata) == []
