# ruff: noqa: F811  (pytest fixtures imported from the area helper module are redefined as test arguments)
"""One validation for the members form, the members profile API and the core REST API (issue 16 item 5): the same
bad name, the same 10-digit number and the same duplicate are refused by each in the same words, because each asks
the platform's customer rules (``scrm.sdk.customer_rules``)."""

from __future__ import annotations

import html
import re

from members_customers_fixtures import acme, admin, customer, signin  # noqa: F401

from scrm.sdk import customer_rules


def form_error(client, field: str, data: dict) -> str:
    response = client.post("/t/acme/members/customers/new", data=data)
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    found = re.search(rf'data-testid="error-{field}"[^>]*>([^<]+)<', page)
    assert found, f"no error shown for {field}"
    return html.unescape(found.group(1)).strip()


def api_error(client, headers, field: str, method: str, path: str, payload: dict) -> str:
    response = getattr(client, method)(path, json=payload, headers=headers)
    assert response.status_code in (409, 422), response.get_data(as_text=True)
    return response.json["error"]["fields"][field]


def test_the_form_and_both_apis_refuse_alike(client, admin, acme, customer, api_token):
    headers = {"Authorization": f"Bearer {api_token(acme)}"}
    ben = customer(acme, "Ben Wu", mobile="13800000001")
    anna = customer(acme, "Anna", mobile="13800000002")
    no_name = form_error(client, "name", {"name": " ", "mobiles": "13800000009"})
    assert no_name == "Enter the customer's name."
    assert api_error(client, headers, "name", "post", "/api/v1/customers", {"name": " "}) == no_name
    assert api_error(client, headers, "name", "patch", f"/api/v1/members/customers/{anna.id}/profile",
                     {"name": " "}) == no_name

    short = form_error(client, "mobiles", {"name": "Cara", "mobiles": "1380000000"})
    assert short == "'1380000000' is not an 11-digit mobile number."
    assert api_error(client, headers, "mobile", "post", "/api/v1/customers",
                     {"name": "Cara", "mobile": "1380000000"}) == short

    taken = form_error(client, "mobiles", {"name": "Cara", "mobiles": "13800000001"})
    assert taken == f"13800000001 already belongs to customer Ben Wu (#{ben.id})."
    assert api_error(client, headers, "mobile", "patch", f"/api/v1/customers/{anna.id}",
                     {"mobile": "13800000001"}) == taken
    assert api_error(client, headers, "mobiles", "patch", f"/api/v1/members/customers/{anna.id}/profile",
                     {"mobiles": ["13800000001"]}) == taken


def test_the_name_limit_is_the_platforms(client, admin, acme, monkeypatch):
    """Members' form has no name limit of its own: lowering the platform's limit lowers the form's."""
    monkeypatch.setattr(customer_rules, "NAME_MAX", 3)
    assert form_error(client, "name", {"name": "Anna", "mobiles": "13800000009"}) == "At most 3 characters."


def test_the_forms_refusal_reads_in_chinese(client, admin, acme):
    client.get("/lang/zh_CN")
    assert form_error(client, "name", {"name": " ", "mobiles": "13800000009"}) == "请输入客户姓名。"
    assert form_error(client, "mobiles", {"name": "王芳", "mobiles": "1380000000"}) == "“1380000000”不是 11 位手机号。"
