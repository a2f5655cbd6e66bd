"""Open redirects: every redirect whose target comes from the request (``next=`` on ``/lang``, ``/login`` and the
bulk actions) goes through one helper (``scrm.sdk.web.safe_redirect_target``) and never leaves the site, whatever
characters a browser would strip or reinterpret; CR/LF never gives a 500."""

from __future__ import annotations

from urllib.parse import urlsplit

import pytest

from scrm.sdk.testing import ADMIN_PASSWORD
from scrm.sdk.web import safe_redirect_target

HOSTILE = [
    "https://evil.example/",
    "//evil.example",
    "///evil.example",
    "/\\evil.example",
    "\\/evil.example",
    "\\\\evil.example",
    "/\t/evil.example",
    "\t//evil.example",
    "/\n/evil.example",
    "/\r/evil.example",
    "/\r\n/evil.example",
    "/x\r\nSet-Cookie: a=b",
    "/x\nLocation: https://evil.example",
    " //evil.example",
    "  /\\evil.example",
    " /t/acme/",
    "https:evil.example",
    "http:/evil.example",
    "javascript:alert(1)",
    "/%2F%2Fevil.example",
    "/%2f/evil.example",
    "/%5Cevil.example",
    "/%09/evil.example",
    "/%0d%0a/evil.example",
    "%2F%2Fevil.example",
    "/\x00/evil.example",
    "/\x0b/evil.example",
    "/\u3000/evil.example",
    "/\u0085/evil.example",
]
SAFE = ["/t/acme/", "/t/acme/members/customers?q=a%20b&page=2", "/admin/plugins"]


def assert_stays(response, expected_path: str, target: str = "") -> None:
    assert response.status_code in (301, 302, 303, 400), (target, response.status_code)
    if response.status_code == 400:
        return
    location = response.headers["Location"]
    parts = urlsplit(location)
    assert parts.netloc in ("", "localhost"), (target, location)
    assert parts.scheme in ("", "http"), (target, location)
    assert location == expected_path or (parts.path + (f"?{parts.query}" if parts.query else "")) == expected_path, \
        (target, location)


@pytest.mark.parametrize("target", HOSTILE)
def test_the_helper_refuses_hostile_targets(target):
    assert safe_redirect_target(target, "/default") == "/default"


@pytest.mark.parametrize("target", SAFE)
def test_the_helper_keeps_paths_on_this_site(target):
    assert safe_redirect_target(target, "/default") == target


def test_language_switch_never_leaves_the_site(client):
    for target in HOSTILE:
        response = client.get("/lang/en", query_string={"next": target})
        assert_stays(response, "/", target)


def test_language_switch_follows_a_safe_next_or_a_same_site_referrer(client):
    assert client.get("/lang/en", query_string={"next": "/login?x=1"}).headers["Location"] == "/login?x=1"
    response = client.get("/lang/en", headers={"Referer": "http://localhost/login?y=2"})
    assert response.headers["Location"] == "/login?y=2"
    response = client.get("/lang/en", headers={"Referer": "https://evil.example/login"})
    assert response.headers["Location"] == "/"


def test_sign_in_never_redirects_off_the_site(client, make_user, tenant):
    user = make_user("op@acme.test", tenant)
    for target in HOSTILE:
        response = client.post("/login", query_string={"next": target},
                               data={"email": user.email, "password": ADMIN_PASSWORD})
        assert_stays(response, "/", target)


def test_sign_in_follows_a_safe_next(client, make_user, tenant):
    user = make_user("op@acme.test", tenant)
    response = client.post("/login", query_string={"next": "/t/acme/?a=1"},
                           data={"email": user.email, "password": ADMIN_PASSWORD})
    assert response.headers["Location"] == "/t/acme/?a=1"


@pytest.fixture
def staff_with_customer(client, login, make_user, tenant, enable_plugins, api_token):
    enable_plugins(tenant, "members")
    created = client.post("/api/v1/customers", json={"name": "Ann"},
                          headers={"Authorization": f"Bearer {api_token(tenant)}"})
    login(make_user("boss@acme.test", tenant, role="tenant_admin"))
    return created.get_json()["customer"]["id"]


def test_bulk_blacklist_never_redirects_off_the_site(client, staff_with_customer):
    for target in HOSTILE:
        response = client.post("/t/acme/members/blacklist/add",
                               data={"customer_id": staff_with_customer, "reason": "spam", "next": target})
        assert_stays(response, "/t/acme/members/blacklist/", target)


@pytest.mark.parametrize("target", ["/\t/evil.example", "/x\r\nSet-Cookie: a=b", "/%5Cevil.example"])
def test_bulk_level_assign_never_redirects_off_the_site(client, staff_with_customer, target):
    response = client.post("/t/acme/members/levels/assign",
                           data={"customer_id": staff_with_customer, "level_id": "", "next": target})
    assert response.status_code < 500
    if response.status_code in (301, 302, 303):
        assert_stays(response, urlsplit(response.headers["Location"]).path)
        assert not urlsplit(response.headers["Location"]).netloc


def test_bulk_blacklist_follows_a_safe_next(client, staff_with_customer):
    response = client.post("/t/acme/members/blacklist/add",
                           data={"customer_id": staff_with_customer, "reason": "spam",
                                 "next": f"/t/acme/members/customers/{staff_with_customer}"})
    assert response.headers["Location"] == f"/t/acme/members/customers/{staff_with_customer}"
