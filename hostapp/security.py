"""Transport and browser hardening of the host: reverse-proxy headers, cookie flags and security headers.

* ``SCRM_PROXY_FIX=<n>``: the host runs behind ``n`` reverse proxies; the client address, scheme and host come from
  their ``X-Forwarded-*`` headers (werkzeug's ``ProxyFix``). Unset, those headers are ignored: a client could forge
  them, and the sign-in limits count failures per client address.
* ``SCRM_PUBLIC_URL=https://...``: the session cookie is sent with ``Secure``.
* Every page carries a Content Security Policy that runs only the host's own script files (no inline script, no
  inline event handler, no ``eval``), refuses framing, and ``nosniff`` / ``Referrer-Policy``; HTTPS requests also
  carry HSTS.
"""

from __future__ import annotations

from flask import Flask, Response, request
from werkzeug.middleware.proxy_fix import ProxyFix

from scrm.core.config import Settings

#: style attributes stay allowed (they run no code); images may come from provider CDNs (avatars, QR codes)
CONTENT_SECURITY_POLICY = "; ".join([
    "default-src 'self'",
    "script-src 'self'",
    "style-src 'self' 'unsafe-inline'",
    "img-src * data: blob:",
    "font-src 'self' data:",
    "connect-src 'self'",
    "object-src 'none'",
    "base-uri 'self'",
    "form-action 'self'",
    "frame-ancestors 'none'",
])
HSTS = "max-age=31536000"


def secure_cookies(settings: Settings) -> bool:
    """Whether the session cookie gets the ``Secure`` flag: the configured public URL is HTTPS."""
    return bool(settings.public_url and settings.public_url.strip().lower().startswith("https://"))


def security_headers(response: Response) -> Response:
    """``after_request``: the security headers of every response (an existing header is left alone)."""
    headers = response.headers
    headers.setdefault("Content-Security-Policy", CONTENT_SECURITY_POLICY)
    headers.setdefault("X-Content-Type-Options", "nosniff")
    headers.setdefault("X-Frame-Options", "DENY")
    headers.setdefault("Referrer-Policy", "same-origin")
    if request.is_secure:
        headers.setdefault("Strict-Transport-Security", HSTS)
    return response


def init_security(app: Flask, settings: Settings) -> None:
    """Cookie flags and security headers (call from the app factory)."""
    app.config["SESSION_COOKIE_SECURE"] = secure_cookies(settings)
    app.after_request(security_headers)


def behind_proxies(wsgi_app, settings: Settings):
    """``wsgi_app`` wrapped in ``ProxyFix`` for ``settings.proxy_count`` proxies (unchanged when 0)."""
    count = settings.proxy_count
    if count <= 0:
        return wsgi_app
    return ProxyFix(wsgi_app, x_for=count, x_proto=count, x_host=count, x_port=count, x_prefix=count)
