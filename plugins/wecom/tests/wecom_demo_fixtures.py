"""Fixtures of the demo tests: ``scrm demo`` run in-process on a fresh SQLite instance with the members and wecom
plugins, and a host application on that instance for browsing the result.

Import them with ``from wecom_demo_fixtures import *``.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

from scrm.hostapp.cli import main
from scrm.sdk.testing import free_port


@pytest.fixture
def demo_instance(tmp_path, monkeypatch) -> Path:
    """A fresh instance folder (SQLite, generated keys) and a manifest listing members and wecom."""
    manifest = tmp_path / "plugins.toml"
    manifest.write_text('[plugins.members]\ndefault_enabled = true\n\n[plugins.wecom]\n', encoding="utf-8")
    instance = tmp_path / "instance"
    monkeypatch.setenv("SCRM_INSTANCE_PATH", str(instance))
    monkeypatch.setenv("SCRM_PLUGINS_TOML", str(manifest))
    for name in ("SCRM_DATABASE_URL", "SCRM_BROKER_URL", "SCRM_REDIS_URL", "SCRM_SANDBOXES"):
        monkeypatch.delenv(name, raising=False)
    return instance


def _give_back_the_session_bus(scrm_app) -> None:
    """Each command builds its own platform, which became the process's current job bus: give the session's back."""
    import dramatiq

    from scrm.core.jobs import bus

    session_bus = scrm_app.extensions["scrm"].bus
    bus._current = session_bus
    dramatiq.set_broker(session_bus.broker)


@pytest.fixture
def demo_cli(demo_instance, scrm_app):
    """``demo_cli("demo", "--url", url)`` runs a command of ``scrm`` in this process."""
    runner = CliRunner()

    def run(*args: str):
        return runner.invoke(main, list(args), catch_exceptions=False)

    yield run
    _give_back_the_session_bus(scrm_app)


@pytest.fixture
def demo_url() -> str:
    return f"http://127.0.0.1:{free_port()}"


@pytest.fixture
def demo_app(demo_instance, scrm_app):
    """``demo_app(sandboxes=False)``: the host application on the demo instance, as ``scrm serve`` builds it."""
    from scrm.core.config import Settings
    from scrm.hostapp import create_app

    apps = []

    def make(sandboxes: bool = False):
        app = create_app(Settings.from_env(sandboxes=sandboxes or None), broker_namespace="scrm-demo-test")
        apps.append(app)
        return app

    yield make
    for app in apps:
        app.extensions["scrm"].close()
    _give_back_the_session_bus(scrm_app)


__all__ = ["demo_app", "demo_cli", "demo_instance", "demo_url"]
