"""Security headers on every response, and templates the Content Security Policy does not break: no inline script
(JSON data blocks aside) and no inline event handler in any template of the host or a plugin."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

import scrm.hostapp
from scrm.hostapp.security import CONTENT_SECURITY_POLICY

HOST_TEMPLATES = Path(scrm.hostapp.__file__).parent / "templates"
INLINE_SCRIPT = re.compile(r"<script(?![^>]*\bsrc=)(?![^>]*type=\"application/json\")[^>]*>", re.IGNORECASE)
INLINE_HANDLER = re.compile(r"<[^>]*\son[a-z]+\s*=", re.IGNORECASE)
JS_URL = re.compile(r"""(?:href|src|action)\s*=\s*["']\s*javascript:""", re.IGNORECASE)


def template_files(app) -> list[Path]:
    roots = [HOST_TEMPLATES]
    for blueprint in app.blueprints.values():
        if blueprint.template_folder:
            roots.append(Path(blueprint.root_path) / blueprint.template_folder)
    files = {path for root in roots if root.is_dir() for path in root.rglob("*.html")}
    return sorted(files)


def test_the_policy_runs_only_our_own_scripts():
    directives = dict(d.strip().split(" ", 1) for d in CONTENT_SECURITY_POLICY.split(";"))
    assert directives["script-src"] == "'self'"
    assert directives["default-src"] == "'self'"
    assert directives["frame-ancestors"] == "'none'"
    assert directives["object-src"] == "'none'"
    assert "unsafe-eval" not in CONTENT_SECURITY_POLICY


@pytest.mark.parametrize("path", ["/login", "/lang/en", "/static/css/app.css", "/no-such-page"])
def test_every_response_carries_the_security_headers(client, path):
    response = client.get(path)
    assert response.headers["Content-Security-Policy"] == CONTENT_SECURITY_POLICY
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["X-Frame-Options"] == "DENY"
    assert response.headers["Referrer-Policy"] == "same-origin"
    assert "Strict-Transport-Security" not in response.headers  # plain HTTP


def test_api_answers_carry_them_too(client):
    response = client.get("/api/v1/customers")
    assert response.status_code == 401
    assert response.headers["X-Content-Type-Options"] == "nosniff"


def test_https_requests_get_hsts(client):
    response = client.get("/login", base_url="https://localhost")
    assert response.headers["Strict-Transport-Security"] == "max-age=31536000"


def test_templates_hold_no_inline_script_or_event_handler(app):
    files = template_files(app)
    assert any("members" in str(f) for f in files) and any("wecom" in str(f) for f in files)
    found = []
    for path in files:
        text = path.read_text(encoding="utf-8")
        for pattern in (INLINE_SCRIPT, INLINE_HANDLER, JS_URL):
            for match in pattern.finditer(text):
                line = text.count("\n", 0, match.start()) + 1
                found.append(f"{path}:{line}: {match.group(0)[:80]}")
    assert found == []


def test_the_static_behaviours_are_served(client):
    for name in ("behaviours.js", "charts.js", "filters.js"):
        response = client.get(f"/static/js/{name}")
        assert response.status_code == 200, name
        assert "javascript" in response.headers["Content-Type"]
