"""Login (argon2 hashes, rate limited), logout, the current user and role checks."""

from __future__ import annotations

from functools import wraps

from flask import Blueprint, abort, flash, g, redirect, render_template, request, session, url_for
from flask_babel import gettext as _

from scrm.core.models import Role, User
from scrm.core.services import audit
from scrm.core.services.users import find_user, touch_login, verify_password

from .platform_ext import db, platform
from .redirects import next_target

bp = Blueprint("auth", __name__)


def load_user() -> None:
    g.user = None
    uid = session.get("uid")
    if uid is not None:
        user = db().get(User, uid)
        if user is not None and user.active and session.get("pwd") == user.password_hash[-16:]:
            g.user = user
        else:
            session.clear()


def login_required(view):
    @wraps(view)
    def wrapped(*args, **kwargs):
        if g.get("user") is None:
            return redirect(url_for("auth.login", next=request.full_path if request.query_string else request.path))
        return view(*args, **kwargs)

    return wrapped


def platform_admin_required(view):
    @wraps(view)
    @login_required
    def wrapped(*args, **kwargs):
        if not g.user.is_platform_admin:
            abort(403)
        return view(*args, **kwargs)

    return wrapped


def role_required(*roles: Role):
    """For tenant views: the user's role in ``g.tenant`` must be one of ``roles`` (platform admins always pass)."""

    def decorator(view):
        @wraps(view)
        def wrapped(*args, **kwargs):
            if not has_role(*roles):
                abort(403)
            return view(*args, **kwargs)

        return wrapped

    return decorator


def has_role(*roles: Role) -> bool:
    user = g.get("user")
    if user is None:
        return False
    if user.is_platform_admin:
        return True
    membership = g.get("membership")
    return membership is not None and membership.role in roles


def _limit_keys(email: str) -> list[tuple[str, int]]:
    settings = platform().settings
    ip = request.remote_addr or "?"
    return [(f"login:{ip}:{email}", settings.login_max_failures), (f"login:{ip}", settings.login_max_failures * 4)]


@bp.route("/login", methods=["GET", "POST"])
def login():
    if g.get("user") is not None and request.method == "GET":
        return redirect(url_for("host.index"))
    error = None
    email = ""
    status = 200
    if request.method == "POST":
        email = (request.form.get("email") or "").strip().lower()
        password = request.form.get("password") or ""
        cache, window = platform().cache, platform().settings.login_window_seconds
        blocked = [key for key, limit in _limit_keys(email) if int(cache.get(key) or 0) >= limit]
        if blocked:
            minutes = max(1, (cache.ttl(blocked[0]) + 59) // 60)
            error = _("Too many failed sign-ins. Try again in %(minutes)s minutes.", minutes=minutes)
            status = 429
        elif not email or not password:
            error = _("Enter your email and password.")
            status = 400
        else:
            user = find_user(db(), email)
            if user is not None and user.active and verify_password(user, password):
                for key, _limit in _limit_keys(email):
                    cache.delete(key)
                lang = session.get("lang")
                session.clear()  # a fresh session at sign-in; the language chosen on the login page stays
                if lang:
                    session["lang"] = lang
                session["uid"] = user.id
                session["pwd"] = user.password_hash[-16:]
                session.permanent = True
                touch_login(db(), user)
                audit.record(db(), "auth.login", user_id=user.id, actor=user.email, ip=request.remote_addr)
                db().commit()
                return redirect(next_target(url_for("host.index")))
            for key, _limit in _limit_keys(email):
                cache.incr(key, window)
            error = _("Email or password is incorrect.")
            status = 401
    return render_template("login.html", error=error, email=email), status


@bp.post("/logout")
def logout():
    session.clear()
    flash(_("You have signed out."), "info")
    return redirect(url_for("auth.login"))
