"""Channel sandboxes served by the platform itself, for the demo: each channel plugin's provider simulator
(``ChannelPlugin.sandbox_app``) mounted at ``/sandbox/<plugin>``.

Only when ``Settings.sandboxes`` is on (``scrm demo``, ``scrm serve --sandboxes`` or ``SCRM_SANDBOXES=1``); production
never turns it on: a sandbox answers anyone, without signing in. A sandbox keeps its state in
``<instance>/sandboxes/<plugin>.json`` (when its ``sandbox_app`` accepts a ``state_path``), so what ``scrm demo``
seeded is still there under ``scrm serve``.
"""

from __future__ import annotations

import inspect
import logging
from pathlib import Path
from typing import Any

from flask import Flask
from werkzeug.middleware.dispatcher import DispatcherMiddleware

from scrm.core.plugins.base import ChannelPlugin

log = logging.getLogger(__name__)

PREFIX = "/sandbox"


def sandbox_path(plugin: str) -> str:
    """The path under which ``plugin``'s sandbox answers (append it to the platform's base URL)."""
    return f"{PREFIX}/{plugin}"


def _sandbox_of(channel: ChannelPlugin, state_path: Path) -> Any:
    if "state_path" in inspect.signature(channel.sandbox_app).parameters:
        return channel.sandbox_app(state_path=state_path)
    return channel.sandbox_app()


def mount_sandboxes(app: Flask, plat: Any) -> list[str]:
    """Mount the sandbox of every active channel plugin that has one; returns the plugin names."""
    state_dir = Path(plat.settings.instance_path) / "sandboxes"
    mounts: dict[str, Any] = {}
    for record in sorted(plat.registry.active(), key=lambda r: r.name):
        if not isinstance(record.plugin, ChannelPlugin):
            continue
        try:
            sandbox = _sandbox_of(record.plugin, state_dir / f"{record.name}.json")
        except Exception:  # a broken simulator must not keep the demo from starting
            log.exception("sandbox of plugin %s failed to start", record.name)
            continue
        if sandbox is not None:
            mounts[sandbox_path(record.name)] = sandbox
    if mounts:
        state_dir.mkdir(parents=True, exist_ok=True)
        app.wsgi_app = DispatcherMiddleware(app.wsgi_app, mounts)
        log.warning("channel sandboxes mounted (demo only, never in production): %s", ", ".join(sorted(mounts)))
    names = sorted(path.rsplit("/", 1)[1] for path in mounts)
    app.extensions["scrm_sandboxes"] = names
    return names
