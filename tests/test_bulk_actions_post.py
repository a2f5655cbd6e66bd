"""Bulk actions post: no page carries the CSRF token in a URL (a link, a form action or a GET form), the bulk
endpoints refuse GET, and with CSRF on (as in production) the list's bulk form opens each action by POST."""

from __future__ import annotations

import re

import pytest

from scrm.core.models import Customer

BULK_ENDPOINTS = ("/t/acme/members/customers/bulk/tag", "/t/acme/members/customers/bulk/transfer",
                  "/t/acme/members/levels/assign", "/t/acme/members/blacklist/add")
TOKEN_IN_URL = re.compile(r"""(?:href|action|src|formaction)\s*=\s*["'][^"']*csrf_token""", re.I)
GET_FORM = re.compile(r"<form\b[^>]*>.*?</form>", re.S | re.I)


@pytest.fixture
def signed_in(client, tenant, other_tenant, enable_plugins, make_user, login, db):
    enable_plugins(tenant, "members", "wecom")
    user = make_user("boss@acme.test", tenant, role="tenant_admin")
    login(user)
    anna = Customer(tenant_id=tenant.id, name="Anna")
    db.add(anna)
    db.commit()
    return anna


def tenant_get_pages(app, customer_id: int) -> list[str]:
    """Every GET page of the tenant area whose only path arguments are the tenant (and a customer)."""
    paths = []
    for rule in app.url_map.iter_rules():
        if "GET" not in rule.methods or not rule.rule.startswith("/t/<tenant>/"):
            continue
        path = rule.rule.replace("<tenant>", "acme").replace("<int:customer_id>", str(customer_id))
        if set(rule.arguments) - {"tenant", "customer_id"} or path.endswith((".csv", ".xlsx", ">")):
            continue
        paths.append(path)
    return sorted(set(paths))


def get_forms_with_token(page: str) -> list[str]:
    return [form for form in GET_FORM.findall(page)
            if 'name="csrf_token"' in form and not re.search(r'method\s*=\s*["\']post', form, re.I)]


def test_no_page_puts_the_csrf_token_in_a_url(app, client, signed_in):
    # server errors are the page walk's business (every GET page without a 5xx); here only what the pages show counts
    app.config["PROPAGATE_EXCEPTIONS"] = False
    paths = tenant_get_pages(app, signed_in.id)
    assert "/t/acme/members/customers/" in paths and f"/t/acme/members/customers/{signed_in.id}" in paths
    checked = 0
    for path in paths:
        response = client.get(path)
        if response.status_code != 200 or not response.mimetype == "text/html":
            continue
        page = response.get_data(as_text=True)
        assert not TOKEN_IN_URL.search(page), path
        assert not get_forms_with_token(page), path
        checked += 1
    app.config["PROPAGATE_EXCEPTIONS"] = None
    assert checked > 20


@pytest.mark.parametrize("path", BULK_ENDPOINTS)
def test_bulk_endpoints_refuse_get(client, signed_in, path):
    response = client.get(path, query_string={"customer_id": signed_in.id})
    assert response.status_code == 405


def test_the_list_opens_each_bulk_action_by_post_with_csrf_on(app, client, signed_in):
    app.config["WTF_CSRF_ENABLED"] = True
    try:
        page = client.get("/t/acme/members/customers/").get_data(as_text=True)
        bulk = page.split('<form id="bulk"', 1)[1].split(">", 1)[0]
        assert 'method="post"' in bulk
        token = re.search(r'name="csrf-token" content="([^"]+)"', page).group(1)
        for path in BULK_ENDPOINTS:
            refused = client.post(path, data={"customer_id": signed_in.id, "step": "choose"})
            assert refused.status_code == 400, path
            opened = client.post(path, data={"customer_id": signed_in.id, "step": "choose", "csrf_token": token})
            assert opened.status_code == 200, path
            assert re.search(r"\b1 customers\b", opened.get_data(as_text=True)), path
    finally:
        app.config["WTF_CSRF_ENABLED"] = False
