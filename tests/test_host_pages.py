"""The host's own pages render for a tenant admin, and every navigation entry leads somewhere."""

from __future__ import annotations

import re

import pytest


@pytest.fixture
def tenant_admin(db, tenant, make_user):
    return make_user("boss@acme.test", tenant, role="tenant_admin")


def test_every_navigation_link_answers_200(client, login, tenant_admin):
    login(tenant_admin)
    html = client.get("/t/acme/").get_data(as_text=True)
    links = re.findall(r'<a href="([^"]+)"[^>]*data-endpoint="([^"]+)"', html)
    endpoints = {endpoint for _url, endpoint in links}
    assert {"tenant.dashboard", "tenant.plugins", "tenant.tokens", "tenant.audit_log"} <= endpoints
    for url, _endpoint in links:
        assert client.get(url).status_code == 200, url


def test_operator_does_not_see_admin_navigation(client, login, make_user, tenant):
    operator = make_user("op@acme.test", tenant, role="operator")
    login(operator)
    html = client.get("/t/acme/").get_data(as_text=True)
    assert 'data-endpoint="tenant.dashboard"' in html
    assert 'data-endpoint="tenant.plugins"' not in html


def test_dashboard_shows_customer_count_card(client, login, tenant_admin, db, tenant):
    from scrm.core.models import Customer

    db.add_all([Customer(tenant_id=tenant.id, name=f"c{i}") for i in range(3)])
    db.commit()
    login(tenant_admin)
    html = client.get("/t/acme/").get_data(as_text=True)
    assert re.search(r'<div class="value">3</div>', html)


def test_api_token_is_shown_once_and_stored_hashed(client, login, tenant_admin, db):
    from sqlmodel import select

    from scrm.core.models import ApiToken

    login(tenant_admin)
    html = client.post("/t/acme/tokens", data={"name": "ERP"}).get_data(as_text=True)
    token = re.search(r'data-testid="new-token">([^<]+)<', html).group(1)
    row = db.exec(select(ApiToken)).one()
    assert token not in (row.token_hash, row.prefix) and token.startswith(row.prefix)
    assert client.get("/api/v1/tenant", headers={"Authorization": f"Bearer {token}"}).json["slug"] == "acme"
    assert token not in client.get("/t/acme/tokens").get_data(as_text=True)


def test_token_without_name_is_refused(client, login, tenant_admin, db):
    from sqlmodel import select

    from scrm.core.models import ApiToken

    login(tenant_admin)
    assert client.post("/t/acme/tokens", data={"name": "  "}).status_code == 400
    assert db.exec(select(ApiToken)).first() is None


def test_plugin_enable_is_audited(client, login, tenant_admin):
    login(tenant_admin)
    assert client.post("/t/acme/plugins/example/enable").status_code == 302
    html = client.get("/t/acme/audit").get_data(as_text=True)
    assert "plugin.enable" in html and "boss@acme.test" in html


def test_platform_admin_creates_a_tenant_and_bad_slug_is_shown(client, login, admin_user):
    login(admin_user)
    bad = client.post("/admin/tenants", data={"slug": "Not OK", "name": "X"})
    assert bad.status_code == 422 and "slug must be" in bad.get_data(as_text=True)
    ok = client.post("/admin/tenants", data={"slug": "newbrand", "name": "New Brand"})
    assert ok.status_code == 302
    assert "New Brand" in client.get("/").get_data(as_text=True)


def test_unknown_tenant_is_404(client, login, admin_user):
    login(admin_user)
    assert client.get("/t/nope/").status_code == 404


def test_the_old_customer_list_leads_to_the_members_list(client, login, tenant_admin, tenant, enable_plugins):
    """One customer list: /customers redirects to the members plugin's list (query kept) when the tenant enabled it,
    and explains where customers are managed when it did not."""
    login(tenant_admin)
    notice = client.get("/t/acme/customers")
    assert notice.status_code == 200 and 'data-testid="customers-notice"' in notice.get_data(as_text=True)
    assert 'data-testid="customer-list"' not in notice.get_data(as_text=True)
    enable_plugins(tenant, "members")
    moved = client.get("/t/acme/customers?q=li")
    assert moved.status_code == 302 and moved.headers["Location"].endswith("/t/acme/members/customers/?q=li")
    html = client.get("/t/acme/").get_data(as_text=True)
    assert 'data-endpoint="members.customers.index"' in html and 'data-endpoint="tenant.customers"' not in html
