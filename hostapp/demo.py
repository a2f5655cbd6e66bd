"""The demo tenant: a brand (a tea-house chain: org tree, tags, customers over six months, see ``demo_brand``) and an
admin who can sign in; every installed plugin enabled for it, each adding its own part through the ``demo_data`` hook
(members: orders, levels, stages, points, segments; WeCom: a sandbox corp, synced friends, live codes, customers
adding through them who receive their welcome message, lost friends and group chats).

While plugins seed, the platform is served at the demo address with the channel sandboxes mounted (so callbacks and
API calls go over HTTP exactly as they will under ``scrm serve --sandboxes``) and a job worker runs in this process.
"""

from __future__ import annotations

import logging
import os
import threading
import time
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

from flask import Flask
from sqlmodel import Session

from scrm.core.db import session_scope
from scrm.core.models import Role
from scrm.core.plugins.enablement import enable_plugin, enabled_plugins
from scrm.core.services.users import (
    add_member,
    create_tenant,
    create_user,
    find_tenant,
    find_user,
    generate_password,
    hash_password,
)

from .demo_brand import seed_brand
from .sandboxes import sandbox_path

log = logging.getLogger(__name__)

DEMO_SLUG = "demo"
DEMO_EMAIL = "admin@demo.local"
DEFAULT_URL = "http://127.0.0.1:5000"


def _password_file(app: Flask):
    return os.path.join(app.instance_path, "demo-admin-password")


def _demo_password(app: Flask) -> str:
    path = _password_file(app)
    if os.path.exists(path):
        with open(path) as handle:
            return handle.read().strip()
    password = generate_password()
    os.makedirs(app.instance_path, exist_ok=True)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as handle:
        handle.write(password)
    return password


@dataclass
class DemoContext:
    """What the ``demo_data`` hook receives as ``demo``: the demo address, the sandboxes and the job worker."""

    app: Flask
    url: str = DEFAULT_URL
    _server: Any = field(default=None, repr=False)

    def serve(self) -> str:
        """Serve the platform (channel sandboxes mounted) at the demo address until the demo ends; its base URL."""
        if self._server is None:
            from werkzeug.serving import make_server

            address = urlsplit(self.url)
            try:
                self._server = make_server(address.hostname or "127.0.0.1", address.port or 80, self.app,
                                           threaded=True)
            except OSError as exc:
                raise ValueError(f"cannot serve the demo at {self.url} ({exc}): stop what runs there first, "
                                 "or pass --url") from exc
            threading.Thread(target=self._server.serve_forever, name="scrm-demo-server", daemon=True).start()
        return self.url.rstrip("/")

    def sandbox_url(self, plugin: str) -> str:
        """Where ``plugin``'s sandbox answers (an API base for the channel accounts of the demo)."""
        if plugin not in self.app.extensions.get("scrm_sandboxes", ()):
            raise LookupError(f"plugin '{plugin}' has no sandbox mounted")
        return self.serve() + sandbox_path(plugin)

    def wait_for_jobs(self, timeout: float = 120.0) -> None:
        """Wait until every job enqueued so far (and the jobs they enqueue) has run."""
        self.app.extensions["scrm"].bus.join(timeout)

    def close(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None


def ensure_demo(app: Flask, url: str = DEFAULT_URL) -> tuple[str, str]:
    """Create (once) the demo tenant and its admin, enable every installed plugin for it and let each seed its demo
    data (every run: plugins keep theirs idempotent); returns the admin's email and password."""
    plat = app.extensions["scrm"]
    started = time.monotonic()
    password = _demo_password(app)
    with session_scope(plat.engine, immediate=True) as session:
        user = find_user(session, DEMO_EMAIL)
        if user is None:
            user = create_user(session, DEMO_EMAIL, password, name="Demo Admin", platform_admin=True)
        else:
            user.password_hash = hash_password(password)
            session.add(user)
        tenant = find_tenant(session, DEMO_SLUG)
        if tenant is None:
            tenant = create_tenant(session, DEMO_SLUG, "示例品牌 Demo Brand", plat.manifest.default_enabled(),
                                   plat.registry)
            seed_brand(session, tenant.id, getattr(tenant, "timezone", None))
        add_member(session, tenant, user, Role.TENANT_ADMIN)
        _enable_every_plugin(session, plat.registry, tenant)
    _plugin_demo_data(app, url)
    log.info("demo brand seeded in %.1f s", time.monotonic() - started)
    return DEMO_EMAIL, password


def _enable_every_plugin(session: Session, registry: Any, tenant: Any) -> None:
    """Enable each active plugin the tenant has not enabled yet, requirements first."""
    todo = {record.name: record for record in registry.active()}
    done = enabled_plugins(session, tenant.id)
    while todo:
        ready = sorted(name for name, record in todo.items() if all(req in done for req in record.requires))
        if not ready:  # a requirement that cannot be met: the registry already blocked those plugins
            break
        for name in ready:
            if name not in done:
                enable_plugin(session, registry, tenant, name)
                done.add(name)
            del todo[name]


def _plugin_demo_data(app: Flask, url: str) -> None:
    plat = app.extensions["scrm"]
    demo = DemoContext(app, url)
    plat.bus.start_worker(4)
    try:
        # a writer session (SQLite: BEGIN IMMEDIATE), as jobs use: the demo writes while the worker does
        with app.app_context(), session_scope(plat.engine, immediate=True) as session:
            tenant = find_tenant(session, DEMO_SLUG)
            plat.hooks(session, tenant).lifecycle("demo_data", tenant=tenant, session=session, demo=demo)
        demo.wait_for_jobs()
    finally:
        plat.bus.stop_worker()
        demo.close()
