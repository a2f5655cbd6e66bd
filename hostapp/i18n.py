"""Chinese (zh_CN) and English through Flask-Babel; the language comes from the session, the user, then the browser."""

from __future__ import annotations

import weakref
from collections.abc import Iterator
from contextlib import contextmanager

from flask import Flask, g, has_app_context, redirect, request, session, url_for
from flask_babel import Babel, force_locale, get_locale

from scrm.core.timeutil import format_local

from .redirects import next_target

LANGUAGES = {"zh_CN": "中文", "en": "English"}
DEFAULT_LOCALE = "zh_CN"


@contextmanager
def seeding_language(language: str | None) -> Iterator[None]:
    """Lazy strings turned into text inside the block are in ``language`` (a tenant's language of seeded data;
    zh_CN when None or unknown): how plugins seed a stage ladder or levels in the tenant's language."""
    locale = language if language in LANGUAGES else DEFAULT_LOCALE
    app = _babel_app() if not has_app_context() else None
    if app is None:
        with force_locale(locale):
            yield
        return
    with app.app_context(), force_locale(locale):  # the CLI and jobs enable plugins outside a request
        yield


_apps: list[weakref.ref] = []


def _babel_app() -> Flask | None:
    """The most recent application with Babel set up in this process that is still alive (None when there is none):
    a short-lived second app (a test's, a CLI command's) must not leave seeding without translations once it is
    gone."""
    for ref in reversed(_apps):
        app = ref()
        if app is not None:
            return app
    return None


def select_locale() -> str:
    lang = session.get("lang")
    if lang in LANGUAGES:
        return lang
    user = g.get("user")
    if user is not None and user.locale in LANGUAGES:
        return user.locale
    best = request.accept_languages.best_match(["zh_CN", "zh", "en"])
    if best in ("zh", "zh_CN"):
        return "zh_CN"
    return "en" if best == "en" else DEFAULT_LOCALE


def init_i18n(app: Flask, translation_dirs: list[str]) -> None:
    app.config["BABEL_TRANSLATION_DIRECTORIES"] = ";".join(translation_dirs)
    app.config["BABEL_DEFAULT_LOCALE"] = DEFAULT_LOCALE
    Babel(app, locale_selector=select_locale)
    _apps[:] = [ref for ref in _apps if ref() is not None] + [weakref.ref(app)]

    @app.get("/lang/<code>")
    def set_language(code: str):
        if code in LANGUAGES:
            session["lang"] = code
        return redirect(next_target(url_for("host.index"), referrer=True))

    app.jinja_env.globals["LANGUAGES"] = LANGUAGES
    app.jinja_env.globals["get_locale"] = get_locale
    # the one way a template shows a stored time: ``{{ value|localtime }}`` or ``{{ value|localtime('%Y-%m-%d') }}``,
    # in the tenant's zone (``local_time(value)`` is the same as a function)
    app.jinja_env.filters["localtime"] = format_local
    app.jinja_env.globals["local_time"] = format_local
