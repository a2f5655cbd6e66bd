"""Bad input to the host API gets a 4xx with a clear JSON error, never a 500 (issue 11, finding 9): integers beyond
an integer column (2**31 - 1 on PostgreSQL; 2**63 and more) in paths, cursors and ``after=``; ``1e999``, NaN and
Infinity in JSON; ``null`` for fields that cannot be null; deeply nested JSON; and nothing changes."""

from __future__ import annotations

import pytest
from sqlmodel import select

from scrm.core.models import Customer
from scrm.hostapp.api.inputs import INT_MAX, MAX_JSON_DEPTH, parse_int, strict_loads

DEPTH = 32  # the documented nesting bound, written out so a change of MAX_JSON_DEPTH fails here

BIG = str(2**63)
PAST_COLUMN = str(INT_MAX + 1)


@pytest.fixture
def headers(api_token, tenant):
    return {"Authorization": f"Bearer {api_token(tenant)}"}


@pytest.fixture
def anna(db, tenant):
    row = Customer(tenant_id=tenant.id, name="Anna")
    db.add(row)
    db.commit()
    return row


def error_of(response, status: int, code: str | None = None) -> str:
    assert response.status_code == status, (response.status_code, response.get_data(as_text=True)[:300])
    error = response.get_json()["error"]
    assert error["message"] and (code is None or error["code"] == code), error
    return error["message"]


@pytest.mark.parametrize("path", [f"/api/v1/customers/{PAST_COLUMN}", f"/api/v1/customers/{BIG}",
                                  f"/api/v1/customers/{'9' * 40}"])
def test_a_path_integer_beyond_64_bits_is_not_found(client, headers, path):
    error_of(client.get(path, headers=headers), 404)
    patch = client.patch(path, json={"name": "x"}, headers=headers)
    assert patch.status_code in (404, 405) and patch.get_json()["error"]["message"]


def test_the_largest_id_is_a_plain_miss(client, headers):
    assert "no customer" in error_of(client.get(f"/api/v1/customers/{INT_MAX}", headers=headers), 404)


@pytest.mark.parametrize(("query", "name"), [({"cursor": BIG}, "cursor"), ({"cursor": PAST_COLUMN}, "cursor"),
                                             ({"cursor": "-" + BIG + "0"}, "cursor"),
                                             ({"cursor": "abc"}, "cursor"), ({"limit": BIG}, "limit"),
                                             ({"limit": "1e3"}, "limit"), ({"cursor": "1.5"}, "cursor")])
def test_query_integers_out_of_range_are_400(client, headers, query, name):
    assert name in error_of(client.get("/api/v1/customers", query_string=query, headers=headers), 400,
                            "invalid_parameter")


def test_the_last_cursor_in_range_is_served(client, headers, anna):
    response = client.get("/api/v1/customers", query_string={"cursor": str(INT_MAX)}, headers=headers)
    assert response.status_code == 200 and [c["name"] for c in response.get_json()["items"]] == ["Anna"]


@pytest.mark.parametrize("raw", ['{"name": "x", "gender": 1e999}', '{"name": NaN}', '{"name": "x", "gender": Infinity}',
                                 '{"name": "x", "gender": -Infinity}', '{"merged_id": ' + BIG + "}",
                                 "[" * 100_000 + "]" * 100_000,
                                 '{"attributes": ' + '{"a": ' * (DEPTH + 1) + "1" + "}" * (DEPTH + 2)])
def test_json_that_no_column_holds_is_400(client, headers, anna, raw, db):
    for method, path in (("post", "/api/v1/customers"), ("patch", f"/api/v1/customers/{anna.id}"),
                         ("post", f"/api/v1/customers/{anna.id}/merge")):
        response = getattr(client, method)(path, data=raw, content_type="application/json", headers=headers)
        error_of(response, 400, "invalid_json")
    db.expire_all()
    assert [c.name for c in db.exec(select(Customer))] == ["Anna"]


def test_a_string_infinity_in_an_integer_field_is_422(client, headers, anna):
    error_of(client.patch(f"/api/v1/customers/{anna.id}", json={"gender": "Infinity"}, headers=headers), 422)


@pytest.mark.parametrize("field", ["name", "gender", "is_member", "attributes"])
def test_null_for_a_field_that_cannot_be_null_is_422(client, headers, anna, field, db):
    message = error_of(client.patch(f"/api/v1/customers/{anna.id}", json={field: None}, headers=headers), 422,
                       "validation_error")
    assert field in message
    db.expire_all()
    assert db.get(Customer, anna.id).name == "Anna"


def test_null_clears_a_field_that_may_be_null(client, headers, anna):
    response = client.patch(f"/api/v1/customers/{anna.id}", json={"owner_employee_id": None, "mobile": None},
                            headers=headers)
    assert response.status_code == 200 and response.get_json()["owner_employee_id"] is None


def test_a_merge_id_beyond_the_column_is_422(client, headers, anna):
    error_of(client.post(f"/api/v1/customers/{anna.id}/merge", json={"merged_id": INT_MAX + 1}, headers=headers),
             422, "validation_error")
    error_of(client.post(f"/api/v1/customers/{anna.id}/merge", json={"merged_id": 2**64}, headers=headers), 400,
             "invalid_json")


def test_a_tenant_page_with_a_huge_after_is_served(client, login, make_user, tenant):
    login(make_user("boss@acme.test", tenant, role="tenant_admin"))
    for after in (BIG, PAST_COLUMN, "-1", "x", "9" * 40):
        assert client.get(f"/t/{tenant.slug}/audit", query_string={"after": after}).status_code == 200


# -- the shared parsers ------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(("raw", "value"), [("42", 42), (" 7 ", 7), ("-3", -3), (str(INT_MAX), INT_MAX),
                                            (str(-(2**31)), -(2**31)), (PAST_COLUMN, None), (str(-(2**31) - 1), None),
                                            (BIG, None), ("1e3", None), ("", None),
                                            (None, None), ("x", None), ("--1", None), ("4.0", None)])
def test_parse_int(raw, value):
    assert parse_int(raw) == value


def test_parse_int_bounds_are_inclusive():
    assert parse_int("5", low=5, high=5) == 5 and parse_int("6", high=5) is None and parse_int("4", low=5) is None


@pytest.mark.parametrize("raw", ["1e999", "-1e999", "NaN", "Infinity", "[-Infinity]", str(2**63), str(-(2**63) - 1),
                                 "[" * (DEPTH + 2) + "]" * (DEPTH + 2)])
def test_strict_loads_refuses(raw):
    with pytest.raises(ValueError):
        strict_loads(raw)


def test_strict_loads_accepts_what_fits():
    assert MAX_JSON_DEPTH == DEPTH
    nested = "[" * DEPTH + "]" * DEPTH
    assert strict_loads('{"a": [1.5, -2, 9223372036854775807, null, true]}') == {
        "a": [1.5, -2, 2**63 - 1, None, True]}
    assert strict_loads(nested) is not None
