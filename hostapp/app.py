"""The application factory."""

from __future__ import annotations

import logging
from collections.abc import Iterable
from datetime import timedelta
from pathlib import Path

from flask import Flask, g, render_template, request
from flask_babel import gettext as _
from flask_wtf.csrf import CSRFProtect

from scrm.core.config import Settings
from scrm.core.messages import N_, Message
from scrm.core.platform import Platform
from scrm.core.plugins.registry import Candidate
from scrm.core.services.identity import mask_mobile
from scrm.sdk import log_redaction

from . import auth, callbacks, i18n, tenancy
from .api import ApiError, has_bearer_token, init_api, is_api_request, mount_plugin_api
from .api.inputs import install_inputs
from .auth import has_role
from .builtin import HostPlugin
from .labels import init_labels
from .navigation import sidebar
from .platform_ext import close_db
from .public import is_public_request, mount_public_blueprint
from .sandboxes import mount_sandboxes
from .security import behind_proxies, init_security
from .views import brand as brand_views
from .views import channel_accounts as channel_accounts_views
from .views import content as content_views
from .views import platform as platform_views
from .views import shortlinks as shortlink_views
from .views import tenant as tenant_views

log = logging.getLogger(__name__)
HERE = Path(__file__).parent
BUILTINS = (Candidate("host", lambda: HostPlugin, "scrm", builtin=True),)


def create_app(settings: Settings | None = None, candidates: Iterable[Candidate] | None = None,
               broker_namespace: str = "scrm", testing: bool = False) -> Flask:
    """Build the host: platform (engine, plugins, job bus), web pages, API, callback gateway.

    ``candidates`` replaces entry-point discovery (tests); ``None`` discovers installed plugins.
    """
    log_redaction.install()  # no credential in any log line, httpx's request URLs included
    settings = settings or Settings.from_env()
    app = Flask("scrm.hostapp", root_path=str(HERE), instance_path=str(settings.instance_path))
    install_inputs(app)  # bounded <int:...> in every URL rule, strict JSON bodies: before any blueprint
    app.config.update(
        SECRET_KEY=settings.secret_key,
        TESTING=testing,
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Lax",
        PERMANENT_SESSION_LIFETIME=timedelta(hours=12),
        WTF_CSRF_TIME_LIMIT=None,
        MAX_CONTENT_LENGTH=64 * 1024 * 1024,
    )
    plat = Platform(settings, candidates=candidates, builtins=BUILTINS, broker_namespace=broker_namespace)
    app.extensions["scrm"] = plat

    csrf = _init_csrf(app)
    init_security(app, settings)
    translation_dirs = [str(HERE / "translations")]
    for record in plat.registry.active():
        if record.plugin.translations_path:
            translation_dirs.append(str(record.plugin.translations_path))
    i18n.init_i18n(app, translation_dirs)
    tenancy.init_tenancy(app)

    app.session_interface = callbacks.SessionInterface()  # no cookie session for provider callbacks
    app.before_request(auth.load_user)
    app.teardown_appcontext(close_db)

    app.register_blueprint(auth.bp)
    app.register_blueprint(platform_views.bp)
    tenancy.mount_tenant_blueprint(app, tenant_views.bp, "")
    tenancy.mount_tenant_blueprint(app, brand_views.bp, "/settings/brand")
    tenancy.mount_tenant_blueprint(app, content_views.bp, "/content/<any(recommendation, course):kind>")
    tenancy.mount_tenant_blueprint(app, channel_accounts_views.bp, "/channels/<plugin>/accounts")
    tenancy.mount_tenant_blueprint(app, shortlink_views.bp, "/marketing/short-links")
    shortlink_views.init_app(app)  # the public redirect /s/<code>
    app.register_blueprint(callbacks.bp)
    csrf.exempt(callbacks.bp)
    init_api(app)
    _mount_plugins(app, plat)
    if settings.sandboxes:
        mount_sandboxes(app, plat)
    _template_helpers(app)
    _error_pages(app)
    app.wsgi_app = callbacks.CallbackGateway(app, app.wsgi_app)
    app.wsgi_app = behind_proxies(app.wsgi_app, settings)  # outermost: callbacks see the client address too
    return app


def _init_csrf(app: Flask) -> CSRFProtect:
    """CSRF by authentication kind: every write that a browser's session cookie authenticates needs the form's
    token; a request to ``/api/`` carries its own credential (``Authorization: Bearer``, never the session, see
    ``callbacks.SessionInterface``), so a forged cross-site request gains nothing and the check does not apply;
    without a bearer token, an API write is 401. No blueprint needs an exemption of its own."""
    app.config["WTF_CSRF_CHECK_DEFAULT"] = False  # the check below replaces Flask-WTF's own before_request
    csrf = CSRFProtect(app)

    @app.before_request
    def csrf_protect():
        if not app.config["WTF_CSRF_ENABLED"]:
            return None
        if is_api_request(request.path):
            if request.method in app.config["WTF_CSRF_METHODS"] and not has_bearer_token():
                raise ApiError(401, "unauthorized", "send an API token as 'Authorization: Bearer <token>'")
            return None
        csrf.protect(apply_exemptions=True)
        return None

    return csrf


def _mount_plugins(app: Flask, plat: Platform) -> None:
    for record in sorted(plat.registry.active(), key=lambda r: r.name):
        name = record.name
        try:
            routes = plat.registry.pm.subset_hook_caller(
                "register_routes", [p for p in plat.registry.pm.get_plugins() if p is not record.plugin])()
            api = plat.registry.pm.subset_hook_caller(
                "register_api", [p for p in plat.registry.pm.get_plugins() if p is not record.plugin])()
            public = plat.registry.pm.subset_hook_caller(
                "register_public_routes", [p for p in plat.registry.pm.get_plugins() if p is not record.plugin])()
            for bp in routes:
                tenancy.mount_tenant_blueprint(app, bp, f"/{name}", plugin=name)
            for bp in public:
                mount_public_blueprint(app, bp, name)
            for bp in api:
                mount_plugin_api(app, name, bp)
        except Exception as exc:  # a plugin whose routes fail to mount is blocked, the host still starts
            log.exception("plugin %s: routes failed", name)
            plat.registry._block(record, Message(N_("routes failed: %(error)s"), {"error": f"{type(exc).__name__}: {exc}"}))


def _template_helpers(app: Flask) -> None:
    @app.context_processor
    def navigation():
        hooks = g.get("hooks")
        tenant = g.get("tenant")
        if hooks is None or tenant is None or g.get("user") is None or request.blueprint == "api":
            return {"nav": None}
        return {"nav": sidebar(hooks, tenant, g.user, request.path)}

    app.jinja_env.filters["mask_mobile"] = mask_mobile
    init_labels(app)
    app.jinja_env.globals["has_role"] = has_role


def _error_pages(app: Flask) -> None:
    def page(status: int, title: str):
        def handler(exc):
            if is_public_request():  # a customer-facing page: the phone layout, no way into the admin
                return render_template("errors/public.html", status=status, title=title(), exc=exc), status
            return render_template("errors/error.html", status=status, title=title(), exc=exc), status

        return handler

    app.register_error_handler(403, page(403, lambda: _("You do not have access to this page.")))
    app.register_error_handler(404, page(404, lambda: _("Page not found.")))
    app.register_error_handler(429, page(429, lambda: _("Too many requests.")))

    @app.errorhandler(500)
    def server_error(exc):
        """The 500 page in the user's language, standalone (the layout may be what failed)."""
        try:
            return render_template("errors/500.html"), 500
        except Exception:  # the page itself failed: a plain answer, still translated when Babel works
            log.exception("the 500 page failed")
            return _("Something went wrong on our side. The error has been logged; try again in a moment."), 500

    from flask_wtf.csrf import CSRFError

    @app.errorhandler(CSRFError)
    def csrf_error(exc):
        if is_public_request():
            return render_template("errors/public.html", status=400,
                                   title=_("The page expired. Go back, reload it and try again."), exc=exc), 400
        return render_template("errors/error.html", status=400,
                               title=_("The form expired. Go back, reload the page and try again."), exc=exc), 400
