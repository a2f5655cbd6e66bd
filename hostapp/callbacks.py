"""The callback gateway ``/callbacks/<plugin>/<account_id>``: the tenant comes from the channel account, and the
request goes to the channel plugin that owns the account (404 when the tenant has not enabled it)."""

from __future__ import annotations

import logging
import re
from typing import Any

from flask import Blueprint, Response, g, request
from flask.sessions import SecureCookieSessionInterface
from werkzeug.local import LocalProxy
from werkzeug.wrappers import Response as BaseResponse

from scrm.core.inbox import InboxTimeout
from scrm.core.plugins.base import ChannelPlugin

from .platform_ext import db, platform

log = logging.getLogger(__name__)

bp = Blueprint("callbacks", __name__, url_prefix="/callbacks")
PREFIX = "/callbacks/"


SESSIONLESS = (PREFIX, "/api/")


class SessionInterface(SecureCookieSessionInterface):
    """The host's cookie session, except under ``/callbacks/`` and ``/api/``: a provider's servers send no cookie,
    and the REST API authenticates by bearer token only (a browser's cookie must never authenticate, or
    de-authenticate, an API request). There a request starts with an empty session (no cookie read, no signing
    serializer built; ``g.user`` stays None) and never sets one (an error page that wrote a CSRF token into it must
    not replace a browser's real session). Every other path works as before."""

    def open_session(self, app, request):
        if request.path.startswith(SESSIONLESS):
            return self.session_class()
        return super().open_session(app, request)

    def save_session(self, app, session, response):
        if request.path.startswith(SESSIONLESS):
            return
        super().save_session(app, session, response)


REQUEST_SESSION = LocalProxy(db)
"""The request's database session, opened only if the channel's handler uses it (callbacks store through the
platform's inbox and usually never do)."""

PATH = re.compile(r"/callbacks/([a-z][a-z0-9_]*)/([0-9]{1,18})")
METHODS = frozenset({"GET", "POST"})


def _text(body: str, status: int) -> Response:
    return Response(body, status=status, mimetype="text/plain")


def dispatch(plugin: str, account_id: int, callback_request: Any) -> Response:
    """Hand one callback to the channel plugin that owns the account (inside an application context): 404 for an
    unknown, inactive or other plugin's account, a tenant that is inactive or has not enabled the plugin; 503 when
    the inbox could not confirm the callback stored in time (the provider retries); 500, logged, when the handler
    failed or returned something that is not a response (the log names the plugin and the type returned; nothing
    the handler left uncommitted in the request's session is committed)."""
    plat = platform()
    entry = plat.accounts.find(account_id)  # memory first: see core.services.account_directory
    if entry is None or entry.account.plugin != plugin or not entry.usable:
        return _text("not found", 404)
    channel = plat.registry.plugin(plugin)
    if not isinstance(channel, ChannelPlugin) or not plat.bus.plugin_enabled(entry.account.tenant_id, plugin):
        return _text("not found", 404)
    try:
        response = channel.handle_callback(account=entry.account, request=callback_request, session=REQUEST_SESSION)
        if not isinstance(response, BaseResponse):
            log.error("channel plugin '%s' handle_callback returned %s for account %s, not a Response: answered 500 "
                      "(return a flask.Response, e.g. Response('success'))", plugin, type(response).__name__,
                      account_id)
            return _text("internal error", 500)
        if "db" in g and g.db.in_transaction():
            g.db.commit()
    except InboxTimeout:
        log.warning("callback for account %s not confirmed stored in time", account_id)
        return _text("try again", 503)
    except Exception:
        log.exception("callback for account %s failed", account_id)
        return _text("internal error", 500)
    return response


class CallbackGateway:
    """WSGI middleware in front of the Flask app that serves ``/callbacks/<plugin>/<account_id>`` itself.

    Provider callbacks are the platform's hottest requests and need nothing of the browser-facing request cycle
    (cookie session, user, CSRF, locale, HTML error pages): the gateway builds the app's request object, pushes an
    application context (so ``platform()``, ``g`` and the request's database session work as usual, and the
    session is closed at its end) and calls :func:`dispatch`. Measured in-process, this halves the cost of the
    request cycle around a callback (see the README's benchmark notes). Every other path, and a callback path
    that does not match (``/callbacks/wecom/abc``), goes to Flask unchanged."""

    def __init__(self, app: Any, wsgi_app: Any) -> None:
        self.app = app
        self.wsgi_app = wsgi_app

    def __call__(self, environ: dict, start_response: Any) -> Any:
        path = environ.get("PATH_INFO", "")
        match = PATH.fullmatch(path) if path.startswith(PREFIX) else None
        if match is None:
            return self.wsgi_app(environ, start_response)
        if environ.get("REQUEST_METHOD") not in METHODS:
            response = _text("method not allowed", 405)
        else:
            with self.app.app_context():
                response = dispatch(match.group(1), int(match.group(2)), self.app.request_class(environ))
        return response(environ, start_response)


@bp.route("/<plugin>/<int:account_id>", methods=["GET", "POST"])
def callback(plugin: str, account_id: int):
    """The gateway's URL (for ``url_for``); requests reach :class:`CallbackGateway` before this view, which only
    serves an app whose WSGI callable was replaced."""
    return dispatch(plugin, account_id, request)
