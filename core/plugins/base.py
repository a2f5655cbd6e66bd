"""The ``Plugin`` and ``ChannelPlugin`` bases: metadata a plugin declares on its class."""

from __future__ import annotations

import importlib.metadata
from pathlib import Path
from typing import Any, ClassVar

from pydantic import BaseModel


class Plugin:
    """Base class of every plugin. The entry point in group ``scrm.plugins`` names the class; its name is the plugin name.

    Metadata is declared on the class (``title``, ``description``, ``category``, ``api``, ``requires``,
    ``settings_model``, ``permissions``); the version is read from the installed distribution, never typed twice.
    Hook implementations are methods decorated with ``hookimpl``.
    """

    name: ClassVar[str] = ""
    title: ClassVar[str] = ""
    description: ClassVar[str] = ""
    category: ClassVar[str] = "feature"
    api: ClassVar[str] = ">=1,<2"
    requires: ClassVar[tuple[str, ...]] = ()
    settings_model: ClassVar[type[BaseModel] | None] = None
    permissions: ClassVar[tuple[str, ...]] = ()
    #: an example or test plugin: left off a tenant's plugins page and navigation for everyone but platform admins
    hidden: ClassVar[bool] = False
    #: the folder (inside the plugin's package) of its alembic lineage; None for a plugin without tables
    migrations_folder: ClassVar[str | None] = "migrations"

    def __init__(self, name: str | None = None, distribution: str | None = None) -> None:
        if name:
            self.name = name
        self.distribution = distribution

    @property
    def version(self) -> str:
        if not self.distribution:
            return "0"
        try:
            return importlib.metadata.version(self.distribution)
        except importlib.metadata.PackageNotFoundError:
            return "0"

    @property
    def package_path(self) -> Path:
        import sys

        return Path(sys.modules[type(self).__module__].__file__).resolve().parent

    @property
    def migrations_path(self) -> Path | None:
        """The folder of the plugin's alembic lineage, if it has tables."""
        if not self.migrations_folder:
            return None
        path = self.package_path / self.migrations_folder
        return path if (path / "env.py").exists() else None

    @property
    def translations_path(self) -> Path | None:
        path = self.package_path / "translations"
        return path if path.is_dir() else None

    def import_jobs(self) -> None:
        """Import the plugin's ``jobs`` module (if it has one) so its actors are declared before workers start."""
        import importlib
        import importlib.util

        package = type(self).__module__.rsplit(".", 1)[0]
        name = f"{package}.jobs"
        if package != type(self).__module__ and importlib.util.find_spec(name) is not None:
            importlib.import_module(name)

    def validate_settings(self, data: dict[str, Any] | None) -> dict[str, Any]:
        """Validate tenant settings against ``settings_model``; raises ``pydantic.ValidationError``."""
        if self.settings_model is None:
            return {}
        return self.settings_model.model_validate(data or {}).model_dump(mode="json")

    def default_settings(self) -> dict[str, Any]:
        return self.validate_settings({}) if self.settings_model else {}


class ChannelPlugin(Plugin):
    """A plugin that connects an external channel (WeCom, an official account, SMS, pay ...).

    ``capabilities`` lists the message kinds it can send. ``handle_callback`` receives the provider's callbacks routed
    by the host gateway ``/callbacks/<plugin>/<account_id>``; ``sandbox_app`` returns a WSGI app that simulates the
    provider for tests and demos.
    """

    category: ClassVar[str] = "channel"
    capabilities: ClassVar[tuple[str, ...]] = ()

    def handle_callback(self, account, request, session):  # pragma: no cover - interface
        """Verify, decrypt, store and enqueue one callback; return a Flask response within a second.

        ``account`` is a read-only snapshot shared by concurrent requests (load it in ``session`` to change it).
        Store through ``platform.inbox.store(Inbound(...))`` (``scrm.core.inbox``): group-committed with the
        callbacks arriving together, its jobs enqueued in the same broker round trip."""
        raise NotImplementedError

    def send(self, account, batch, session):  # pragma: no cover - interface
        """Send a batch of outbound messages; return one result per message."""
        raise NotImplementedError

    def sandbox_app(self, state_path=None):  # pragma: no cover - interface
        """A WSGI app simulating the provider's API, following its documented protocol.

        With ``state_path`` (a file), the simulator keeps its state there across restarts (the demo mounts it in the
        served platform); without, it starts empty and lives in memory (tests)."""
        return None
