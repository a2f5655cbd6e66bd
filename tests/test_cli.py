"""The command line: setup, tenants, plugins; errors are one line and a non-zero exit code."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

from scrm.hostapp.cli import main


@pytest.fixture
def cli(tmp_path, monkeypatch, scrm_app):
    manifest = Path(__file__).parent / "plugins.toml"
    monkeypatch.setenv("SCRM_INSTANCE_PATH", str(tmp_path / "instance"))
    monkeypatch.setenv("SCRM_PLUGINS_TOML", str(manifest))
    for name in ("SCRM_DATABASE_URL", "SCRM_BROKER_URL", "SCRM_REDIS_URL"):
        monkeypatch.delenv(name, raising=False)
    runner = CliRunner()

    def run(*args: str, input: str | None = None):
        return runner.invoke(main, list(args), input=input, catch_exceptions=False)

    yield run
    import dramatiq

    from scrm.core.jobs import bus

    # each command built its own platform, which became the process's current job bus: give it back
    session_bus = scrm_app.extensions["scrm"].bus
    bus._current = session_bus
    dramatiq.set_broker(session_bus.broker)


def test_init_migrates_and_prints_the_admin(cli):
    result = cli("init", "--admin-email", "ops@brand.test")
    assert result.exit_code == 0, result.output
    assert "platform admin: ops@brand.test / " in result.output
    assert cli("db", "pending").output.strip().endswith("no pending migrations")


def test_init_twice_keeps_the_admin(cli):
    cli("init", "--admin-email", "ops@brand.test", "--admin-password", "long-enough-1")
    result = cli("init", "--admin-email", "ops@brand.test")
    assert result.exit_code == 0
    assert "exists" in result.output


def test_tenant_create_and_list(cli):
    cli("init")
    assert cli("tenants", "create", "brand-a", "Brand A").exit_code == 0
    listed = cli("tenants", "list").output
    assert "brand-a\tBrand A\tactive" in listed


def test_bad_slug_is_one_line_and_exit_code_1(cli):
    cli("init")
    result = cli("tenants", "create", "Bad Slug!", "Brand")
    assert result.exit_code == 1
    assert result.output.strip().startswith("error: slug must be")
    assert len(result.output.strip().splitlines()) == 1


def test_duplicate_tenant_is_refused(cli):
    cli("init")
    cli("tenants", "create", "brand-a", "Brand A")
    result = cli("tenants", "create", "brand-a", "Again")
    assert result.exit_code == 1
    assert "already exists" in result.output


def test_plugins_list_shows_blocked_plugins_with_reason(cli):
    cli("init")
    output = cli("plugins", "list").output
    assert "example_future" in output and "blocked" in output


def test_enable_unknown_plugin_fails_cleanly(cli):
    cli("init")
    cli("tenants", "create", "brand-a", "Brand A")
    result = cli("plugins", "enable", "nope", "--tenant", "brand-a")
    assert result.exit_code == 1
    assert result.output.strip() == "error: unknown plugin 'nope'"


def test_enable_on_unknown_tenant_fails_cleanly(cli):
    cli("init")
    result = cli("plugins", "enable", "example", "--tenant", "missing")
    assert result.exit_code == 1
    assert "no tenant 'missing'" in result.output


def test_demo_is_idempotent_and_prints_the_same_password(cli):
    first = cli("demo")
    second = cli("demo")
    assert first.exit_code == 0 and second.exit_code == 0
    assert first.output.splitlines()[-1] == second.output.splitlines()[-1]
    assert first.output.splitlines()[-1].startswith("demo admin: admin@demo.local / ")


def test_worker_without_broker_explains(cli):
    cli("init")
    result = cli("worker")
    assert result.exit_code == 1
    assert "SCRM_BROKER_URL is not set" in result.output
