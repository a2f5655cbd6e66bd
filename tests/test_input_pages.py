"""Every GET page of a tenant with every first-party plugin enabled answers hostile query parameters (integers past a
column, 2**63, ``1e999``, letters where numbers go, such as ``?level=x``) without a server error (issue 11, finding 9)."""

from __future__ import annotations

import pytest

HOSTILE = {"level": "x", "member_level": "x", "after": str(2**63), "page": str(2**63), "cursor": str(2**31),
           "tag": str(2**63), "owner": "1e999", "department": str(2**31), "category": "x", "size": "1e999",
           "gender": str(2**63), "customer_id": str(2**63), "segment_id": "x", "id": str(2**40), "limit": "1e999",
           "created_from": "x", "created_to": "2024-13-45", "min": "1e999", "max": "NaN", "q": "\x00"}


@pytest.fixture
def admin_client(client, login, make_user, tenant, enable_plugins):
    enable_plugins(tenant, "members", "wecom")
    login(make_user("boss@acme.test", tenant, role="tenant_admin"))
    return client


def tenant_pages(app, slug: str) -> list[str]:
    pages = []
    for rule in app.url_map.iter_rules():
        if "GET" not in rule.methods or not rule.rule.startswith("/t/<tenant>/"):
            continue
        if set(rule.arguments) - {"tenant"}:
            continue
        if rule.rule.endswith((".csv", ".xlsx")) or "logout" in rule.rule:
            continue
        pages.append(rule.rule.replace("<tenant>", slug))
    return sorted(set(pages))


def _where(exc: BaseException) -> str:
    """The innermost frame of the project's code in the exception's traceback."""
    import traceback

    frames = [f for f in traceback.extract_tb(exc.__traceback__) if "/site-packages/" not in f.filename]
    return f"{frames[-1].filename}:{frames[-1].lineno}" if frames else "?"


def test_no_page_fails_on_hostile_query_parameters(app, admin_client, tenant):
    pages = tenant_pages(app, tenant.slug)
    assert len(pages) > 20
    failures = []
    for page in pages:
        try:
            status = admin_client.get(page, query_string=HOSTILE).status_code
        except Exception as exc:  # noqa: BLE001  (the test app propagates errors: each is reported with its page)
            failures.append(f"{page}: {type(exc).__name__}: {str(exc)[:200]} at {_where(exc)}")
            continue
        if status >= 500:
            failures.append(f"{page}: {status}")
    assert failures == [], "\n".join(failures)


def test_pages_bound_their_numbers_without_the_safety_net(app, admin_client, tenant):
    """The out-of-range handler (a 400 for a number that reaches the database) is a safety net, not the way pages
    read numbers: with it removed, every page still answers hostile integers (``parse_int`` / ``query_int``)."""
    from sqlalchemy.exc import DataError

    handlers = app.error_handler_spec[None][None]
    saved = {kind: handlers.pop(kind) for kind in (OverflowError, DataError) if kind in handlers}
    assert set(saved) == {OverflowError, DataError}
    huge = str(2**63)
    hostile = {**HOSTILE, "account": huge, "employee": huge, "employee_id": huge, "days_min": huge, "i": huge,
               "c": huge, "kind": huge, "code_id": huge}
    failures = []
    try:
        for page in tenant_pages(app, tenant.slug):
            try:
                status = admin_client.get(page, query_string=hostile).status_code
            except Exception as exc:  # noqa: BLE001  (each failure is reported with its page)
                failures.append(f"{page}: {type(exc).__name__}: {str(exc)[:200]} at {_where(exc)}")
                continue
            if status >= 500:
                failures.append(f"{page}: {status}")
    finally:
        handlers.update(saved)
    assert failures == [], "\n".join(failures)


def test_a_nul_character_in_a_query_or_form_value_is_400(admin_client, api_token, tenant):
    """No text column stores a NUL character (PostgreSQL refuses it): pages and the API answer 400 naming the
    parameter before a search or a filter reaches the database."""
    page = admin_client.get("/t/acme/members/customers/", query_string={"q": "an\x00na"})
    assert page.status_code == 400 and "q must not contain a NUL character" in page.get_data(as_text=True)
    posted = admin_client.post("/t/acme/members/customers/new", data={"name": "An\x00na", "mobiles": ""})
    assert posted.status_code == 400
    value = api_token(tenant)
    api = admin_client.get("/api/v1/customers", query_string={"q": "\x00"},
                           headers={"Authorization": f"Bearer {value}"})
    assert api.status_code == 400 and api.get_json()["error"]["code"] == "invalid_parameter"
    assert admin_client.get("/t/acme/members/customers/", query_string={"q": "anna"}).status_code == 200
