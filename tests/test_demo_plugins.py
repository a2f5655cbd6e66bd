"""``scrm demo`` and the plugins: every installed plugin is enabled for the demo brand and adds its part through the
``demo_data`` hook, once however often the demo runs; the channel sandboxes are mounted only when switched on."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner
from sqlalchemy import create_engine, text

from scrm.hostapp.cli import main


@pytest.fixture
def demo_env(tmp_path, monkeypatch, scrm_app) -> Path:
    monkeypatch.setenv("SCRM_INSTANCE_PATH", str(tmp_path / "instance"))
    monkeypatch.setenv("SCRM_PLUGINS_TOML", str(Path(__file__).parent / "plugins.toml"))
    for name in ("SCRM_DATABASE_URL", "SCRM_BROKER_URL", "SCRM_REDIS_URL", "SCRM_SANDBOXES"):
        monkeypatch.delenv(name, raising=False)
    yield tmp_path / "instance"
    import dramatiq

    from scrm.core.jobs import bus

    session_bus = scrm_app.extensions["scrm"].bus  # each command made its own bus the current one
    bus._current = session_bus
    dramatiq.set_broker(session_bus.broker)


def rows(instance: Path, sql: str) -> list[tuple]:
    engine = create_engine(f"sqlite:///{instance / 'scrm.db'}")
    with engine.connect() as conn:
        found = [tuple(r) for r in conn.execute(text(sql))]
    engine.dispose()
    return found


def test_demo_enables_every_plugin_and_calls_demo_data_once_per_run_idempotently(demo_env):
    runner = CliRunner()
    for _ in range(2):
        result = runner.invoke(main, ["demo", "--url", "http://127.0.0.1:9"], catch_exceptions=False)
        assert result.exit_code == 0, result.output
    enabled = rows(demo_env, "SELECT p.plugin FROM tenant_plugin p JOIN tenant t ON t.id = p.tenant_id "
                             "WHERE t.slug = 'demo' AND p.enabled ORDER BY p.plugin")
    # example_future is blocked (hook API 2): not enabled; the other two are
    assert enabled == [("example",), ("example_broken",)]
    notes = rows(demo_env, "SELECT body FROM example_note WHERE source = 'demo'")
    assert notes == [("Welcome to the 示例品牌 Demo Brand demo",)]


def test_sandboxes_are_mounted_only_when_switched_on(demo_env):
    from scrm.core.config import Settings
    from scrm.hostapp import create_app

    plain = create_app(Settings.from_env())
    assert "scrm_sandboxes" not in plain.extensions
    plain.extensions["scrm"].close()
    switched = create_app(Settings.from_env(sandboxes=True))
    assert switched.extensions["scrm_sandboxes"] == []  # the example plugins are no channels: nothing to mount
    switched.extensions["scrm"].close()
    assert Settings.from_env().sandboxes is False
