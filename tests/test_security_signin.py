"""Sign-in hardening: failure counters per (IP, account) with a per-IP ceiling that a success does not reset,
equal work for unknown accounts, proxy headers only when configured, server-side sessions ended at sign-out, and
``Secure`` cookies and HSTS over HTTPS."""

from __future__ import annotations

import dataclasses

import pytest

from scrm.core.config import Settings, _proxy_count
from scrm.hostapp import auth
from scrm.hostapp.security import behind_proxies, secure_cookies
from scrm.sdk.testing import ADMIN_PASSWORD

WRONG = "wrong-password"


@pytest.fixture
def operator(make_user, tenant):
    return make_user("op@acme.test", tenant, role="operator")


def sign_in(client, email: str, password: str, ip: str = "10.0.0.1", **headers):
    return client.post("/login", data={"email": email, "password": password},
                       environ_base={"REMOTE_ADDR": ip}, headers=headers)


def test_the_limits_are_five_per_account_and_fifty_per_address():
    settings = Settings.__dataclass_fields__
    assert settings["login_max_failures"].default == 5
    assert settings["login_max_failures_per_ip"].default == 50
    assert settings["login_window_seconds"].default == 15 * 60


def test_five_failures_lock_that_account_from_that_address_only(client, operator, make_user, tenant):
    colleague = make_user("colleague@acme.test", tenant)
    for _ in range(5):
        assert sign_in(client, operator.email, WRONG).status_code == 401
    assert sign_in(client, operator.email, ADMIN_PASSWORD).status_code == 429
    # the same office address: a colleague still signs in; the victim signs in from elsewhere
    assert sign_in(client, colleague.email, ADMIN_PASSWORD).status_code == 302
    client.post("/logout")
    assert sign_in(client, operator.email, ADMIN_PASSWORD, ip="10.0.0.2").status_code == 302


def test_a_success_does_not_reset_the_address_ceiling(client, platform, operator, monkeypatch):
    monkeypatch.setattr(platform.settings, "login_max_failures_per_ip", 6)
    for n in range(5):  # spraying: one failure on each of five accounts
        assert sign_in(client, f"user{n}@acme.test", WRONG).status_code == 401
    assert sign_in(client, operator.email, ADMIN_PASSWORD).status_code == 302  # the attacker's own account
    client.post("/logout")
    assert sign_in(client, "user5@acme.test", WRONG).status_code == 401  # sixth failure from this address
    assert sign_in(client, "user6@acme.test", WRONG).status_code == 429
    assert sign_in(client, operator.email, ADMIN_PASSWORD).status_code == 429
    assert sign_in(client, operator.email, ADMIN_PASSWORD, ip="10.0.0.9").status_code == 302


def test_a_success_clears_its_own_account_counter(client, operator):
    for _ in range(4):
        sign_in(client, operator.email, WRONG)
    assert sign_in(client, operator.email, ADMIN_PASSWORD).status_code == 302
    client.post("/logout")
    for _ in range(4):
        assert sign_in(client, operator.email, WRONG).status_code == 401


def test_unknown_and_inactive_accounts_cost_one_password_verification(client, db, operator, make_user, tenant,
                                                                      monkeypatch):
    checked = []
    real = auth.verify_password

    def counting(user, password):
        checked.append(user.password_hash)
        return real(user, password)

    monkeypatch.setattr(auth, "verify_password", counting)
    inactive = make_user("gone@acme.test", tenant)
    inactive.active = False
    db.add(inactive)
    db.commit()
    for email in ("nobody@acme.test", inactive.email, operator.email):
        assert sign_in(client, email, WRONG).status_code == 401
    assert sign_in(client, inactive.email, ADMIN_PASSWORD).status_code == 401
    assert len(checked) == 4
    assert all(h.startswith("$argon2") for h in checked)
    assert checked[0] != operator.password_hash


def test_a_copied_cookie_stops_working_after_sign_out(app, client, operator):
    assert sign_in(client, operator.email, ADMIN_PASSWORD).status_code == 302
    cookie = client.get_cookie("session").value
    assert client.get("/t/acme/").status_code == 200
    thief = app.test_client()
    thief.set_cookie("session", cookie)
    assert thief.get("/t/acme/").status_code == 200  # a copy works while the session lives
    assert client.post("/logout").status_code == 302
    thief = app.test_client()
    thief.set_cookie("session", cookie)
    response = thief.get("/t/acme/")
    assert response.status_code == 302 and "/login" in response.headers["Location"]


@pytest.mark.parametrize(("raw", "count"), [("", 0), ("0", 0), ("1", 1), ("true", 1), ("2", 2)])
def test_proxy_fix_setting(raw, count):
    assert _proxy_count(raw) == count


def test_a_bad_proxy_fix_setting_is_an_error():
    with pytest.raises(ValueError):
        _proxy_count("some")


@pytest.fixture
def https_proxied_app(app, scrm_settings):
    """The host configured as ``create_app`` does for one proxy and an HTTPS public URL (the same functions, applied
    to the session's app for the test: a second app would rebind the process-wide job bus)."""
    settings = dataclasses.replace(scrm_settings, proxy_count=1, public_url="https://crm.example.com")
    wsgi_app, secure = app.wsgi_app, app.config["SESSION_COOKIE_SECURE"]
    app.wsgi_app = behind_proxies(app.wsgi_app, settings)
    app.config["SESSION_COOKIE_SECURE"] = secure_cookies(settings)
    try:
        yield app
    finally:
        app.wsgi_app, app.config["SESSION_COOKIE_SECURE"] = wsgi_app, secure


def test_the_factory_trusts_no_proxy_and_sets_no_secure_flag_by_default(app, scrm_settings):
    assert scrm_settings.proxy_count == 0 and not scrm_settings.public_url
    assert app.config["SESSION_COOKIE_SECURE"] is False
    assert behind_proxies(app.wsgi_app, scrm_settings) is app.wsgi_app
    assert secure_cookies(dataclasses.replace(scrm_settings, public_url="https://crm.example.com"))
    assert not secure_cookies(dataclasses.replace(scrm_settings, public_url="http://crm.example.com"))


def test_forwarded_addresses_are_ignored_without_a_configured_proxy(client, operator):
    for n in range(5):
        sign_in(client, operator.email, WRONG, **{"X-Forwarded-For": f"198.51.100.{n}"})
    assert sign_in(client, operator.email, ADMIN_PASSWORD, **{"X-Forwarded-For": "198.51.100.99"}).status_code == 429


def test_forwarded_addresses_count_behind_a_configured_proxy(operator, https_proxied_app):
    proxied = https_proxied_app.test_client()
    for _ in range(5):
        sign_in(proxied, operator.email, WRONG, ip="10.9.9.9", **{"X-Forwarded-For": "203.0.113.7"})
    assert sign_in(proxied, operator.email, ADMIN_PASSWORD, ip="10.9.9.9",
                   **{"X-Forwarded-For": "203.0.113.7"}).status_code == 429
    assert sign_in(proxied, operator.email, ADMIN_PASSWORD, ip="10.9.9.9",
                   **{"X-Forwarded-For": "203.0.113.8"}).status_code == 302


def test_cookies_are_not_secure_over_plain_http_by_default(client, operator):
    plain = sign_in(client, operator.email, ADMIN_PASSWORD)
    assert "Secure" not in plain.headers["Set-Cookie"]
    assert "Strict-Transport-Security" not in plain.headers


def test_cookies_are_secure_and_hsts_is_sent_when_published_over_https(operator, https_proxied_app):
    proxied = https_proxied_app.test_client()
    response = sign_in(proxied, operator.email, ADMIN_PASSWORD, **{"X-Forwarded-Proto": "https"})
    cookie = response.headers["Set-Cookie"]
    assert "Secure" in cookie and "HttpOnly" in cookie and "SameSite=Lax" in cookie
    assert response.headers["Strict-Transport-Security"].startswith("max-age=")
