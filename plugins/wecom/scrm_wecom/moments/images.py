"""Serving a stored Moments background: an ETag from the bytes' SHA-256, ``304 Not Modified`` for a matching
``If-None-Match``, ``nosniff`` and a cache lifetime (URLs carry the version, so a changed image gets a new URL)."""

from __future__ import annotations

from flask import Response, request

from .appearance import version_of


def image_response(data: bytes, mime: str, *, private: bool = False, max_age: int = 86400) -> Response:
    response = Response(data, mimetype=mime or "application/octet-stream")
    response.set_etag(version_of(data))
    response.headers["Cache-Control"] = f"{'private' if private else 'public'}, max-age={max_age}"
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Content-Disposition"] = "inline"
    return response.make_conditional(request)
