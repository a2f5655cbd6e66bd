"""register_public_routes: a plugin's customer-facing pages at /p/<tenant>/<plugin>/, outside the admin sign-in.
The tenant comes from the URL (unknown, deactivated or not enabled: 404 in the phone layout), nobody is signed in
even when an admin's session is in the browser, rows of one tenant never show under another's URL, POSTs need the
CSRF token, and the phone layout fits a 375 px screen."""

from __future__ import annotations

import re

import pytest
from scrm_example.models import ExampleNote
from sqlmodel import select

from scrm.core.models import Tenant

CSRF_FIELD = re.compile(r'name="csrf_token" value="([^"]+)"')


def public_notes(db, tenant) -> list[str]:
    db.commit()
    return list(db.exec(select(ExampleNote.body).where(ExampleNote.tenant_id == tenant.id,
                                                       ExampleNote.source == "public")).all())


@pytest.fixture
def csrf_on(app):
    app.config["WTF_CSRF_ENABLED"] = True
    try:
        yield
    finally:
        app.config["WTF_CSRF_ENABLED"] = False


def test_public_page_needs_no_sign_in_and_is_404_until_the_tenant_enables_the_plugin(client, tenant, enable_plugins):
    missing = client.get("/p/acme/example/")
    assert missing.status_code == 404
    html = missing.get_data(as_text=True)
    assert 'data-testid="public-error-404"' in html and 'data-testid="phone-page"' in html
    assert 'data-testid="sidebar"' not in html and "/login" not in html  # no way into the admin
    enable_plugins(tenant, "example")
    page = client.get("/p/acme/example/")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert 'data-testid="greeting">Hello</h1>' in html and 'data-testid="phone-brand">Acme Cosmetics' in html
    assert 'name="viewport"' in html and "css/phone.css" in html


def test_unknown_and_deactivated_tenants_answer_the_friendly_404(client, db, tenant, enable_plugins):
    enable_plugins(tenant, "example")
    unknown = client.get("/p/nobody/example/")
    assert unknown.status_code == 404 and 'data-testid="public-error-404"' in unknown.get_data(as_text=True)
    row = db.get(Tenant, tenant.id)
    row.active = False
    db.add(row)
    db.commit()
    assert client.get("/p/acme/example/").status_code == 404


def test_disabling_the_plugin_closes_its_public_pages(client, db, platform, tenant, enable_plugins):
    from scrm.core.plugins.enablement import disable_plugin

    enable_plugins(tenant, "example")
    assert client.get("/p/acme/example/").status_code == 200
    disable_plugin(db, platform.registry, db.merge(tenant), "example")
    db.commit()
    assert client.get("/p/acme/example/").status_code == 404


def test_a_signed_in_admin_is_not_a_user_of_public_pages(client, login, make_user, tenant, enable_plugins):
    """The example view asserts current_user() is None: an admin session in the same browser changes nothing."""
    enable_plugins(tenant, "example")
    login(make_user("boss@acme.test", tenant, role="tenant_admin"))
    assert client.get("/t/acme/example/").status_code == 200
    response = client.get("/p/acme/example/")
    assert response.status_code == 200 and 'data-testid="sidebar"' not in response.get_data(as_text=True)


def test_a_note_of_one_tenant_never_shows_under_another_tenants_url(client, db, tenant, other_tenant,
                                                                    enable_plugins):
    enable_plugins(tenant, "example")
    enable_plugins(other_tenant, "example")
    assert client.post("/p/acme/example/", data={"body": "门店服务很贴心"}).status_code == 302
    note = db.exec(select(ExampleNote).where(ExampleNote.source == "public")).one()
    assert note.tenant_id == tenant.id
    assert client.get(f"/p/acme/example/notes/{note.id}").status_code == 200
    assert client.get(f"/p/{other_tenant.slug}/example/notes/{note.id}").status_code == 404
    assert "门店服务很贴心" not in client.get(f"/p/{other_tenant.slug}/example/").get_data(as_text=True)
    assert "门店服务很贴心" in client.get("/p/acme/example/").get_data(as_text=True)


def test_bad_input_is_refused_and_writes_nothing(client, db, tenant, enable_plugins):
    enable_plugins(tenant, "example")
    response = client.post("/p/acme/example/", data={"body": "  "})
    assert response.status_code == 422 and 'data-testid="note-error"' in response.get_data(as_text=True)
    assert public_notes(db, tenant) == []


def test_posts_need_the_csrf_token(client, db, tenant, enable_plugins, csrf_on):
    enable_plugins(tenant, "example")
    refused = client.post("/p/acme/example/", data={"body": "没有令牌"})
    assert refused.status_code == 400
    html = refused.get_data(as_text=True)
    assert 'data-testid="public-error-400"' in html and 'data-testid="sidebar"' not in html
    assert public_notes(db, tenant) == []
    token = CSRF_FIELD.search(client.get("/p/acme/example/").get_data(as_text=True)).group(1)
    assert client.post("/p/acme/example/", data={"body": "有令牌", "csrf_token": token}).status_code == 302
    assert public_notes(db, tenant) == ["有令牌"]


def test_public_url_builds_the_absolute_address(app, tenant):
    from scrm.sdk.web import public_url

    with app.test_request_context("/", base_url="https://crm.example.com"):
        assert public_url(tenant, "example", "notes/3") == "https://crm.example.com/p/acme/example/notes/3"
    assert public_url("acme", "example", "", base="https://brand.example/") == "https://brand.example/p/acme/example/"


@pytest.mark.browser
def test_the_phone_layout_fits_375_px_and_its_form_posts_with_csrf(page, live_server, db, tenant, enable_plugins):
    enable_plugins(tenant, "example")
    page.set_viewport_size({"width": 375, "height": 740})
    page.goto(f"{live_server}/p/acme/example/")
    page.get_by_test_id("public-note").fill("周末活动很棒")
    page.get_by_role("button", name="Leave a note").click()
    page.wait_for_selector("[data-testid=public-notes] a:has-text('周末活动很棒')")
    assert page.evaluate("document.documentElement.scrollWidth") <= 375
    assert public_notes(db, tenant) == ["周末活动很棒"]
    page.goto(f"{live_server}/p/acme/example/notes/99999")
    assert page.get_by_test_id("public-error-404").is_visible()
    assert page.evaluate("document.documentElement.scrollWidth") <= 375
