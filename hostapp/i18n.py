"""Chinese (zh_CN) and English through Flask-Babel; the language comes from the session, the user, then the browser."""

from __future__ import annotations

from flask import Flask, g, redirect, request, session, url_for
from flask_babel import Babel, get_locale

from .redirects import next_target

LANGUAGES = {"zh_CN": "中文", "en": "English"}
DEFAULT_LOCALE = "zh_CN"


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

    @app.get("/lang/<code>")
    def set_language(code: str):
        if code in LANGUAGES:
            session["lang"] = code
        return redirect(next_target(url_for("host.index"), referrer=True))

    app.jinja_env.globals["LANGUAGES"] = LANGUAGES
    app.jinja_env.globals["get_locale"] = get_locale
