"""Safe redirect targets: the one check for every redirect whose target comes from the request (``next=``, a form's
hidden ``next``, the referrer).

A target is accepted only as a path on this site: it starts with one ``/`` followed by anything but ``/`` or ``\\``,
and holds no control character, space or backslash anywhere (browsers drop tab, CR and LF from URLs and read ``\\``
as ``/``, so ``/\\tevil.example`` or ``/\\evil.example`` would leave the site; CR and LF would also break the
``Location`` header). The same holds after one percent-decoding, so an encoded variant cannot pass either.
Anything else (absolute URLs, ``//host``, ``https:host``, leading spaces) gives the caller's default.
"""

from __future__ import annotations

import re
from urllib.parse import unquote, urlsplit

from flask import request

#: control characters (C0, DEL, C1), whitespace of any kind and backslashes
_UNSAFE = re.compile(r"[\x00-\x20\x7f-\x9f\\\s]")
#: what must not appear even percent-encoded: control characters and backslashes (an encoded space is fine)
_UNSAFE_DECODED = re.compile(r"[\x00-\x1f\x7f-\x9f\\]")


def _is_local_path(value: str, unsafe: re.Pattern[str] = _UNSAFE) -> bool:
    if not value.startswith("/") or value[1:2] in ("/", "\\"):
        return False
    if unsafe.search(value):
        return False
    parts = urlsplit(value)
    return not parts.scheme and not parts.netloc


def safe_redirect_target(target: str | None, default: str) -> str:
    """``target`` when it is a path on this site (see the module docstring), else ``default``."""
    if not target or not isinstance(target, str) or len(target) > 2048:
        return default
    if _is_local_path(target) and _is_local_path(unquote(target), _UNSAFE_DECODED):
        return target
    return default


def next_target(default: str, *, referrer: bool = False) -> str:
    """The request's ``next`` value (query string or form) when it is safe; else, with ``referrer=True``, the path
    of a ``Referer`` on this same host; else ``default``."""
    target = request.values.get("next")
    if target:
        return safe_redirect_target(target, default)
    if referrer and request.referrer:
        parts = urlsplit(request.referrer)
        if parts.netloc == request.host and parts.scheme in ("http", "https"):
            path = parts.path + (f"?{parts.query}" if parts.query else "")
            return safe_redirect_target(path, default)
    return default
