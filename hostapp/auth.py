"""Login (argon2 hashes, rate limited), logout, the current user and role checks.

Sign-in failures are counted per (client IP, account) and per client IP (see ``Settings.login_max_failures`` and
``login_max_failures_per_ip``): one attacker locks only the accounts it tries from its own address, never a whole
office behind one NAT, and a success clears only its own (IP, account) counter. An unknown or deactivated account
costs the same argon2 verification as a real one (no timing oracle). A signed-in browser holds a server-side session
id (``sid``, in the platform cache): signing out deletes it, so a copied cookie stops working.
"""

from __future__ import annotations

import secrets
from functools import wraps
from types import SimpleNamespace

from flask import Blueprint, abort, flash, g, redirect, render_template, request, session, url_for
from flask_babel import gettext as _

from scrm.core.models import Role, User
from scrm.core.services import audit
from scrm.core.services.users import find_user, hash_password, touch_login, verify_password

from .platform_ext import db, platform
from .redirects import next_target

bp = Blueprint("auth", __name__)


def _session_key(sid: str) -> str:
    return f"session:{sid}"


def start_session(user: User) -> None:
    """Sign ``user`` in on this browser: a fresh cookie session (the language chosen before stays) bound to a new
    server-side session id that lives as long as the session may (``PERMANENT_SESSION_LIFETIME``)."""
    from flask import current_app

    lang = session.get("lang")
    session.clear()
    if lang:
        session["lang"] = lang
    sid = secrets.token_urlsafe(24)
    lifetime = int(current_app.permanent_session_lifetime.total_seconds())
    platform().cache.set(_session_key(sid), str(user.id), ttl=lifetime)
    session["uid"] = user.id
    session["sid"] = sid
    session["pwd"] = user.password_hash[-16:]
    session.permanent = True


def end_session() -> None:
    """Sign out: the server-side session id is deleted (a copy of the cookie is worthless from now on)."""
    sid = session.get("sid")
    if isinstance(sid, str):
        platform().cache.delete(_session_key(sid))
    session.clear()


def load_user() -> None:
    g.user = None
    uid = session.get("uid")
    if uid is not None:
        sid = session.get("sid")
        live = isinstance(sid, str) and platform().cache.get(_session_key(sid)) == str(uid)
        user = db().get(User, uid) if live else None
        if user is not None and user.active and session.get("pwd") == user.password_hash[-16:]:
            g.user = user
        else:
            session.clear()


def login_required(view):
    """View decorator: redirect to the sign-in page (then back) unless a user is signed in."""

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
    """Whether the signed-in user has one of ``roles`` in the request's tenant (platform admins always do)."""
    user = g.get("user")
    if user is None:
        return False
    if user.is_platform_admin:
        return True
    membership = g.get("membership")
    return membership is not None and membership.role in roles


def _limit_keys(email: str) -> list[tuple[str, int]]:
    """The failure counters of a sign-in and their limits: (IP, account) first, then the IP's ceiling."""
    settings = platform().settings
    ip = request.remote_addr or "?"
    return [(f"login:{ip}:{email}", settings.login_max_failures), (f"login:{ip}", settings.login_max_failures_per_ip)]


_dummy: dict[str, SimpleNamespace] = {}


def _dummy_user() -> SimpleNamespace:
    """A stand-in with a real argon2 hash (same parameters as users'), verified when the account is unknown."""
    if "user" not in _dummy:
        _dummy["user"] = SimpleNamespace(password_hash=hash_password(secrets.token_urlsafe(24)))
    return _dummy["user"]


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
            usable = user is not None and user.active
            correct = verify_password(user if usable else _dummy_user(), password)  # equal work either way
            if usable and correct:
                cache.delete(_limit_keys(email)[0][0])  # this (IP, account) only: the IP's ceiling keeps counting
                start_session(user)
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
    end_session()
    flash(_("You have signed out."), "info")
    return redirect(url_for("auth.login"))
