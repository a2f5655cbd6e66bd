"""A local WeCom simulator for tests and demos (never used in production).

``create_sandbox_app()`` returns a Flask WSGI app, stateful in memory, serving the WeCom server API endpoints the
client uses (``/cgi-bin/...``, WeCom's request and response shapes and error codes) and a control API under
``/sandbox/`` (seed, token expiry, rate limits, injected failures, recorded calls, new friends, callbacks).
``fire_callback`` / ``verify_url`` send correctly encrypted callbacks to a platform; ``SandboxControl`` drives the
control API over HTTP.
"""

from __future__ import annotations

from flask import Flask

from . import contacts_api, org_api  # noqa: F401  (declare the API routes)
from .callbacks import CallbackTarget, event_xml, fire_callback, verify_url
from .control import register_control
from .remote import SandboxControl
from .routing import register_api
from .state import SandboxState


def create_sandbox_app() -> Flask:
    """A fresh sandbox with empty state (``app.extensions["wecom_sandbox"]`` is its :class:`SandboxState`)."""
    app = Flask(__name__)
    state = SandboxState()
    app.extensions["wecom_sandbox"] = state
    register_api(app, state)
    register_control(app, state)
    return app


__all__ = ["CallbackTarget", "SandboxControl", "SandboxState", "create_sandbox_app", "event_xml", "fire_callback",
           "verify_url"]
