"""A local official-account simulator for tests and demos (never used in production).

``create_sandbox_app()`` returns a Flask WSGI app, stateful in memory, serving the official-account API endpoints the
plugin calls (``/cgi-bin/...``, WeChat's request and response shapes and error codes; web authorisation's
``/connect/oauth2/authorize`` and ``/sns/oauth2/access_token``: :mod:`.oauth_api`) and a control API under
``/sandbox/`` (:mod:`.control`). Every module ``<area>_api.py`` of this package is imported and declares its
endpoints with :func:`.routing.api` (see :mod:`.routing`); areas keep their data in ``state.area("<area>")``.
:mod:`.callbacks` builds and sends signed / encrypted callbacks in plain, compatible and safe mode.
"""

from __future__ import annotations

import importlib
import json
import pkgutil
from pathlib import Path

from flask import Flask

from .callbacks import CallbackTarget, callback_request, message_xml, push_callback, read_reply, verify_url
from .control import register_control
from .routing import api, register_api, require
from .state import SandboxError, SandboxState


def _import_api_modules() -> None:
    for module in pkgutil.iter_modules(__path__):
        if module.name.endswith("_api"):
            importlib.import_module(f"{__name__}.{module.name}")


def create_sandbox_app(state_path: str | Path | None = None) -> Flask:
    """A sandbox (``app.extensions["official_account_sandbox"]`` is its :class:`SandboxState`). With ``state_path``
    its accounts and fans are loaded from / saved to that JSON file (the demo keeps them across restarts)."""
    _import_api_modules()
    app = Flask(__name__)
    state = SandboxState()
    app.extensions["official_account_sandbox"] = state
    register_api(app, state)
    register_control(app, state)
    for module in pkgutil.iter_modules(__path__):  # an area's own control routes: register_sandbox_control(app, state)
        if module.name.endswith("_api"):
            extra = getattr(importlib.import_module(f"{__name__}.{module.name}"), "register_sandbox_control", None)
            if extra is not None:
                extra(app, state)
    if state_path is not None:
        _keep_state(app, state, Path(state_path))
    return app


def _keep_state(app: Flask, state: SandboxState, path: Path) -> None:
    from .state import Account, Fan

    if path.exists():
        try:
            saved = json.loads(path.read_text(encoding="utf-8"))
        except ValueError:
            saved = {}
        for raw in saved.get("accounts", []):
            fans = raw.pop("fans", {})
            templates = raw.pop("templates", [])
            account = Account(**raw, templates=set(templates))
            account.fans = {openid: Fan(**fan) for openid, fan in fans.items()}
            state.accounts[account.appid] = account
        state.areas.update(saved.get("areas", {}))

    @app.after_request
    def save(response):
        if not response.direct_passthrough:
            from dataclasses import asdict

            with state.lock:
                accounts = [{**asdict(a), "templates": sorted(a.templates)} for a in state.accounts.values()]
                data = {"accounts": accounts, "areas": state.areas}
            path.write_text(json.dumps(data, ensure_ascii=False, default=str), encoding="utf-8")
        return response


__all__ = ["CallbackTarget", "SandboxError", "SandboxState", "api", "callback_request", "create_sandbox_app",
           "message_xml", "push_callback", "read_reply", "require", "verify_url"]
