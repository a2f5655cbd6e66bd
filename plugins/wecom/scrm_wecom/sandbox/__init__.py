"""A local WeCom simulator for tests and demos (never used in production).

``create_sandbox_app()`` returns a Flask WSGI app, stateful in memory, serving the WeCom server API endpoints the
client uses (``/cgi-bin/...``, WeCom's request and response shapes and error codes) and a control API under
``/sandbox/`` (seed, token expiry, rate limits, injected failures, recorded calls, new friends, callbacks).
``fire_callback`` / ``verify_url`` send correctly encrypted callbacks to a platform; ``SandboxControl`` drives the
control API over HTTP.
"""

from __future__ import annotations

from pathlib import Path

from flask import Flask

from . import contacts_api, group_welcome, groupmsg, join_ways, org_api  # noqa: F401  (declare the API routes)
from .callbacks import CallbackTarget, event_xml, fire_callback, verify_url
from .control import register_control
from .groupchats import GroupChatControl, register_groupchat_control
from .groupmsg import GroupMsgControl, register_groupmsg_control
from .materials_api import register_materials_control
from .moments import MomentsControl, register_moments_control
from .persist import keep_state
from .remote import SandboxControl
from .routing import register_api
from .state import SandboxState


def create_sandbox_app(state_path: str | Path | None = None) -> Flask:
    """A sandbox (``app.extensions["wecom_sandbox"]`` is its :class:`SandboxState`): empty and in memory, or with
    ``state_path`` its corps kept in that JSON file across restarts (the demo)."""
    app = Flask(__name__)
    state = SandboxState()
    app.extensions["wecom_sandbox"] = state
    register_api(app, state)
    register_control(app, state)
    register_groupchat_control(app, state)
    register_groupmsg_control(app, state)
    register_materials_control(app, state)
    register_moments_control(app, state)
    if state_path is not None:
        keep_state(app, state, Path(state_path))
    return app


__all__ = ["CallbackTarget", "GroupChatControl", "GroupMsgControl", "MomentsControl", "SandboxControl", "SandboxState",
           "create_sandbox_app", "event_xml", "fire_callback", "verify_url"]
