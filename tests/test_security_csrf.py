"""CSRF as production runs it (``WTF_CSRF_ENABLED=True``): token-authenticated API writes are never refused for a
missing CSRF token, wherever a plugin mounts its API blueprints; browser forms still need the token; and an API
request never rides a browser's session cookie."""

from __future__ import annotations

import pytest
from flask_wtf.csrf import CSRFProtect
from sqlmodel import select
from werkzeug.routing.converters import NumberConverter

from scrm.core.models import AuditLog
from scrm.sdk.testing import ADMIN_PASSWORD

WRITE_METHODS = {"POST", "PUT", "PATCH", "DELETE"}


@pytest.fixture
def csrf_on(app):
    app.config["WTF_CSRF_ENABLED"] = True
    try:
        yield
    finally:
        app.config["WTF_CSRF_ENABLED"] = False


@pytest.fixture
def csrf_refusals(monkeypatch):
    """Every CSRF refusal of the request cycle, recorded where Flask-WTF raises it (whatever page it renders)."""
    seen: list[str] = []
    original = CSRFProtect._error_response

    def record(self, reason):
        seen.append(reason)
        return original(self, reason)

    monkeypatch.setattr(CSRFProtect, "_error_response", record)
    return seen


def _enable_everything(platform, db, enable_plugins, tenant) -> list[str]:
    """Enable every active plugin for ``tenant``, requirements first."""
    pending = {r.name: r.plugin for r in platform.registry.active() if r.name != "host"}
    enabled: list[str] = []
    while pending:
        ready = sorted(n for n, p in pending.items() if all(req in enabled for req in p.requires))
        assert ready, f"unresolvable requirements: {pending}"
        for name in ready:
            enable_plugins(tenant, name)
            enabled.append(name)
            del pending[name]
    return enabled


def _api_writes(app) -> list[tuple[str, str, str]]:
    """(method, url, endpoint) of every write endpoint under /api/v1, placeholders filled in."""
    writes = []
    for rule in app.url_map.iter_rules():
        if not rule.rule.startswith("/api/v1/"):
            continue
        values = {name: 1 if isinstance(conv, NumberConverter) else "x" for name, conv in rule._converters.items()}
        url = rule.build(values, append_unknown=False)[1]
        for method in sorted((rule.methods or set()) & WRITE_METHODS):
            writes.append((method, url, rule.endpoint))
    return writes


def test_every_plugin_api_write_is_served_with_csrf_on(app, client, db, platform, tenant, enable_plugins,
                                                       api_token, csrf_on, csrf_refusals):
    enabled = _enable_everything(platform, db, enable_plugins, tenant)
    writes = _api_writes(app)
    plugin_writes = [w for w in writes if any(w[1].startswith(f"/api/v1/{name}/") for name in enabled)]
    assert "members" in enabled and plugin_writes, "the walk must reach the plugins' API writes"
    assert any(w[1].startswith("/api/v1/members/") for w in plugin_writes)
    headers = {"Authorization": f"Bearer {api_token(tenant)}"}
    refused = []
    for method, url, endpoint in writes:
        before = len(csrf_refusals)
        response = client.open(url, method=method, json={}, headers=headers)
        text = response.get_data(as_text=True)
        if len(csrf_refusals) > before or (response.status_code == 400 and "csrf" in text.lower()):
            refused.append(f"{method} {url} ({endpoint}): {response.status_code}")
        assert response.status_code < 500, f"{method} {url}: {response.status_code} {text[:300]}"
    assert refused == []
    assert len(writes) >= 5


def test_api_write_without_a_bearer_token_is_401_not_a_csrf_page(client, tenant, csrf_on):
    response = client.post("/api/v1/customers", json={"name": "x"})
    assert response.status_code == 401
    assert response.get_json()["error"]["code"] == "unauthorized"


def test_browser_form_post_without_token_is_refused_with_csrf_on(client, make_user, tenant, csrf_on, csrf_refusals):
    response = client.post("/login", data={"email": "op@acme.test", "password": ADMIN_PASSWORD})
    assert response.status_code == 400
    assert csrf_refusals, "refused by the CSRF check"


def test_signed_in_form_post_without_token_is_refused(client, login, make_user, tenant, enable_plugins, db,
                                                      csrf_on, csrf_refusals):
    enable_plugins(tenant, "members")
    user = make_user("boss@acme.test", tenant, role="tenant_admin")
    login_page = client.get("/login").get_data(as_text=True)
    token = login_page.split('name="csrf_token" value="', 1)[1].split('"', 1)[0]
    assert client.post("/login", data={"email": user.email, "password": ADMIN_PASSWORD,
                                       "csrf_token": token}).status_code == 302
    response = client.post("/logout")
    assert response.status_code == 400
    assert csrf_refusals
    assert client.get("/t/acme/").status_code == 200  # still signed in


def test_api_ignores_the_browser_session_cookie(client, login, admin_user, tenant, enable_plugins, api_token, db):
    """A signed-in browser's cookie adds nothing to an API request: no token, 401; with a token, the actor is the
    token, never the browser's user (plugin endpoints audit through ``scrm.sdk.web.audit_action``)."""
    enable_plugins(tenant, "members")
    login(admin_user)
    assert client.post("/api/v1/customers", json={"name": "Ann"}).status_code == 401
    assert client.get("/api/v1/customers").status_code == 401
    headers = {"Authorization": f"Bearer {api_token(tenant)}"}
    created = client.post("/api/v1/customers", json={"name": "Ann"}, headers=headers)
    assert created.status_code == 201, created.get_data(as_text=True)
    customer_id = created.get_json()["customer"]["id"]
    response = client.patch(f"/api/v1/members/customers/{customer_id}/profile", json={"name": "Anna"},
                            headers=headers)
    assert response.status_code == 200, response.get_data(as_text=True)
    rows = db.exec(select(AuditLog.action, AuditLog.actor, AuditLog.user_id)
                   .where(AuditLog.action != "auth.login")).all()
    assert {action for action, _a, _u in rows} >= {"members.customer.update"}
    assert all(actor.startswith("api:") and uid is None for _action, actor, uid in rows), rows
    assert client.get("/t/acme/").status_code == 200  # the browser's session is untouched
