"""Signing in and out, the login rate limit, CSRF, and who may open which page."""

from __future__ import annotations

import re

import pytest
from sqlmodel import select

from scrm.core.models import AuditLog, User
from scrm.sdk.testing import ADMIN_PASSWORD


@pytest.fixture
def operator(make_user, tenant):
    return make_user("op@acme.test", tenant, role="operator")


def signed_in_uid(client):
    with client.session_transaction() as session:
        return session.get("uid")


def test_login_with_the_right_password_redirects_and_signs_in(client, operator):
    response = client.post("/login", data={"email": "op@acme.test", "password": ADMIN_PASSWORD})
    assert response.status_code == 302
    assert signed_in_uid(client) == operator.id


def test_login_with_a_wrong_password_is_401_with_a_message_and_changes_nothing(client, db, operator):
    response = client.post("/login", data={"email": "op@acme.test", "password": "wrong-password"})
    assert response.status_code == 401
    assert 'data-testid="login-error"' in response.get_data(as_text=True)
    assert signed_in_uid(client) is None
    db.expire_all()
    assert db.get(User, operator.id).last_login_at is None
    assert db.exec(select(AuditLog)).all() == []
    assert client.get("/").status_code == 302  # still sent to the login page


def test_sixth_attempt_after_five_failures_is_429_even_with_the_right_password(client, operator):
    for _ in range(5):
        assert client.post("/login", data={"email": "op@acme.test", "password": "wrong-password"}).status_code == 401
    response = client.post("/login", data={"email": "op@acme.test", "password": ADMIN_PASSWORD})
    assert response.status_code == 429
    assert signed_in_uid(client) is None


def test_logout_needs_post(client, login, operator):
    login(operator)
    assert client.get("/logout").status_code == 405
    assert signed_in_uid(client) == operator.id
    assert client.post("/logout").status_code == 302
    assert signed_in_uid(client) is None


@pytest.fixture
def csrf_on(app):
    app.config["WTF_CSRF_ENABLED"] = True
    try:
        yield
    finally:
        app.config["WTF_CSRF_ENABLED"] = False


def test_form_post_without_csrf_token_is_400(client, operator, csrf_on):
    response = client.post("/login", data={"email": "op@acme.test", "password": ADMIN_PASSWORD})
    assert response.status_code == 400
    assert signed_in_uid(client) is None


def test_user_of_one_tenant_gets_404_on_another_tenant(client, login, operator, other_tenant):
    login(operator)
    assert client.get("/t/acme/").status_code == 200
    assert client.get("/t/globex/").status_code == 404


def test_operator_gets_403_on_tenant_plugins_page(client, login, operator):
    login(operator)
    assert client.get("/t/acme/plugins").status_code == 403


def test_tenant_admin_sees_tenant_plugins_page(client, login, make_user, tenant):
    login(make_user("boss@acme.test", tenant, role="tenant_admin"))
    assert client.get("/t/acme/plugins").status_code == 200


def test_platform_admin_sees_plugin_catalogue(client, login, admin_user):
    login(admin_user)
    assert client.get("/admin/plugins").status_code == 200


def test_non_admin_gets_403_on_plugin_catalogue(client, login, operator):
    login(operator)
    assert client.get("/admin/plugins").status_code == 403


def html_lang(client) -> str:
    """The page's ``<html lang>``, checked against the language link marked active."""
    html = client.get("/login").get_data(as_text=True)
    active = re.findall(r'class="active" data-lang="([^"]+)"', html)
    lang = re.search(r'<html lang="([^"]+)"', html).group(1)
    assert active == [lang.replace("-", "_")]
    return lang


def test_language_switch_sets_session_and_html_lang(client):
    assert client.get("/lang/en").status_code == 302
    with client.session_transaction() as session:
        assert session["lang"] == "en"
    assert html_lang(client) == "en"
    client.get("/lang/zh_CN")
    with client.session_transaction() as session:
        assert session["lang"] == "zh_CN"
    assert html_lang(client) == "zh-CN"


def test_the_language_chosen_before_signing_in_is_kept(client, operator):
    client.get("/lang/zh_CN")
    client.post("/login", data={"email": operator.email, "password": ADMIN_PASSWORD})
    with client.session_transaction() as session:
        assert session["lang"] == "zh_CN" and session["uid"] == operator.id
